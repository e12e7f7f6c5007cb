// How the gateway reaches subgraphs: their names and URLs from the supergraph (overridable), signed identity on every call, a timeout, and failures turned into errors naming the service.
import { RemoteGraphQLDataSource } from "@apollo/gateway";
import type { GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import type { FetcherRequestInit, FetcherResponse } from "@apollo/utils.fetcher";
import { GraphQLError, Kind, parse } from "graphql";
import type { GraphQLFormattedError } from "graphql";
import { IDENTITY_HEADER, PUBLIC_IDENTITY, REQUEST_ID_HEADER, internalError, isErrorCode, signIdentity } from "@tsunagu/service-kit";
import type { Logger, ReadinessCheck, RequestContext } from "@tsunagu/service-kit";
import { failurePath } from "./failure-path";

/** One subgraph as the gateway calls it. */
export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** The subgraphs named in a supergraph's `join__Graph` enum, with the URLs composed into it. */
export function subgraphsOfSupergraph(supergraphSdl: string): SubgraphEndpoint[] {
  const graphEnum = parse(supergraphSdl).definitions.find(
    (definition) => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === "join__Graph",
  );
  if (graphEnum === undefined || graphEnum.kind !== Kind.ENUM_TYPE_DEFINITION) {
    throw new Error("The supergraph has no join__Graph enum; compose it with `npm run compose`");
  }
  return (graphEnum.values ?? []).map((value) => {
    const args = value.directives?.find((directive) => directive.name.value === "join__graph")?.arguments ?? [];
    const argument = (name: string) => {
      const node = args.find((arg) => arg.name.value === name)?.value;
      if (node?.kind !== Kind.STRING) throw new Error(`join__Graph.${value.name.value} has no @join__graph(${name}:)`);
      return node.value;
    };
    return { name: argument("name"), url: argument("url") };
  });
}

/**
 * The supergraph's subgraphs with `overrides` (name → URL) applied.
 * @throws Error when an override names a subgraph the supergraph does not have.
 */
export function resolveSubgraphEndpoints(supergraphSdl: string, overrides: Readonly<Record<string, string>>): SubgraphEndpoint[] {
  const endpoints = subgraphsOfSupergraph(supergraphSdl);
  const known = new Set(endpoints.map((endpoint) => endpoint.name));
  const unknown = Object.keys(overrides).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`Subgraph URL given for ${unknown.join(", ")}, but the supergraph has only ${[...known].join(", ")}`);
  }
  return endpoints.map(({ name, url }) => ({ name, url: overrides[name] ?? url }));
}

/** GET `<subgraph origin>/healthz` answers 200 within `timeoutMs`. */
export function subgraphHealthCheck(endpoint: SubgraphEndpoint, timeoutMs: number): ReadinessCheck {
  const healthUrl = new URL("/healthz", endpoint.url).toString();
  return async () => {
    const response = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`${endpoint.name} /healthz answered HTTP ${response.status}`);
  };
}

/** `fetch` with a deadline, shaped as the fetcher RemoteGraphQLDataSource expects. */
function fetchWithTimeout(timeoutMs: number) {
  return (url: string, init?: FetcherRequestInit): Promise<FetcherResponse> =>
    fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** Checks an error's name without instanceof (fetch's DOMException may come from another realm). */
function isNamed(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}

/** The client request's context, for calls made on behalf of a client (not health checks or schema loading). */
function incomingContext(options: GraphQLDataSourceProcessOptions<RequestContext>): RequestContext | undefined {
  return "incomingRequestContext" in options ? options.context : undefined;
}

export interface SignedSubgraphDataSourceOptions extends SubgraphEndpoint {
  identitySecret: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * A subgraph data source that signs the caller's identity into every request, forwards the request
 * id, gives up after `timeoutMs`, and turns a failed call into an error with `serviceName`, so the
 * gateway answers with the data it has from the other subgraphs.
 */
export class SignedSubgraphDataSource extends RemoteGraphQLDataSource<RequestContext> {
  private readonly options: SignedSubgraphDataSourceOptions;

  constructor(options: SignedSubgraphDataSourceOptions) {
    super({ url: options.url, fetcher: fetchWithTimeout(options.timeoutMs) });
    this.options = options;
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<RequestContext>): void {
    const headers = options.request.http?.headers;
    if (headers === undefined) return;
    const incoming = incomingContext(options);
    headers.set(IDENTITY_HEADER, signIdentity(incoming?.identity ?? PUBLIC_IDENTITY, this.options.identitySecret));
    if (incoming !== undefined) headers.set(REQUEST_ID_HEADER, incoming.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RequestContext>): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const { name } = this.options;
      const logger = incomingContext(options)?.logger ?? this.options.logger;
      logger.warn({ err: error, serviceName: name }, "subgraph call failed");
      const path = failurePath("document" in options ? options.document : undefined, options.request.query);
      return { errors: [{ ...internalError(this.describeFailure(error), { serviceName: name }).toJSON(), ...(path === undefined ? {} : { path }) }] };
    }
  }

  private describeFailure(error: unknown): string {
    const { name, timeoutMs } = this.options;
    if (isNamed(error, "TimeoutError")) return `The ${name} service did not answer within ${timeoutMs} ms`;
    const status = error instanceof GraphQLError ? (error.extensions.response as { status?: unknown } | undefined)?.status : undefined;
    if (typeof status === "number") return `The ${name} service answered HTTP ${status}`;
    return `The ${name} service is unavailable`;
  }
}

/** Apollo's `formatError` signature. */
type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * Wraps the gateway's `formatError` so that a subgraph's coded error (FORBIDDEN from the owner's
 * access rules, NOT_FOUND, ...) reaches the client as the subgraph wrote it. @apollo/gateway relays
 * it with the subgraph's JSON as `originalError`, which `format` would take for an unexpected error
 * and mask; subgraphs mask their own unexpected errors already.
 */
export function keepRelayedSubgraphErrors(format: FormatError): FormatError {
  return (formatted, error) => {
    const relayed =
      error instanceof GraphQLError &&
      typeof error.extensions.serviceName === "string" &&
      isErrorCode(error.extensions.code) &&
      error.originalError !== undefined &&
      !(error.originalError instanceof Error);
    return format(formatted, relayed ? new GraphQLError(error.message, { extensions: error.extensions }) : error);
  };
}
