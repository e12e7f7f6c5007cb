// Test support: the fixture subgraphs (places, notes) started with startSubgraph on free ports, a gateway over them, and an HTTP client.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "graphql";
import { createLogger, gatewaySignedHeaders, startSubgraph } from "@tsunagu/service-kit";
import type { Identity, RequestContext, RunningService } from "@tsunagu/service-kit";
import { createGateway } from "../src/server";
import type { GatewayOptions } from "../src/server";
import { issueToken } from "../src/auth";
import type { JwtSettings, TokenRequest } from "../src/auth";

export const FIXTURE_SCHEMA_DIR = join(__dirname, "fixtures", "schema");

/** The URLs composed into the fixture supergraph; tests always override them with real ones. */
export function fixtureSubgraphUrl(name: string): string {
  return `http://${name}.invalid/graphql`;
}

export const TEST_IDENTITY_SECRET = "test-identity-secret-0123456789abcdef";
export const TEST_JWT: JwtSettings = {
  algorithm: "HS256",
  secret: "test-jwt-secret-0123456789abcdefghij",
  issuer: "tsunagu-test",
  audience: "tsunagu-test",
};

export const silentLogger = createLogger({ name: "test", level: "silent" });

/** The Authorization header of a user signed in with a token from TEST_JWT. */
export async function bearer(request: TokenRequest): Promise<Record<string, string>> {
  const token = await issueToken(request, { secret: TEST_JWT.secret as string, issuer: TEST_JWT.issuer, audience: TEST_JWT.audience });
  return { authorization: `Bearer ${token}` };
}

function fixtureSdl(name: string): string {
  return readFileSync(join(FIXTURE_SCHEMA_DIR, `${name}.graphql`), "utf8");
}

export function fixtureSupergraph(): string {
  return fixtureSdl("supergraph");
}

interface PlaceRow {
  id: string;
  name: string;
}

export const PLACES: readonly PlaceRow[] = [
  { id: "p1", name: "小松市地域包括支援センター" },
  { id: "p2", name: "つばさ訪問看護ステーション" },
  { id: "p3", name: "ほっとサロン日の出" },
];

/** The places subgraph: owns Place and echoes the identity and request id it received. */
export function startPlaces(secret: string = TEST_IDENTITY_SECRET): Promise<RunningService> {
  return startSubgraph<RequestContext>({
    name: "places",
    typeDefs: parse(fixtureSdl("places")),
    resolvers: {
      Query: {
        place: (_source: unknown, { id }: { id: string }) => PLACES.find((place) => place.id === id) ?? null,
        places: () => PLACES,
        whoami: (_source: unknown, _args: unknown, { identity, requestId }: RequestContext) => ({ ...identity, requestId }),
      },
      Place: {
        __resolveReference: ({ id }: { id: string }) => PLACES.find((place) => place.id === id) ?? null,
        neighbours: ({ id }: PlaceRow) => PLACES.filter((place) => place.id !== id),
      },
    },
    createContext: (base) => base,
    signingSecret: secret,
    logger: silentLogger,
  });
}

/** The notes subgraph: adds notes to Place; `slowNote` answers after a delay. */
export function startNotes(secret: string = TEST_IDENTITY_SECRET): Promise<RunningService> {
  return startSubgraph<RequestContext>({
    name: "notes",
    typeDefs: parse(fixtureSdl("notes")),
    resolvers: {
      Place: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        notes: ({ id }: { id: string }) => [`note on ${id}`],
        notedFor: (_place: unknown, _args: unknown, { identity }: RequestContext) => identity.role,
        slowNote: async (_place: unknown, { ms }: { ms: number }) => {
          await sleep(ms);
          return "late";
        },
      },
    },
    createContext: (base) => base,
    signingSecret: secret,
    logger: silentLogger,
  });
}

/** A gateway on a free port over the fixture supergraph, with the given subgraph URLs. */
export function startTestGateway(
  subgraphUrls: Record<string, string>,
  options: Pick<GatewayOptions, "apiKeys"> & Partial<GatewayOptions>,
): Promise<RunningService> {
  return createGateway({
    supergraphSdl: fixtureSupergraph(),
    subgraphUrls,
    port: 0,
    environment: "test",
    identitySecret: TEST_IDENTITY_SECRET,
    jwt: TEST_JWT,
    logger: silentLogger,
    ...options,
  });
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: GraphQLBody;
}

/** The parts of a GraphQL response body the tests read. */
export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

/** POSTs a GraphQL request as a client would (JSON), with extra headers. */
export function postGraphQL(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return send(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** POSTs a GraphQL request straight to the subgraph `subgraph` at `url`, signed as the gateway signs it (with the test secret unless given). */
export function postAsGateway(url: string, subgraph: string, body: unknown, identity: Identity, secret: string = TEST_IDENTITY_SECRET): Promise<HttpAnswer> {
  const text = JSON.stringify(body);
  return send(url, { method: "POST", headers: gatewaySignedHeaders(identity, secret, subgraph, url, text), body: text });
}

/** Any HTTP request, answered with status, headers and parsed body. */
export async function send(url: string, init: RequestInit): Promise<HttpAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: GraphQLBody;
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    body = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, headers: response.headers, body };
}

/** The `extensions.code` of each error in a body. */
export function codes(body: GraphQLBody): unknown[] {
  return (body.errors ?? []).map((error) => error.extensions?.code);
}
