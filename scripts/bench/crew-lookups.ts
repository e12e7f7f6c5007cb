// The crews' look-ups the benchmarks send: CREW_LOOKUP_QUERY through a gateway, its emergency-only part direct to the subgraph, from CREWS crews in turn.
import { issueToken } from "@tsunagu/gateway";
import { CREW_LOOKUP_QUERY } from "@tsunagu/emergency";
import type { Identity } from "@tsunagu/service-kit";
import type { LoadRequest } from "./load";

/** The crews the look-ups come from, in turn (each its own EMS identity). */
export const CREWS = 50;

/** The crew's view as the emergency subgraph alone can answer it: the other subgraphs' entities as bare references. */
export const CREW_DIRECT_QUERY = CREW_LOOKUP_QUERY.replace("primaryHospital { names { official } contact { phone } }", "primaryHospital { id }").replace(
  "careManager { name workContact { phone } }",
  "careManager { id }",
);
if (CREW_DIRECT_QUERY === CREW_LOOKUP_QUERY) throw new Error("CREW_LOOKUP_QUERY changed: update CREW_DIRECT_QUERY's replacements");

export const crewIdentity = (crew: number): Identity => ({ role: "EMS", authMethod: "jwt", subject: `bench-crew-${crew}`, scopes: [] });

/** One bearer token per crew, signed with the gateway's JWT settings. */
export function crewTokens(jwt: { secret: string; issuer: string; audience: string }): Promise<string[]> {
  return Promise.all(
    Array.from({ length: CREWS }, (_, crew) => issueToken({ role: "EMS", subject: crewIdentity(crew).subject as string, expiresIn: "2h" }, jwt)),
  );
}

/**
 * Requests from CREWS crews in turn: `bodyFor` gives each request's body for its crew, `headersFor` that crew's headers
 * for the body, `accept` checks an answer.
 */
export function fromCrewsInTurn(
  bodyFor: (crew: number) => string,
  headersFor: (crew: number, body: string) => Record<string, string>,
  accept: (text: string) => boolean,
): LoadRequest {
  let crew = -1;
  return {
    body: () => {
      crew = (crew + 1) % CREWS;
      return bodyFor(crew);
    },
    headers: (body) => headersFor(crew, body),
    accept,
  };
}

/** A random one of `values`. */
export const randomOf = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)];

/** Each look-up a random card code of `codes` from the next crew in turn; `headersFor` gives that crew's headers for the body. */
export function crewLookUps(query: string, codes: readonly string[], headersFor: (crew: number, body: string) => Record<string, string>): LoadRequest {
  return fromCrewsInTurn(
    (crew) =>
      JSON.stringify({ query, variables: { input: { cardCode: randomOf(codes), reason: "ベンチマーク（救急隊の照会）", incidentNumber: `BENCH-${crew}` } } }),
    headersFor,
    (text) => !text.includes('"errors"') && text.includes('"outcome":"ALLOWED"'),
  );
}
