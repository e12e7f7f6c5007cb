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

interface GraphQLAnswer<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Sends `query` with `variables` to /graphql on this origin and returns its data, or throws a GraphQLRequestError. */
export async function requestGraphQL<Data>(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...(bearerToken === null ? {} : { authorization: `Bearer ${bearerToken}` }) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new GraphQLRequestError("サーバーに接続できません。通信環境を確かめてください。", "NETWORK");
  }
  const answer = (await response.json().catch(() => ({}))) as GraphQLAnswer<Data>;
  const firstError = answer.errors?.[0];
  if (firstError !== undefined) throw new GraphQLRequestError(firstError.message, firstError.extensions?.code ?? "INTERNAL_SERVER_ERROR");
  if (answer.data == null) throw new GraphQLRequestError(`サーバーが応答しません（HTTP ${response.status}）`, "INTERNAL_SERVER_ERROR");
  return answer.data;
}
