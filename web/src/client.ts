// The pages' one GraphQL client: urql over the gateway's public /graphql with the typed documents of web/src/generated, POST only, no document cache (every answer comes from the network and nothing is kept on the device), the signed-in professional's token held in memory only, errors surfaced with their extensions.code.
import { Client, fetchExchange } from "@urql/core";
import type { AnyVariables, CombinedError, OperationResult, OperationResultSource } from "@urql/core";
import type { TypedDocumentString } from "./generated/graphql";

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

// Only the fetch exchange: urql's cacheExchange is left out, so no answer (patient data above all) is kept in memory for reuse.
const client = new Client({
  url: "/graphql",
  exchanges: [fetchExchange],
  requestPolicy: "network-only",
  // Always POST: a GET would put the variables (a name and a date of birth) in the URL, and so in logs.
  preferGetMethod: false,
  fetchOptions: () => ({
    cache: "no-store",
    headers: { accept: "application/json", ...(bearerToken === null ? {} : { authorization: `Bearer ${bearerToken}` }) },
  }),
});

/** The error a failed answer stands for: the first GraphQL error with its code, a dropped connection (NETWORK), or a server that answered with no data. */
function requestErrorOf(error: CombinedError): GraphQLRequestError {
  const first = error.graphQLErrors[0];
  if (first !== undefined) {
    const code = first.extensions["code"];
    return new GraphQLRequestError(first.message, typeof code === "string" ? code : "INTERNAL_SERVER_ERROR");
  }
  const status = (error.response as Response | undefined)?.status;
  // No response, or a body cut off after a successful status line: the connection dropped.
  if (status === undefined || (status >= 200 && status < 300)) return new GraphQLRequestError(NETWORK_MESSAGE, "NETWORK");
  return new GraphQLRequestError(`サーバーが応答しません（HTTP ${status}）`, "INTERNAL_SERVER_ERROR");
}

/** The data of the first result of `source`, or a GraphQLRequestError; `signal` aborting cancels the request (NETWORK). */
function firstResult<Data, Variables extends AnyVariables>(
  source: OperationResultSource<OperationResult<Data, Variables>>,
  signal?: AbortSignal,
): Promise<Data> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new GraphQLRequestError(NETWORK_MESSAGE, "NETWORK"));
      return;
    }
    let settled = false;
    let stop = () => {};
    const finish = (result: OperationResult<Data, Variables> | null) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      stop();
      if (result === null) reject(new GraphQLRequestError(NETWORK_MESSAGE, "NETWORK"));
      else if (result.error !== undefined) reject(requestErrorOf(result.error));
      else if (result.data == null) reject(new GraphQLRequestError("サーバーが応答しません", "INTERNAL_SERVER_ERROR"));
      else resolve(result.data);
    };
    // Unsubscribing makes urql abort the fetch.
    const onAbort = () => finish(null);
    signal?.addEventListener("abort", onAbort, { once: true });
    // A result delivered during subscribe() itself (settled already) is unsubscribed right after.
    const subscription = source.subscribe(finish);
    stop = () => subscription.unsubscribe();
    if (settled) stop();
  });
}

/** Runs a typed query; `signal` aborting it counts as a dropped connection. */
export function query<Data, Variables extends AnyVariables>(
  document: TypedDocumentString<Data, Variables>,
  variables: Variables,
  signal?: AbortSignal,
): Promise<Data> {
  return firstResult(client.query<Data, Variables>(document.toString(), variables), signal);
}

/** Runs a typed mutation; `signal` aborting it counts as a dropped connection. */
export function mutate<Data, Variables extends AnyVariables>(
  document: TypedDocumentString<Data, Variables>,
  variables: Variables,
  signal?: AbortSignal,
): Promise<Data> {
  return firstResult(client.mutation<Data, Variables>(document.toString(), variables), signal);
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
