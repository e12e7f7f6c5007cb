// Test support for the gateway's own tests: the fixture subgraphs (places, notes) started with startSubgraph on free ports and a gateway over them; the shared helpers come from @tsunagu/test-kit.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "graphql";
import { deriveSubgraphKeys, startSubgraph } from "@tsunagu/service-kit";
import type { RequestContext, RunningService } from "@tsunagu/service-kit";
import { TEST_IDENTITY_SECRET, TEST_JWT, signedIn, silentLogger } from "@tsunagu/test-kit";
import { createGateway } from "../src/server";
import type { GatewayOptions } from "../src/server";

export { TEST_IDENTITY_SECRET, TEST_JWT, testSubgraphKeys, codes, postAsGateway, postGraphQL, send, silentLogger } from "@tsunagu/test-kit";
export type { GraphQLBody, HttpAnswer } from "@tsunagu/test-kit";

export const FIXTURE_SCHEMA_DIR = join(__dirname, "fixtures", "schema");

/** The URLs composed into the fixture supergraph; tests always override them with real ones. */
export function fixtureSubgraphUrl(name: string): string {
  return `http://${name}.invalid/graphql`;
}

/** The Authorization header of a user signed in with a token from TEST_JWT. */
export const bearer = signedIn;

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

/** The places subgraph: owns Place, echoes the identity and request id it received, and counts visits (a mutation). */
export function startPlaces(secret: string = TEST_IDENTITY_SECRET): Promise<RunningService> {
  const visits = new Map<string, number>();
  return startSubgraph<RequestContext>({
    name: "places",
    typeDefs: parse(fixtureSdl("places")),
    resolvers: {
      Query: {
        place: (_source: unknown, { id }: { id: string }) => PLACES.find((place) => place.id === id) ?? null,
        places: () => PLACES,
        whoami: (_source: unknown, _args: unknown, { identity, requestId }: RequestContext) => ({ ...identity, requestId }),
      },
      Mutation: {
        visit: async (_source: unknown, { id, ms }: { id: string; ms: number }) => {
          await sleep(ms);
          const count = (visits.get(id) ?? 0) + 1;
          visits.set(id, count);
          return count;
        },
      },
      Place: {
        __resolveReference: ({ id }: { id: string }) => PLACES.find((place) => place.id === id) ?? null,
        neighbours: ({ id }: PlaceRow) => PLACES.filter((place) => place.id !== id),
      },
    },
    createContext: (base) => base,
    keys: deriveSubgraphKeys(secret, "places"),
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
    keys: deriveSubgraphKeys(secret, "notes"),
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
