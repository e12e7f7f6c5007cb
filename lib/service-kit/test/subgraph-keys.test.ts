// Keys per subgraph instead of the shared secret: who may ask whom, the keys of a pair held by both and nobody else, SUBGRAPH_KEYS round trip, and a peer's questions over HTTP (queries only, never as the gateway, never from a subgraph without the pair's key).
import { randomBytes } from "node:crypto";
import { parse } from "graphql";
import { IDENTITY_HEADER, bodyDigest, gatewaySignedHeaders, signSubgraphRequest } from "../src/identity";
import type { Identity, RequestContext } from "../src/identity";
import { createLogger } from "../src/logger";
import { peerSubgraphs, signedAsPeer } from "../src/peer-subgraphs";
import { PEER_QUESTIONS, decodeSubgraphKeys, deriveSubgraphKeys, encodeSubgraphKeys } from "../src/subgraph-keys";
import { subgraphKeysFrom } from "../src/subgraph-process";
import { startSubgraph } from "../src/subgraph-server";
import type { RunningService } from "../src/subgraph-server";

const SECRET = randomBytes(32).toString("hex");
const coordinator: Identity = { role: "COORDINATOR", authMethod: "jwt", subject: "service:groups", scopes: [] };

describe("deriving keys", () => {
  test("a subgraph holds the keys of the peers it may ask and of those that may ask it, and no other", () => {
    const resources = deriveSubgraphKeys(SECRET, "resources");
    expect(Object.keys(resources.asks)).toEqual([]);
    expect(Object.keys(resources.askedBy).sort()).toEqual(["emergency", "groups", "transitions"]);
    const events = deriveSubgraphKeys(SECRET, "events");
    expect([Object.keys(events.asks), Object.keys(events.askedBy)]).toEqual([[], []]);
    expect(Object.keys(deriveSubgraphKeys(SECRET, "transitions").asks).sort()).toEqual([...(PEER_QUESTIONS.transitions ?? [])].sort());
  });

  test("both ends of a pair hold the same key, every other key differs", () => {
    const groups = deriveSubgraphKeys(SECRET, "groups");
    const resources = deriveSubgraphKeys(SECRET, "resources");
    expect(groups.asks.resources?.equals(resources.askedBy.groups)).toBe(true);
    const all = ["resources", "groups", "events", "emergency", "transitions"].flatMap((name) => {
      const keys = deriveSubgraphKeys(SECRET, name);
      return [keys.gateway, keys.local, ...Object.values(keys.asks)].map((key) => key.toString("hex"));
    });
    expect(new Set(all).size).toBe(all.length);
    expect(deriveSubgraphKeys(randomBytes(32).toString("hex"), "groups").asks.resources?.equals(groups.asks.resources)).toBe(false);
  });

  test("SUBGRAPH_KEYS round-trips, and names what is wrong without echoing the value", () => {
    const keys = deriveSubgraphKeys(SECRET, "emergency");
    const text = encodeSubgraphKeys(keys);
    expect(text).not.toContain(SECRET);
    expect(decodeSubgraphKeys(text, "emergency")).toEqual(keys);
    expect(() => decodeSubgraphKeys(text, "groups")).toThrow("keys of the emergency subgraph, not of groups");
    expect(() => decodeSubgraphKeys("not-keys", "emergency")).toThrow("not the output of `npm run subgraph-keys`");
    const truncated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(text, "base64url").toString()), gateway: "abc" })).toString("base64url");
    expect(() => decodeSubgraphKeys(truncated, "emergency")).toThrow("not the output of `npm run subgraph-keys`");
  });
});

describe("a peer's questions over HTTP", () => {
  const typeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    "Test queries."
    type Query {
      "Who asked."
      caller: String!
    }
    "Test mutations."
    type Mutation {
      "Changes something."
      change: String!
    }
  `);
  let resources: RunningService;
  let changes = 0;

  beforeAll(async () => {
    resources = await startSubgraph<RequestContext>({
      name: "resources",
      typeDefs,
      resolvers: {
        Query: { caller: (_source: unknown, _args: unknown, { identity }: RequestContext) => `${identity.role}:${identity.subject ?? ""}` },
        Mutation: { change: () => `changed ${++changes}` },
      },
      createContext: (base) => base,
      keys: deriveSubgraphKeys(SECRET, "resources"),
      logger: createLogger({ name: "resources", level: "silent" }),
    });
  });
  afterAll(() => resources?.stop());

  async function post(query: string, headersFor: (body: string) => Record<string, string>) {
    const body = JSON.stringify({ query });
    const response = await fetch(resources.url, { method: "POST", headers: { "content-type": "application/json", ...headersFor(body) }, body });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ extensions?: { code?: string } }> } };
  }

  const askedBy = (asker: string, key: Buffer) => (body: string) => ({
    [IDENTITY_HEADER]: signSubgraphRequest(
      coordinator,
      key,
      { subgraph: "resources", method: "POST", path: "/graphql", bodyDigest: bodyDigest(body) },
      Date.now(),
      asker,
    ),
  });

  test("a peer allowed to ask gets an answer as the identity it asked for", async () => {
    const peers = peerSubgraphs({ resources: resources.url }, signedAsPeer(deriveSubgraphKeys(SECRET, "groups")));
    expect(peers.has("resources")).toBe(true);
    expect(await peers.query("resources", "{ caller }", {}, coordinator)).toEqual({ data: { caller: "COORDINATOR:service:groups" }, errors: [] });
  });

  test("a subgraph with no key for the pair cannot ask, and a signature with another key is refused", async () => {
    const events = deriveSubgraphKeys(SECRET, "events");
    expect(peerSubgraphs({ resources: resources.url }, signedAsPeer(events)).has("resources")).toBe(false);
    const refused = await post("{ caller }", askedBy("events", events.local));
    expect([refused.status, refused.body.errors?.[0]?.extensions?.code]).toEqual([401, "UNAUTHENTICATED"]);
  });

  test("a peer's key does not pass as the gateway's, nor the gateway's as a peer's", async () => {
    const groupsKey = deriveSubgraphKeys(SECRET, "groups").asks.resources;
    const asGateway = await post("{ caller }", (body) => ({
      [IDENTITY_HEADER]: signSubgraphRequest(coordinator, groupsKey, { subgraph: "resources", method: "POST", path: "/graphql", bodyDigest: bodyDigest(body) }),
    }));
    expect(asGateway.status).toBe(401);
    const gatewayKey = deriveSubgraphKeys(SECRET, "resources").gateway;
    expect((await post("{ caller }", askedBy("groups", gatewayKey))).status).toBe(401);
  });

  test("a peer may only ask queries: a mutation is refused before it runs, while the gateway's goes through", async () => {
    const groupsKey = deriveSubgraphKeys(SECRET, "groups").asks.resources;
    const refused = await post("mutation { change }", askedBy("groups", groupsKey));
    expect([refused.status, refused.body.errors?.[0]?.extensions?.code]).toEqual([403, "FORBIDDEN"]);
    expect(changes).toBe(0);
    const fromGateway = await post("mutation { change }", (body) => gatewaySignedHeaders(coordinator, SECRET, "resources", resources.url, body));
    expect(fromGateway.body.data).toEqual({ change: "changed 1" });
  });
});

describe("a subgraph process's keys", () => {
  const base = { DATA_DIR: "./data", MONGODB_DB: "t", IDENTITY_MAX_AGE_SECONDS: 60, SEED_DEMO_DATA: "false", PORT: 0, HOST: "127.0.0.1" } as const;
  const config = (env: Record<string, string>) => ({ ...base, ...env }) as unknown as Parameters<typeof subgraphKeysFrom>[0];

  test("production takes SUBGRAPH_KEYS and refuses to start from IDENTITY_SECRET, naming the variable", () => {
    const keys = deriveSubgraphKeys(SECRET, "emergency");
    expect(subgraphKeysFrom(config({ NODE_ENV: "production", SUBGRAPH_KEYS: encodeSubgraphKeys(keys) }), "emergency")).toEqual(keys);
    expect(() => subgraphKeysFrom(config({ NODE_ENV: "production", IDENTITY_SECRET: SECRET }), "emergency")).toThrow(
      /SUBGRAPH_KEYS: required in production: print it with `npm run subgraph-keys -- emergency`/,
    );
    expect(() => subgraphKeysFrom(config({ NODE_ENV: "production", SUBGRAPH_KEYS: encodeSubgraphKeys(keys) }), "groups")).toThrow(
      /SUBGRAPH_KEYS: keys of the emergency subgraph, not of groups/,
    );
  });

  test("outside production a subgraph run by hand derives its own keys from IDENTITY_SECRET", () => {
    expect(subgraphKeysFrom(config({ NODE_ENV: "development", IDENTITY_SECRET: SECRET }), "groups")).toEqual(deriveSubgraphKeys(SECRET, "groups"));
  });
});
