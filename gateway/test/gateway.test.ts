// The gateway through HTTP as a client: identity forwarding, authentication, API keys, limits, CSRF, body size, rate limits, request ids, partial results.
import { connectMongo } from "@tsunagu/service-kit";
import type { MongoHandle, RunningService } from "@tsunagu/service-kit";
import { issueToken } from "../src/auth";
import { createApiKey, mongoApiKeyStore } from "../src/api-keys";
import type { ApiKeyStore } from "../src/api-keys";
import { ClientRateLimiter } from "../src/rate-limit";
import { TEST_JWT, codes, postGraphQL, send, silentLogger, startNotes, startPlaces, startTestGateway } from "./helpers";

const WHOAMI = "{ whoami { role authMethod subject displayName profession organizationId scopes requestId } }";

let mongo: MongoHandle;
let apiKeys: ApiKeyStore;
let places: RunningService;
let notes: RunningService;
let gateway: RunningService;

function token(overrides: Partial<Parameters<typeof issueToken>[0]> = {}): Promise<string> {
  return issueToken(
    { role: "PROFESSIONAL", subject: "user-1", profession: "看護師", displayName: "山田 花子", ...overrides },
    { secret: TEST_JWT.secret as string, issuer: TEST_JWT.issuer, audience: TEST_JWT.audience },
  );
}

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "gateway-test", logger: silentLogger });
  apiKeys = await mongoApiKeyStore(mongo.connection);
  places = await startPlaces();
  notes = await startNotes();
  gateway = await startTestGateway({ places: places.url, notes: notes.url }, { apiKeys });
});

afterAll(async () => {
  await gateway?.stop();
  await places?.stop();
  await notes?.stop();
  await mongo?.close();
});

describe("identity", () => {
  test("a request without credentials is PUBLIC and spans both subgraphs", async () => {
    const answer = await postGraphQL(gateway.url, { query: '{ place(id: "p2") { name notes notedFor } whoami { role authMethod scopes } }' });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toEqual({
      place: { name: "つばさ訪問看護ステーション", notes: ["note on p2"], notedFor: "PUBLIC" },
      whoami: { role: "PUBLIC", authMethod: "none", scopes: [] },
    });
  });

  test("a valid JWT's role, profession and subject reach the subgraph", async () => {
    const answer = await postGraphQL(gateway.url, { query: WHOAMI }, { authorization: `Bearer ${await token({ organizationId: "org-9" })}` });
    expect(answer.body.data?.whoami).toMatchObject({
      role: "PROFESSIONAL",
      authMethod: "jwt",
      subject: "user-1",
      displayName: "山田 花子",
      profession: "看護師",
      organizationId: "org-9",
      scopes: [],
    });
  });

  test("the role reaches a subgraph resolving entities too", async () => {
    const answer = await postGraphQL(gateway.url, { query: '{ place(id: "p1") { notedFor } }' }, { authorization: `Bearer ${await token({ role: "EMS" })}` });
    expect(answer.body.data).toEqual({ place: { notedFor: "EMS" } });
  });

  test("an expired JWT is refused with 401 UNAUTHENTICATED, not served as PUBLIC", async () => {
    const answer = await postGraphQL(gateway.url, { query: WHOAMI }, { authorization: `Bearer ${await token({ expiresIn: "-10m" })}` });
    expect(answer.status).toBe(401);
    expect(codes(answer.body)).toEqual(["UNAUTHENTICATED"]);
    expect(answer.body.errors?.[0]?.message).toBe("Invalid bearer token: the token has expired");
    expect(answer.body.data).toBeUndefined();
  });

  test.each([
    ["garbage", "Bearer not.a.jwt", "Invalid bearer token: the token is malformed"],
    ["not a bearer", "Basic dXNlcjpwYXNz", "The Authorization header must be `Bearer <token>`"],
  ])("a %s Authorization header is refused", async (_case, authorization, message) => {
    const answer = await postGraphQL(gateway.url, { query: WHOAMI }, { authorization });
    expect(answer.status).toBe(401);
    expect(answer.body.errors).toEqual([{ message, extensions: { code: "UNAUTHENTICATED" } }]);
  });

  test("a JWT signed with another secret or for another audience is refused", async () => {
    const forged = await issueToken(
      { role: "ADMIN", subject: "intruder" },
      { secret: "another-secret-that-is-long-enough-000", issuer: TEST_JWT.issuer, audience: TEST_JWT.audience },
    );
    const elsewhere = await issueToken(
      { role: "ADMIN", subject: "intruder" },
      { secret: TEST_JWT.secret as string, issuer: TEST_JWT.issuer, audience: "another-service" },
    );
    const forgedAnswer = await postGraphQL(gateway.url, { query: WHOAMI }, { authorization: `Bearer ${forged}` });
    const elsewhereAnswer = await postGraphQL(gateway.url, { query: WHOAMI }, { authorization: `Bearer ${elsewhere}` });
    expect(forgedAnswer.body.errors?.[0]?.message).toBe("Invalid bearer token: the signature does not verify");
    expect(elsewhereAnswer.body.errors?.[0]?.message).toBe("Invalid bearer token: claim aud is invalid (check_failed)");
    expect([forgedAnswer.status, elsewhereAnswer.status]).toEqual([401, 401]);
  });

  test("an API key's owner and scopes are forwarded as a VENDOR identity", async () => {
    const { key, record } = await createApiKey(apiKeys, { owner: "Vendor K.K.", scopes: ["resources:read", "resources:write"] });
    const answer = await postGraphQL(gateway.url, { query: WHOAMI }, { "x-api-key": key });
    expect(answer.body.data?.whoami).toMatchObject({
      role: "VENDOR",
      authMethod: "apiKey",
      subject: record.id,
      displayName: "Vendor K.K.",
      scopes: ["resources:read", "resources:write"],
    });
  });

  test("an unknown or revoked API key is refused", async () => {
    const { key, record } = await createApiKey(apiKeys, { owner: "Old Vendor", scopes: ["resources:read"] });
    expect(await apiKeys.revoke(record.id)).toBe(true);
    const revoked = await postGraphQL(gateway.url, { query: WHOAMI }, { "x-api-key": key });
    const unknown = await postGraphQL(gateway.url, { query: WHOAMI }, { "x-api-key": `tsk_${"A".repeat(43)}` });
    for (const answer of [revoked, unknown]) {
      expect(answer.status).toBe(401);
      expect(answer.body.errors).toEqual([{ message: "Unknown or revoked API key", extensions: { code: "UNAUTHENTICATED" } }]);
    }
  });

  test("a request id is returned and reaches the subgraph; a client's own id is kept", async () => {
    const generated = await postGraphQL(gateway.url, { query: "{ whoami { requestId } }" });
    const generatedId = generated.headers.get("x-request-id");
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.body.data).toEqual({ whoami: { requestId: generatedId } });

    const own = await postGraphQL(gateway.url, { query: "{ whoami { requestId } }" }, { "x-request-id": "portal-42.a" });
    expect(own.headers.get("x-request-id")).toBe("portal-42.a");
    expect(own.body.data).toEqual({ whoami: { requestId: "portal-42.a" } });
  });
});

describe("limits", () => {
  let strict: RunningService;
  beforeAll(async () => {
    strict = await startTestGateway(
      { places: places.url, notes: notes.url },
      { apiKeys, limits: { maxDepth: 3, maxAliases: 2, maxCost: 20, maxTokens: 60, maxDirectives: 3 } },
    );
  });
  afterAll(() => strict?.stop());

  test("a query within every configured limit is served", async () => {
    const answer = await postGraphQL(strict.url, { query: "{ places { id name neighbours { id } } }" });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
  });

  test.each([
    ["depth", "{ places { neighbours { neighbours { id } } } }", "Query depth limit of 3 exceeded, found 4."],
    ["aliases", "{ a: places { id } b: places { id } c: places { id } }", "Aliases limit of 2 exceeded, found 3."],
    ["cost", "{ a: places { id name neighbours { id name } } b: places { id name neighbours { id name } } }", "Query Cost limit of 20 exceeded, found 25."],
    [
      "directives",
      "{ places { id @include(if: true) name @include(if: true) neighbours @skip(if: false) { id @include(if: true) } } }",
      "Directives limit of 3 exceeded, found 4.",
    ],
  ])("%s over the limit is refused with BAD_USER_INPUT naming the limit", async (limit, query, message) => {
    const answer = await postGraphQL(strict.url, { query });
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toEqual([{ message, extensions: { code: "BAD_USER_INPUT", limit } }]);
  });

  test("too many tokens is refused by the parser with BAD_USER_INPUT", async () => {
    const answer = await postGraphQL(strict.url, { query: `{ places { ${"id ".repeat(60)} } }` });
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.errors?.[0]?.message).toMatch(/^Syntax Error: Document contains more th\w+ 60 tokens\. Parsing aborted\.$/);
  });

  test("the default limits apply when none are configured", async () => {
    const nested = (depth: number) => `{ places { ${"neighbours { ".repeat(depth)}id${" }".repeat(depth)} } }`;
    const within = await postGraphQL(gateway.url, { query: nested(8) });
    const over = await postGraphQL(gateway.url, { query: nested(10) });
    expect(within.body.errors).toBeUndefined();
    expect(over.body.errors?.[0]?.message).toBe("Query depth limit of 10 exceeded, found 12.");
  });

  test("a batched request is refused", async () => {
    const answer = await postGraphQL(strict.url, [{ query: "{ places { id } }" }, { query: "{ places { id } }" }]);
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.errors?.[0]?.message).toBe("Operation batching disabled.");
  });

  test("a simple GET without a preflight header is refused as possible CSRF", async () => {
    const answer = await send(`${gateway.url}?query=${encodeURIComponent("{ places { id } }")}`, { method: "GET" });
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.errors?.[0]?.message).toContain("Cross-Site Request Forgery");
  });

  test("a text/plain POST is refused as possible CSRF", async () => {
    const answer = await send(gateway.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ places { id } }" }),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.message).toContain("Cross-Site Request Forgery");
  });

  test("a GET with the preflight header is served", async () => {
    const answer = await send(`${gateway.url}?query=${encodeURIComponent('{ place(id: "p3") { name } }')}`, {
      method: "GET",
      headers: { "apollo-require-preflight": "true" },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ place: { name: "ほっとサロン日の出" } });
  });

  test("a body over 100 kB is refused with 413", async () => {
    const query = `{ places { id } } # ${"x".repeat(110 * 1024)}`;
    const answer = await postGraphQL(gateway.url, { query });
    expect(answer.status).toBe(413);
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.errors?.[0]?.message).toBe("Request body is larger than the limit of 102400 bytes");
  });

  test("a body that is not JSON is refused with 400", async () => {
    const answer = await postGraphQL(gateway.url, "{ not json");
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ message: "Request body is not valid JSON", extensions: { code: "BAD_USER_INPUT" } }]);
  });

  test("introspection is available outside production", async () => {
    const answer = await postGraphQL(gateway.url, { query: "{ __schema { queryType { name } } }" });
    expect(answer.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });
});

describe("production", () => {
  let production: RunningService;
  beforeAll(async () => {
    production = await startTestGateway({ places: places.url, notes: notes.url }, { apiKeys, environment: "production" });
  });
  afterAll(() => production?.stop());

  test("introspection is refused", async () => {
    const answer = await postGraphQL(production.url, { query: "{ __schema { queryType { name } } }" });
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.errors?.[0]?.message).toContain("introspection is not allowed");
  });

  test("there is no landing page, and field suggestions are hidden", async () => {
    const page = await fetch(production.url, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).not.toContain("text/html");
    const outside = await fetch(gateway.url, { headers: { accept: "text/html" } });
    expect(outside.headers.get("content-type")).toContain("text/html");

    const typo = await postGraphQL(production.url, { query: "{ places { nme } }" });
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "nme" on type "Place".');
    // Only NODE_ENV=development shows graphql-js's hints; this gateway runs under NODE_ENV=test.
    const typoOutside = await postGraphQL(gateway.url, { query: "{ places { nme } }" });
    expect(typoOutside.body.errors?.[0]?.message).toBe('Cannot query field "nme" on type "Place".');
  });
});

describe("health", () => {
  test("/healthz answers while the process runs and /readyz checks each subgraph", async () => {
    const origin = new URL(gateway.url).origin;
    const health = await fetch(`${origin}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${origin}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe("ok");
    expect(Object.keys(body.checks).sort()).toEqual(["subgraph:notes", "subgraph:places"]);
  });
});

describe("rate limiting", () => {
  test("requests over the burst are refused with 429, RATE_LIMITED and Retry-After; other callers are not affected", async () => {
    const limited = await startTestGateway(
      { places: places.url, notes: notes.url },
      // 2 requests per window of 2 / 0.01 = 200 seconds.
      { apiKeys, rateLimiter: new ClientRateLimiter({ burst: 2, perSecond: 0.01 }) },
    );
    try {
      const query = { query: "{ places { id } }" };
      const first = await postGraphQL(limited.url, query);
      const second = await postGraphQL(limited.url, query);
      const third = await postGraphQL(limited.url, query);
      expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
      expect(first.headers.get("ratelimit-remaining")).toBe("1");
      expect(codes(third.body)).toEqual(["RATE_LIMITED"]);
      expect(third.body.errors?.[0]?.extensions?.retryAfterSeconds).toBe(200);
      expect(third.headers.get("retry-after")).toBe("200");

      const { key } = await createApiKey(apiKeys, { owner: "Busy Vendor", scopes: ["resources:read"] });
      const byKey = await postGraphQL(limited.url, query, { "x-api-key": key });
      const byUser = await postGraphQL(limited.url, query, { authorization: `Bearer ${await token()}` });
      expect([byKey.status, byUser.status]).toEqual([200, 200]);
    } finally {
      await limited.stop();
    }
  });
});

describe("resilience", () => {
  test("a subgraph slower than the timeout yields partial data and an error naming it", async () => {
    // The deadline leaves the places subgraph ample time on a busy machine; only the slow note misses it.
    const impatient = await startTestGateway({ places: places.url, notes: notes.url }, { apiKeys, subgraphTimeoutMs: 2000 });
    try {
      const answer = await postGraphQL(impatient.url, { query: '{ place(id: "p1") { name slowNote(ms: 6000) } }' });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ place: { name: "小松市地域包括支援センター", slowNote: null } });
      expect(answer.body.errors).toEqual([
        {
          message: "The notes service did not answer within 2000 ms",
          path: ["place", "slowNote"],
          extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "notes" },
        },
      ]);
    } finally {
      await impatient.stop();
    }
  });

  test("a stopped subgraph yields partial data and an error naming it; the gateway keeps answering", async () => {
    const doomed = await startNotes();
    const resilient = await startTestGateway({ places: places.url, notes: doomed.url }, { apiKeys });
    try {
      const before = await postGraphQL(resilient.url, { query: '{ place(id: "p1") { name notes } }' });
      expect(before.body.data).toEqual({ place: { name: "小松市地域包括支援センター", notes: ["note on p1"] } });

      await doomed.stop();
      const during = await postGraphQL(resilient.url, { query: '{ place(id: "p1") { name slowNote(ms: 0) } }' });
      expect(during.status).toBe(200);
      expect(during.body.data).toEqual({ place: { name: "小松市地域包括支援センター", slowNote: null } });
      expect(during.body.errors).toEqual([
        expect.objectContaining({
          message: "The notes service is unavailable",
          path: ["place", "slowNote"],
          extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "notes" },
        }),
      ]);

      const after = await postGraphQL(resilient.url, { query: '{ place(id: "p2") { name } }' });
      expect(after.body).toEqual({ data: { place: { name: "つばさ訪問看護ステーション" } } });

      const ready = await fetch(`${new URL(resilient.url).origin}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { failing: string[] }).failing).toEqual(["subgraph:notes"]);
    } finally {
      await resilient.stop();
    }
  });
});
