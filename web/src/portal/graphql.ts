// The portal's GraphQL client: one POST to the gateway's public /graphql (with the signed-in professional's token, held in memory only), errors surfaced with their code and message.

/** The bearer token of a signed-in professional; never written to storage, gone with the tab. */
let bearerToken: string | null = null;

/** Signs in with `token` (sent on every request from now on), or signs out with null. */
export function setBearerToken(token: string | null): void {
  bearerToken = token;
}

/** An answer's error, carrying the server's `extensions.code` (BAD_USER_INPUT, RATE_LIMITED, ...) or NETWORK. */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const NETWORK_MESSAGE = "サーバーに接続できません。通信環境を確かめてください。";

interface GraphQLAnswer<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

function parseAnswer<Data>(body: string): GraphQLAnswer<Data> {
  try {
    return JSON.parse(body) as GraphQLAnswer<Data>;
  } catch {
    return {};
  }
}

/** Sends `query` with `variables` to /graphql on this origin and returns its data, or throws a GraphQLRequestError (NETWORK also when `signal` aborts it). */
export async function requestGraphQL<Data>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Data> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...(bearerToken === null ? {} : { authorization: `Bearer ${bearerToken}` }) },
      body: JSON.stringify({ query, variables }),
      cache: "no-store",
      signal,
    });
  } catch {
    throw new GraphQLRequestError(NETWORK_MESSAGE, "NETWORK");
  }
  let body: string;
  try {
    body = await response.text();
  } catch {
    // A body cut off after the headers arrived is a dropped connection too.
    throw new GraphQLRequestError(NETWORK_MESSAGE, "NETWORK");
  }
  const answer = parseAnswer<Data>(body);
  const firstError = answer.errors?.[0];
  if (firstError !== undefined) throw new GraphQLRequestError(firstError.message, firstError.extensions?.code ?? "INTERNAL_SERVER_ERROR");
  if (answer.data == null) throw new GraphQLRequestError(`サーバーが応答しません（HTTP ${response.status}）`, "INTERNAL_SERVER_ERROR");
  return answer.data;
}

/** The role and name a token claims, read for display only (the gateway verifies the token on every request); null when it is not a JWT. */
export function tokenClaims(token: string): { role: string; name?: string } | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const json = new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0)));
    const claims = JSON.parse(json) as { role?: unknown; name?: unknown };
    return typeof claims.role === "string" ? { role: claims.role, ...(typeof claims.name === "string" ? { name: claims.name } : {}) } : null;
  } catch {
    return null;
  }
}
