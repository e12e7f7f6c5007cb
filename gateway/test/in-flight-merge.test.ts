// Identical in-flight subgraph queries through the gateway: merged into one signed call per identity, never across identities, never mutations, never to the audited emergency subgraph; calls counted at a proxy in front of each fixture subgraph.
import { createServer, request as httpRequest } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CommandStartedEvent } from "mongodb";
import { IDENTITY_HEADER, connectMongo } from "@tsunagu/service-kit";
import type { MongoHandle, RunningService } from "@tsunagu/service-kit";
import { mongoApiKeyStore } from "../src/api-keys";
import type { ApiKeyStore } from "../src/api-keys";
import { AUDITED_SUBGRAPHS } from "../src/server";
import { startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack } from "./emergency-stack";
import { bearer, postGraphQL, silentLogger, startNotes, startPlaces, startTestGateway } from "./helpers";

/** One request a fixture subgraph received through its proxy. */
interface ReceivedCall {
  body: string;
  signature: string;
}

/** A pass-through HTTP proxy to `target` that records each request's body and identity signature in `calls`. */
function countingProxy(target: URL, calls: ReceivedCall[]): Promise<{ server: Server; url: string }> {
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      calls.push({ body: body.toString("utf8"), signature: String(incoming.headers[IDENTITY_HEADER]) });
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

let mongo: MongoHandle;
let apiKeys: ApiKeyStore;
let places: RunningService;
let notes: RunningService;
let gateway: RunningService;
let unmergedGateway: RunningService;
const proxies: Server[] = [];
const placesCalls: ReceivedCall[] = [];
const notesCalls: ReceivedCall[] = [];

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "merge-test", logger: silentLogger });
  apiKeys = await mongoApiKeyStore(mongo.connection);
  places = await startPlaces();
  notes = await startNotes();
  const placesProxy = await countingProxy(new URL(places.url), placesCalls);
  const notesProxy = await countingProxy(new URL(notes.url), notesCalls);
  proxies.push(placesProxy.server, notesProxy.server);
  const urls = { places: placesProxy.url, notes: notesProxy.url };
  gateway = await startTestGateway(urls, { apiKeys });
  unmergedGateway = await startTestGateway(urls, { apiKeys, mergeInFlight: false });
});

afterAll(async () => {
  await gateway?.stop();
  await unmergedGateway?.stop();
  for (const proxy of proxies) await new Promise((resolve) => proxy.close(resolve));
  await places?.stop();
  await notes?.stop();
  await mongo?.close();
});

beforeEach(() => {
  placesCalls.length = 0;
  notesCalls.length = 0;
});

/** The notes subgraph answers after 300 ms, so that the requests sent together are all in flight at once. */
const SLOW = '{ place(id: "p2") { name slowNote(ms: 300) notedFor } }';
const SLOW_ANSWER = { place: { name: "つばさ訪問看護ステーション", slowNote: "late", notedFor: "PUBLIC" } };

test("identical queries of one identity sent together reach the subgraph once, signed once, and every client gets the answer", async () => {
  const answers = await Promise.all([1, 2, 3].map(() => postGraphQL(gateway.url, { query: SLOW })));
  for (const answer of answers) expect(answer.body).toEqual({ data: SLOW_ANSWER });
  expect(notesCalls).toHaveLength(1);
  expect(notesCalls[0]?.signature).toMatch(/\S{20,}/);
  // Once the call has answered, the same query goes out again.
  const later = await postGraphQL(gateway.url, { query: SLOW });
  expect(later.body).toEqual({ data: SLOW_ANSWER });
  expect(notesCalls).toHaveLength(2);
  expect(notesCalls[1]?.signature).not.toBe(notesCalls[0]?.signature);
});

test("the same query of different identities is sent once per identity, and each gets what its own identity was told", async () => {
  const professional = await bearer({ role: "PROFESSIONAL", subject: "nurse-1", profession: "看護師" });
  const otherProfessional = await bearer({ role: "PROFESSIONAL", subject: "nurse-2", profession: "看護師" });
  const coordinator = await bearer({ role: "COORDINATOR", subject: "coordinator-1" });
  const answers = await Promise.all([
    postGraphQL(gateway.url, { query: SLOW }),
    postGraphQL(gateway.url, { query: SLOW }, professional),
    postGraphQL(gateway.url, { query: SLOW }, otherProfessional),
    postGraphQL(gateway.url, { query: SLOW }, coordinator),
    postGraphQL(gateway.url, { query: SLOW }, professional),
  ]);
  const notedFor = answers.map((answer) => (answer.body.data?.place as { notedFor: string } | undefined)?.notedFor);
  expect(notedFor).toEqual(["PUBLIC", "PROFESSIONAL", "PROFESSIONAL", "COORDINATOR", "PROFESSIONAL"]);
  // PUBLIC, nurse-1 (twice, merged), nurse-2 and the coordinator: four calls, each signed for its own identity.
  expect(notesCalls).toHaveLength(4);
  expect(new Set(notesCalls.map((call) => call.signature)).size).toBe(4);
});

test("queries differing only in their variables are not merged", async () => {
  const query = "query ($id: ID!) { place(id: $id) { slowNote(ms: 300) notes } }";
  const [first, second] = await Promise.all(["p1", "p3"].map((id) => postGraphQL(gateway.url, { query, variables: { id } })));
  expect(first?.body.data).toEqual({ place: { slowNote: "late", notes: ["note on p1"] } });
  expect(second?.body.data).toEqual({ place: { slowNote: "late", notes: ["note on p3"] } });
  expect(notesCalls).toHaveLength(2);
});

test("identical mutations sent together are never merged: each one runs", async () => {
  const mutation = 'mutation { visit(id: "p3", ms: 300) }';
  const answers = await Promise.all([1, 2, 3].map(() => postGraphQL(gateway.url, { query: mutation })));
  const counts = answers.map((answer) => (answer.body.data as { visit: number }).visit).sort();
  expect(counts).toEqual([1, 2, 3]);
  expect(placesCalls).toHaveLength(3);
  expect(new Set(placesCalls.map((call) => call.body)).size).toBe(1);
});

test("with merging switched off (SUBGRAPH_MERGE_IN_FLIGHT=false) every identical query is sent", async () => {
  const answers = await Promise.all([1, 2, 3].map(() => postGraphQL(unmergedGateway.url, { query: SLOW })));
  for (const answer of answers) expect(answer.body).toEqual({ data: SLOW_ANSWER });
  expect(notesCalls).toHaveLength(3);
});

describe("the audited subgraphs", () => {
  let stack: EmergencyStack;
  const owner = () => bearer({ role: "RESIDENT", subject: "demo-resident-00001" });
  const profileReads = (commands: CommandStartedEvent[]) =>
    commands.filter((event) => (event.commandName === "find" || event.commandName === "aggregate") && event.command[event.commandName] === "emergencyProfiles");

  beforeAll(async () => {
    stack = await startEmergencyStack({ now: new Date("2026-10-01T00:00:00Z"), seed: { count: 1 } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  test("are emergency and transitions", () => {
    expect([...AUDITED_SUBGRAPHS].sort()).toEqual(["emergency", "transitions"]);
  });

  test("identical emergency queries of one resident sent together each reach the emergency subgraph", async () => {
    const query = "{ myEmergencyProfiles { id person { name } } }";
    const headers = await owner();
    const single = await stack.graphql(query, {}, headers);
    expect(single.body.errors).toBeUndefined();
    expect(single.body.data?.myEmergencyProfiles).toHaveLength(1);
    stack.commands.length = 0;
    await stack.graphql(query, {}, headers);
    const readsPerRequest = profileReads(stack.commands).length;
    expect(readsPerRequest).toBeGreaterThan(0);

    stack.commands.length = 0;
    const together = await Promise.all(Array.from({ length: 10 }, () => stack.graphql(query, {}, headers)));
    for (const answer of together) expect(answer.body).toEqual(single.body);
    expect(profileReads(stack.commands)).toHaveLength(10 * readsPerRequest);
  });
});
