// A GraphQL client as a real one calls the gateway (JSON over HTTP POST): typed documents give typed `data`, and the raw answer stays readable.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { gatewaySignedHeaders } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import { TEST_IDENTITY_SECRET } from "./tokens";

/** One GraphQL error as the tests read it. */
export interface GraphQLErrorBody {
  message: string;
  path?: Array<string | number>;
  extensions?: Record<string, unknown>;
}

/** The parts of a GraphQL response body the tests read. */
export interface GraphQLBody<TData = Record<string, unknown>> {
  data?: TData | null;
  errors?: GraphQLErrorBody[];
}

export interface HttpAnswer<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or an error naming the text when the body is not JSON. */
  body: GraphQLBody<TData>;
}

/** Any HTTP request, answered with status, headers and parsed body. */
export async function send<TData = Record<string, unknown>>(url: string, init: RequestInit): Promise<HttpAnswer<TData>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: GraphQLBody<TData>;
  try {
    body = JSON.parse(text) as GraphQLBody<TData>;
  } catch {
    body = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, headers: response.headers, body };
}

/** POSTs a GraphQL request as a client would (JSON), with extra headers. */
export function postGraphQL<TData = Record<string, unknown>>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer<TData>> {
  return send<TData>(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * POSTs a GraphQL request straight to subgraph `subgraph` at `url`, signed as the gateway signs it (bound to this
 * request, with the test secret unless given), as a test of the subgraph's own checks needs.
 */
export function postAsGateway<TData = Record<string, unknown>>(
  url: string,
  subgraph: string,
  body: unknown,
  identity: Identity,
  secret: string = TEST_IDENTITY_SECRET,
): Promise<HttpAnswer<TData>> {
  const text = JSON.stringify(body);
  return send<TData>(url, { method: "POST", headers: gatewaySignedHeaders(identity, secret, subgraph, url, text), body: text });
}

/** The `extensions.code` of each error in a body. */
export function codes(body: GraphQLBody<unknown>): unknown[] {
  return (body.errors ?? []).map((error) => error.extensions?.code);
}

/** Variables of a document: omitted when it has none. */
type VariablesArgument<TVariables> = Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

/** A client of one GraphQL endpoint with the headers of one caller (e.g. a token); `as()` gives another caller. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** The same endpoint with other headers added (e.g. `signedIn({ role: "EMS" })`). */
  as(headers: Readonly<Record<string, string>>): GraphQLClient {
    return new GraphQLClient(this.url, { ...this.headers, ...headers });
  }

  /** Sends `document` and returns the whole answer; `data` has the document's result type. */
  request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, ...[variables]: VariablesArgument<TVariables>): Promise<HttpAnswer<TData>> {
    return postGraphQL<TData>(this.url, { query: print(document), variables: variables ?? {} }, { ...this.headers });
  }

  /** Sends `document` and returns its data; an answer with errors or without data fails, naming the errors. */
  async data<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<TData> {
    const answer = await this.request(document, ...variables);
    if (answer.body.errors !== undefined || answer.body.data == null) {
      throw new Error(`GraphQL answered HTTP ${answer.status} with ${JSON.stringify(answer.body.errors ?? "no data")}`);
    }
    return answer.body.data;
  }

  /** Sends a query given as text (for documents that are not generated, such as the README's). */
  text(query: string, variables: Record<string, unknown> = {}): Promise<HttpAnswer> {
    return postGraphQL(this.url, { query, variables }, { ...this.headers });
  }
}
