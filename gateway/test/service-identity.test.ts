// Service identity and the crews' lane through a running gateway, as an attacker between gateway and subgraphs would try it: a captured signed request replayed (same body, another body, another path, another subgraph) is refused and runs nothing; a slow subgraph never fails another subgraph's calls.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "graphql";
import { IDENTITY_HEADER, connectMongo, startSubgraph } from "@tsunagu/service-kit";
import type { MongoHandle, RequestContext, RunningService } from "@tsunagu/service-kit";
import { mongoApiKeyStore } from "../src/api-keys";
import { FIXTURE_SCHEMA_DIR, PLACES, testSubgraphKeys, bearer, postGraphQL, silentLogger, startNotes, startTestGateway } from "./helpers";

/** How often the places subgraph ran a resolver, and how long `places` takes to answer. */
const placesSubgraph = { resolved: 0, delayMs: 0 };
/** Every request the gateway sent to places, as seen on the wire between them. */
const captured: Array<{ path: string; headers: Record<string, string>; body: string }> = [];

let mongo: MongoHandle;
let places: RunningService;
let notes: RunningService;
let gateway: RunningService;
let closeTap: () => Promise<void>;

/** A wiretap in front of the places subgraph: records each request and passes it on unchanged. */
async function startTap(target: string): Promise<string> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = Object.fromEntries(Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
    captured.push({ path: req.url ?? "", headers, body });
    const answer = await fetch(new URL(req.url ?? "/", target), {
      method: req.method,
      headers: { "content-type": "application/json", [IDENTITY_HEADER]: headers[IDENTITY_HEADER] ?? "" },
      body,
    });
    res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closeTap = () => new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "service-identity-test", logger: silentLogger });
  places = await startSubgraph<RequestContext>({
    name: "places",
    typeDefs: parse(readFileSync(join(FIXTURE_SCHEMA_DIR, "places.graphql"), "utf8")),
    resolvers: {
      Query: {
        place: (_source: unknown, { id }: { id: string }) => {
          placesSubgraph.resolved++;
          return PLACES.find((place) => place.id === id) ?? null;
        },
        places: async () => {
          placesSubgraph.resolved++;
          await sleep(placesSubgraph.delayMs);
          return PLACES;
        },
        whoami: (_source: unknown, _args: unknown, { identity, requestId }: RequestContext) => {
          placesSubgraph.resolved++;
          return { ...identity, requestId };
        },
      },
      Place: { __resolveReference: ({ id }: { id: string }) => PLACES.find((place) => place.id === id) ?? null },
    },
    createContext: (base) => base,
    keys: testSubgraphKeys("places"),
    logger: silentLogger,
  });
  notes = await startNotes();
  gateway = await startTestGateway(
    { places: await startTap(places.url), notes: notes.url },
    {
      apiKeys: await mongoApiKeyStore(mongo.connection),
      // Every subgraph: 300 ms and 2 calls at once; places, standing in for the crews' emergency subgraph, has a lane of its own.
      subgraphTimeoutMs: 300,
      subgraphConcurrency: 2,
      subgraphLanes: { places: { timeoutMs: 3000, maxConcurrent: 8 } },
    },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await closeTap?.();
  await places?.stop();
  await notes?.stop();
  await mongo?.close();
});

test("a captured signed request replayed with the same body, another body, on another path or to another subgraph is refused and runs nothing", async () => {
  const crew = await bearer({ role: "EMS", subject: "crew-7", displayName: "救急隊 7" });
  const served = await postGraphQL(gateway.url, { query: "{ whoami { role subject } }" }, crew);
  expect(served.body.data).toEqual({ whoami: { role: "EMS", subject: "crew-7" } });
  const [tapped] = captured.splice(0);
  expect(tapped?.headers[IDENTITY_HEADER]).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const header = { [IDENTITY_HEADER]: tapped?.headers[IDENTITY_HEADER] };
  const resolvedBefore = placesSubgraph.resolved;

  const elevated = JSON.stringify({ query: "{ whoami { role subject scopes } }" });
  const attempts = {
    sameBody: await postGraphQL(places.url, tapped?.body, header),
    sameBodyTenTimes: await Promise.all(Array.from({ length: 10 }, () => postGraphQL(places.url, tapped?.body, header))),
    otherBody: await postGraphQL(places.url, elevated, header),
    otherPath: await postGraphQL(`${places.url}?replay=1`, tapped?.body, header),
    otherSubgraph: await postGraphQL(notes.url, tapped?.body, header),
  };
  const refusals = [attempts.sameBody, ...attempts.sameBodyTenTimes, attempts.otherBody, attempts.otherPath, attempts.otherSubgraph];
  expect(refusals.map((answer) => answer.status)).toEqual(Array(14).fill(401));
  expect(refusals.every((answer) => answer.body.errors?.[0]?.extensions?.code === "UNAUTHENTICATED" && answer.body.data === undefined)).toBe(true);
  expect(attempts.sameBody.body.errors?.[0]?.message).toMatch(/identity header replayed/);
  expect(attempts.otherBody.body.errors?.[0]?.message).toMatch(/identity header wrong-request/);
  expect(attempts.otherPath.body.errors?.[0]?.message).toMatch(/identity header wrong-request/);
  expect(attempts.otherSubgraph.body.errors?.[0]?.message).toMatch(/Subgraph notes .*bad-signature/);
  expect(placesSubgraph.resolved).toBe(resolvedBefore);
  // The gateway itself keeps working: each of its calls carries a fresh signature.
  expect((await postGraphQL(gateway.url, { query: "{ whoami { role } }" }, crew)).body.data).toEqual({ whoami: { role: "EMS" } });
});

test("with the notes subgraph slow and its lane full, calls in the crews' lane still answer, within their own longer deadline", async () => {
  placesSubgraph.delayMs = 600; // longer than the shared 300 ms deadline, well within the lane's 3000 ms
  try {
    const slow = Array.from({ length: 6 }, () => postGraphQL(gateway.url, { query: '{ place(id: "p1") { slowNote(ms: 2000) } }' }));
    const crewCalls = await Promise.all(Array.from({ length: 4 }, () => postGraphQL(gateway.url, { query: "{ places { name } }" })));
    for (const answer of crewCalls) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data).toEqual({ places: PLACES.map(({ name }) => ({ name })) });
    }
    const slowAnswers = await Promise.all(slow);
    for (const answer of slowAnswers) {
      expect(answer.body.data).toEqual({ place: { slowNote: null } });
      expect(answer.body.errors?.[0]?.message).toBe("The notes service did not answer within 300 ms");
    }
  } finally {
    placesSubgraph.delayMs = 0;
  }
});
