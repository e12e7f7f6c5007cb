// startSubgraph through HTTP: signed identity required (401 otherwise), health endpoints open, per-request context, request ids, the identity claims an answer read, error masking, body limit.
import { parse } from "graphql";
import { badUserInput } from "../src/errors";
import { IDENTITY_HEADER, PUBLIC_IDENTITY, REQUEST_ID_HEADER, bodyDigest, gatewaySignedHeaders, signSubgraphRequest } from "../src/identity";
import { deriveSubgraphKeys, subgraphSigningKey } from "../src/subgraph-keys";
import type { Identity, RequestContext } from "../src/identity";
import { IDENTITY_READS_HEADER } from "../src/identity-reads";
import { createLogger } from "../src/logger";
import { startSubgraph } from "../src/subgraph-server";
import type { RunningService } from "../src/subgraph-server";

const SECRET = "subgraph-test-secret-0123456789abcdef";
const coordinator: Identity = { role: "COORDINATOR", authMethod: "jwt", subject: "c-1", scopes: [] };

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  "A thing (test entity)."
  type Thing @key(fields: "id") {
    "Identifier."
    id: ID!
  }
  "Test queries."
  type Query {
    "The caller's role, subject, request id and this request's context number."
    caller: String!
    "Fails with a coded error."
    refuse: String
    "Fails unexpectedly."
    crash: String
  }
`);

interface CountingContext extends RequestContext {
  contextNumber: number;
}

let contextsCreated = 0;
let subgraph: RunningService;

beforeAll(async () => {
  subgraph = await startSubgraph<CountingContext>({
    name: "things",
    typeDefs,
    resolvers: {
      Query: {
        caller: (_source: unknown, _args: unknown, { identity, requestId, contextNumber }: CountingContext) =>
          `${identity.role}/${identity.subject ?? "-"}/${requestId}/${contextNumber}`,
        refuse: () => {
          throw badUserInput("Category code is unknown", "filter.categories");
        },
        crash: () => {
          throw new Error("connect ECONNREFUSED 10.0.0.5:27017");
        },
      },
      Thing: { __resolveReference: ({ id }: { id: string }) => ({ id }) },
    },
    createContext: (base) => ({ ...base, contextNumber: ++contextsCreated }),
    keys: deriveSubgraphKeys(SECRET, "things"),
    logger: createLogger({ name: "things", level: "silent" }),
    readinessChecks: { always: async () => undefined },
    bodyLimit: 2048,
  });
});

afterAll(() => subgraph?.stop());

/** Headers for one request body (signatures cover the body). */
type HeadersFor = (body: string) => Record<string, string>;

async function call(query: string, headers: Record<string, string> | HeadersFor, url: string = subgraph.url) {
  const body = JSON.stringify({ query });
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(typeof headers === "function" ? headers(body) : headers) },
    body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const signed =
  (identity: Identity = coordinator): HeadersFor =>
  (body) =>
    gatewaySignedHeaders(identity, SECRET, "things", subgraph.url, body);
const signedAt =
  (nowMs: number): HeadersFor =>
  (body) => ({
    [IDENTITY_HEADER]: signSubgraphRequest(
      coordinator,
      subgraphSigningKey(SECRET, "things"),
      { subgraph: "things", method: "POST", path: "/graphql", bodyDigest: bodyDigest(body) },
      nowMs,
    ),
  });

test("the URL names the real port and the GraphQL path", () => {
  expect(subgraph.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
  expect(subgraph.url).not.toContain(":0/");
});

test("a signed request is served with the identity and request id in its context, one context per request", async () => {
  const first = await call("{ caller }", (body) => ({ ...signed()(body), [REQUEST_ID_HEADER]: "req-1" }));
  const second = await call("{ caller }", (body) => ({ ...signed(PUBLIC_IDENTITY)(body), [REQUEST_ID_HEADER]: "req-2" }));
  expect(first.status).toBe(200);
  expect(first.headers.get(REQUEST_ID_HEADER)).toBe("req-1");
  const [firstNumber, secondNumber] = [first, second].map((answer) => Number(String((answer.body.data as { caller: string }).caller).split("/")[3]));
  expect(first.body.data).toEqual({ caller: `COORDINATOR/c-1/req-1/${firstNumber}` });
  expect(second.body.data).toEqual({ caller: `PUBLIC/-/req-2/${secondNumber}` });
  expect(secondNumber).toBe(firstNumber + 1);
});

test("the answer names the claims of the identity its resolvers read, and only those", async () => {
  const caller = await call("{ caller }", signed());
  const nothing = await call("{ refuse }", signed());
  expect(caller.headers.get(IDENTITY_READS_HEADER)).toBe("role,subject");
  expect(nothing.headers.get(IDENTITY_READS_HEADER)).toBe("-");
});

test.each<[string, Record<string, string> | HeadersFor, string]>([
  ["unsigned", {}, "missing"],
  ["badly signed", (body) => gatewaySignedHeaders(coordinator, "some-other-secret-0123456789abcdefgh", "things", subgraph.url, body), "bad-signature"],
  ["for another subgraph", (body) => gatewaySignedHeaders(coordinator, SECRET, "others", subgraph.url, body), "bad-signature"],
  ["stale", signedAt(Date.now() - 120_000), "stale"],
  ["garbage", { [IDENTITY_HEADER]: "garbage" }, "malformed"],
])("an %s request is answered 401 UNAUTHENTICATED", async (_case, headers, reason) => {
  const answer = await call("{ caller }", headers);
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({
    errors: [{ message: `Subgraph things answers only the gateway (identity header ${reason})`, extensions: { code: "UNAUTHENTICATED" } }],
  });
});

test("/healthz and /readyz need no signature", async () => {
  const origin = new URL(subgraph.url).origin;
  const health = await fetch(`${origin}/healthz`);
  const ready = await fetch(`${origin}/readyz`);
  expect([health.status, ready.status]).toEqual([200, 200]);
  expect(((await ready.json()) as { checks: Record<string, { status: string }> }).checks.always?.status).toBe("ok");
});

test("a coded error keeps its message and field; an unexpected one is masked", async () => {
  const refused = await call("{ refuse }", signed());
  expect(refused.body.errors).toEqual([
    {
      message: "Category code is unknown",
      locations: [{ line: 1, column: 3 }],
      path: ["refuse"],
      extensions: { code: "BAD_USER_INPUT", field: "filter.categories" },
    },
  ]);
  const crashed = await call("{ crash }", signed());
  expect(crashed.body.errors).toEqual([
    { message: "Internal server error", locations: [{ line: 1, column: 3 }], path: ["crash"], extensions: { code: "INTERNAL_SERVER_ERROR" } },
  ]);
});

test("entities resolve through _entities", async () => {
  const answer = await call('{ _entities(representations: [{ __typename: "Thing", id: "t1" }]) { ... on Thing { id } } }', signed());
  expect(answer.body.data).toEqual({ _entities: [{ id: "t1" }] });
});

test("a body over the limit is answered 413 with BAD_USER_INPUT", async () => {
  const answer = await call(`{ caller } # ${"x".repeat(4096)}`, signed());
  expect(answer.status).toBe(413);
  expect(answer.body).toEqual({
    errors: [{ message: "Request body is larger than the limit of 2048 bytes", extensions: { code: "BAD_USER_INPUT" } }],
  });
});

test("introspection is off unless development", async () => {
  const answer = await call("{ __schema { queryType { name } } }", signed());
  expect(answer.status).toBe(400);
  expect((answer.body.errors as Array<{ extensions: { code: string } }>)[0]?.extensions.code).toBe("BAD_USER_INPUT");
});

test("stop() can be called twice and closes the port", async () => {
  const extra = await startSubgraph<RequestContext>({
    name: "extra",
    typeDefs,
    resolvers: {},
    createContext: (base) => base,
    keys: deriveSubgraphKeys(SECRET, "extra"),
    logger: createLogger({ name: "extra", level: "silent" }),
  });
  await Promise.all([extra.stop(), extra.stop()]);
  await expect(fetch(new URL("/healthz", extra.url))).rejects.toThrow();
});

test("a port already in use is reported, and nothing is left running", async () => {
  const taken = Number(new URL(subgraph.url).port);
  await expect(
    startSubgraph<RequestContext>({
      name: "clash",
      typeDefs,
      resolvers: {},
      createContext: (base) => base,
      keys: deriveSubgraphKeys(SECRET, "clash"),
      logger: createLogger({ name: "clash", level: "silent" }),
      port: taken,
    }),
  ).rejects.toThrow("EADDRINUSE");
});

test("a captured signed request is served once; replayed as it was, with another body or on another path it is refused", async () => {
  const body = JSON.stringify({ query: "{ caller }" });
  const headers = gatewaySignedHeaders(coordinator, SECRET, "things", subgraph.url, body);
  const post = async (url: string, sent: string) => {
    const response = await fetch(url, { method: "POST", headers, body: sent });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string }> } };
  };
  const contextsBefore = contextsCreated;
  expect((await post(subgraph.url, body)).status).toBe(200);
  const replays = [
    await post(subgraph.url, body),
    await post(subgraph.url, JSON.stringify({ query: "{ refuse }" })),
    await post(`${subgraph.url}?replay=1`, body),
  ];
  expect(replays.map((answer) => answer.status)).toEqual([401, 401, 401]);
  expect(replays.map((answer) => answer.body.errors?.[0]?.message)).toEqual([
    "Subgraph things answers only the gateway (identity header replayed)",
    "Subgraph things answers only the gateway (identity header wrong-request)",
    "Subgraph things answers only the gateway (identity header wrong-request)",
  ]);
  expect(replays.every((answer) => answer.body.data === undefined)).toBe(true);
  // Only the first request reached a resolver.
  expect(contextsCreated).toBe(contextsBefore + 1);
});
