// Identical in-flight subgraph queries: merged into one call for one identity, never across identities, each client answered with its own copy; counted at a proxy in front of the subgraph.
import { createServer, request as httpRequest } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connectMongo } from "@tsunagu/service-kit";
import type { MongoHandle, RunningService } from "@tsunagu/service-kit";
import { mongoApiKeyStore } from "../src/api-keys";
import { mergeKeyOf } from "../src/subgraph-source";
import { bearer, postGraphQL, silentLogger, startNotes, startPlaces, startTestGateway } from "./helpers";

let mongo: MongoHandle;
let places: RunningService;
let notes: RunningService;
let gateway: RunningService;
let proxy: Server;
/** The POST bodies the notes subgraph received through the proxy. */
const notesCalls: string[] = [];

/** A pass-through HTTP proxy to `target` that records each request body. */
function countingProxy(target: URL): Promise<{ server: Server; url: string }> {
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      notesCalls.push(body.toString("utf8"));
      const forwarded = httpRequest(
        { host: target.hostname, port: target.port, path: target.pathname, method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}` }));
  });
}

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "merge-test", logger: silentLogger });
  places = await startPlaces();
  notes = await startNotes();
  const counted = await countingProxy(new URL(notes.url));
  proxy = counted.server;
  gateway = await startTestGateway({ places: places.url, notes: counted.url }, { apiKeys: await mongoApiKeyStore(mongo.connection) });
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise((resolve) => proxy?.close(resolve));
  await places?.stop();
  await notes?.stop();
  await mongo?.close();
});

beforeEach(() => {
  notesCalls.length = 0;
});

/** The notes subgraph answers after 300 ms, so the requests sent together are all in flight at once. */
const SLOW = '{ place(id: "p2") { name slowNote(ms: 300) notedFor } }';

test("identical queries of one identity sent together reach the subgraph once, and every client gets the answer", async () => {
  const answers = await Promise.all([1, 2, 3].map(() => postGraphQL(gateway.url, { query: SLOW })));
  for (const answer of answers) {
    expect(answer.body).toEqual({ data: { place: { name: "つばさ訪問看護ステーション", slowNote: "late", notedFor: "PUBLIC" } } });
  }
  expect(notesCalls).toHaveLength(1);
  const sequential = await postGraphQL(gateway.url, { query: SLOW });
  expect(sequential.body.data).toEqual(answers[0]?.body.data);
  expect(notesCalls).toHaveLength(2);
});

test("the same query of two identities is sent once per identity, and each gets the fields its rights give", async () => {
  const professional = await bearer({ role: "PROFESSIONAL", subject: "nurse-1", profession: "看護師" });
  const coordinator = await bearer({ role: "COORDINATOR", subject: "coordinator-1" });
  const [asPublic, asProfessional, asCoordinator, againProfessional] = await Promise.all([
    postGraphQL(gateway.url, { query: SLOW }),
    postGraphQL(gateway.url, { query: SLOW }, professional),
    postGraphQL(gateway.url, { query: SLOW }, coordinator),
    postGraphQL(gateway.url, { query: SLOW }, professional),
  ]);
  const notedFor = (answer: typeof asPublic) => (answer.body.data?.place as { notedFor: string }).notedFor;
  expect([asPublic, asProfessional, asCoordinator, againProfessional].map(notedFor)).toEqual(["PUBLIC", "PROFESSIONAL", "COORDINATOR", "PROFESSIONAL"]);
  expect(notesCalls).toHaveLength(3);
});

test("queries differing only in their variables are not merged", async () => {
  const query = "query ($id: ID!) { place(id: $id) { slowNote(ms: 300) notes } }";
  const [first, second] = await Promise.all(["p1", "p3"].map((id) => postGraphQL(gateway.url, { query, variables: { id } })));
  expect(first?.body.data).toEqual({ place: { slowNote: "late", notes: ["note on p1"] } });
  expect(second?.body.data).toEqual({ place: { slowNote: "late", notes: ["note on p3"] } });
  expect(notesCalls).toHaveLength(2);
});

describe("mergeKeyOf", () => {
  const identity = { role: "PROFESSIONAL" as const, authMethod: "jwt" as const, subject: "nurse-1", scopes: [] };
  const optionsFor = (query: string, incoming = true) =>
    ({
      request: { query },
      ...(incoming ? { incomingRequestContext: {}, context: { identity } } : { context: {} }),
    }) as unknown as Parameters<typeof mergeKeyOf>[0];

  test("a client's query has a key naming its identity; a mutation, or a call for no client, has none", () => {
    expect(mergeKeyOf(optionsFor("query($id:ID!){place(id:$id){name}}"), "body")).toBe(`${JSON.stringify(identity)}\nbody`);
    expect(mergeKeyOf(optionsFor("{places{name}}"), "body")).toBeDefined();
    expect(mergeKeyOf(optionsFor('mutation{createPost(input:{text:"x"}){id}}'), "body")).toBeUndefined();
    expect(mergeKeyOf(optionsFor("{places{name}}", false), "body")).toBeUndefined();
  });
});
