// How the gateway reaches subgraphs: their names and URLs from the supergraph (overridable), identical in-flight reads of one identity merged, an identity signed for each request, a lane (deadline and concurrency) and a connection pool per subgraph, and failures turned into errors naming the service.
import { AsyncLocalStorage } from "node:async_hooks";
import { RemoteGraphQLDataSource } from "@apollo/gateway";
import type { GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import type { FetcherRequestInit, FetcherResponse } from "@apollo/utils.fetcher";
import { GraphQLError, Kind, parse } from "graphql";
import type { GraphQLFormattedError } from "graphql";
import {
  IDENTITY_CLAIMS,
  IDENTITY_HEADER,
  IDENTITY_READS_HEADER,
  IdentityReadLog,
  PUBLIC_IDENTITY,
  REQUEST_ID_HEADER,
  bodyDigest,
  internalError,
  isErrorCode,
  parseIdentityReads,
  signSubgraphRequest,
  subgraphSigningKey,
} from "@tsunagu/service-kit";
import type { Identity, Logger, ReadinessCheck, RequestContext } from "@tsunagu/service-kit";
import { failurePath } from "./failure-path";
import { subgraphPool } from "./subgraph-client";
import type { SubgraphPool } from "./subgraph-client";

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

/** What RemoteGraphQLDataSource calls to send a request. */
export type SubgraphFetcher = (url: string, init?: FetcherRequestInit) => Promise<FetcherResponse>;

/** A subgraph's own budget at the gateway, so that a busy subgraph never holds up another one's calls. */
export interface SubgraphLane {
  /** How long one call may take, waiting for a free place included. */
  timeoutMs: number;
  /** Calls in flight at once; more wait in order for a free place within the deadline. */
  maxConcurrent: number;
}

/** Rejects when `signal` aborts (with its reason, a TimeoutError for AbortSignal.timeout). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

/**
 * Gives each call the lane's deadline (`init.signal`) and lets at most `lane.maxConcurrent` calls through
 * `send` at once; the others wait in order and give up when the deadline passes before their turn.
 */
export function laneFetcher(lane: SubgraphLane, send: SubgraphFetcher): SubgraphFetcher {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  /** A finished call's place goes straight to the next waiting caller, or is freed. */
  const passOn = (): void => {
    const next = waiting.shift();
    if (next === undefined) inFlight--;
    else next();
  };
  return async (url, init) => {
    const deadline = AbortSignal.timeout(lane.timeoutMs);
    if (inFlight >= lane.maxConcurrent) {
      let admit = (): void => undefined;
      const turn = new Promise<void>((resolve) => {
        admit = resolve;
        waiting.push(resolve);
      });
      try {
        await Promise.race([turn, untilAborted(deadline)]);
      } catch (error) {
        const index = waiting.indexOf(admit);
        if (index >= 0) waiting.splice(index, 1);
        else passOn(); // admitted at the same moment the deadline passed: the place goes on
        throw error;
      }
    } else {
      inFlight++;
    }
    try {
      return await send(url, { ...init, signal: deadline });
    } finally {
      passOn();
    }
  };
}

/** Whom a subgraph call is made for, and whether an identical call in flight may answer it too. */
interface SubgraphCall {
  identity: Identity;
  /** A client's query (never a mutation) to a subgraph whose reads need not each be sent, audited and signed on their own. */
  mergeable: boolean;
}

/** The call being made, from `process` to the fetchers (which alone know the exact bytes sent). */
const calls = new AsyncLocalStorage<SubgraphCall>();

const PUBLIC_CALL: SubgraphCall = Object.freeze({ identity: PUBLIC_IDENTITY, mergeable: false });

/**
 * Signs each request as it is sent: the caller's identity, bound to this subgraph, the method, the path
 * and the digest of the exact body, with a fresh nonce (see `signSubgraphRequest`).
 */
export function signingFetcher(subgraph: string, key: Buffer, send: SubgraphFetcher): SubgraphFetcher {
  return (url, init = {}) => {
    const body = typeof init.body === "string" ? init.body : "";
    const { pathname, search } = new URL(url);
    const identity = (calls.getStore() ?? PUBLIC_CALL).identity;
    const signature = signSubgraphRequest(identity, key, {
      subgraph,
      method: init.method ?? "GET",
      path: `${pathname}${search}`,
      bodyDigest: bodyDigest(body),
    });
    return send(url, { ...init, headers: { ...init.headers, [IDENTITY_HEADER]: signature } });
  };
}

/**
 * Joins a mergeable call to an identical one still in flight (same identity, same URL, same exact body) instead of
 * sending it again: one request goes out, signed once, and every caller reads the same answer (answers from
 * `subgraphPool` can be read by each). Calls that are not mergeable always go out on their own.
 */
export function mergingFetcher(send: SubgraphFetcher): SubgraphFetcher {
  const inFlight = new Map<string, Promise<FetcherResponse>>();
  return (url, init = {}) => {
    const call = calls.getStore();
    if (call?.mergeable !== true || typeof init.body !== "string") return send(url, init);
    const key = `${JSON.stringify(call.identity)}\n${url}\n${init.body}`;
    const pending = inFlight.get(key);
    if (pending !== undefined) return pending;
    const sent = send(url, init).finally(() => inFlight.delete(key));
    inFlight.set(key, sent);
    return sent;
  };
}

/** True for a subgraph operation that only reads (the query planner writes one operation, its keyword first or `{`). */
function isQueryOperation(operation: string | undefined): boolean {
  return operation !== undefined && /^\s*(?:query\b|\{)/.test(operation);
}

/** Checks an error's name without instanceof (fetch's DOMException may come from another realm). */
function isNamed(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}

/** The operation's IdentityReadLog, when whoever ran it asked for one. */
function identityReadLogOf(context: RequestContext | undefined): IdentityReadLog | undefined {
  const log = (context as { identityReads?: unknown } | undefined)?.identityReads;
  return log instanceof IdentityReadLog ? log : undefined;
}

/** The client request's context, for calls made on behalf of a client (not health checks or schema loading). */
function incomingContext(options: GraphQLDataSourceProcessOptions<RequestContext>): RequestContext | undefined {
  return "incomingRequestContext" in options ? options.context : undefined;
}

export interface SignedSubgraphDataSourceOptions extends SubgraphEndpoint {
  /** IDENTITY_SECRET; this data source signs with the key derived from it for `name`. */
  identitySecret: string;
  lane: SubgraphLane;
  /** Merge identical in-flight queries of one identity; false where every read must reach the subgraph to be audited and signed on its own. */
  mergeInFlight: boolean;
  /** Reads here are audited per person: an answer counts as depending on the whole identity, so it is never given to anyone else. */
  audited: boolean;
  logger: Logger;
}

/**
 * A subgraph data source that merges identical in-flight queries of one identity (where allowed), signs the
 * caller's identity into every request, forwards the request id, keeps to the subgraph's lane (deadline,
 * concurrency) over a pool of kept-alive connections, and turns a failed call into an error with `serviceName`,
 * so the gateway answers with the data it has from the other subgraphs.
 */
export class SignedSubgraphDataSource extends RemoteGraphQLDataSource<RequestContext> {
  private readonly options: SignedSubgraphDataSourceOptions;
  private readonly pool: SubgraphPool;

  constructor(options: SignedSubgraphDataSourceOptions) {
    const key = subgraphSigningKey(options.identitySecret, options.name);
    const pool = subgraphPool(new URL(options.url).origin);
    // Merged before signing, so that one signed request (one nonce) goes out for the callers it answers; signed once a
    // place in the lane is free, so that time spent waiting never ages the signature.
    super({ url: options.url, fetcher: mergingFetcher(laneFetcher(options.lane, signingFetcher(options.name, key, pool.send))) });
    this.options = options;
    this.pool = pool;
  }

  /** Closes the kept-alive connections (the gateway's stop). */
  close(): Promise<void> {
    return this.pool.close();
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<RequestContext>): void {
    const incoming = incomingContext(options);
    if (incoming !== undefined) options.request.http?.headers.set(REQUEST_ID_HEADER, incoming.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RequestContext>): Promise<GatewayGraphQLResponse> {
    const incoming = incomingContext(options);
    const call: SubgraphCall = {
      identity: incoming?.identity ?? PUBLIC_IDENTITY,
      mergeable: this.options.mergeInFlight && incoming !== undefined && isQueryOperation(options.request.query),
    };
    const readLog = identityReadLogOf(incoming);
    try {
      const response = await calls.run(call, () => super.process(options));
      const reported = response.http?.headers.get(IDENTITY_READS_HEADER);
      readLog?.record(this.options.audited ? IDENTITY_CLAIMS : parseIdentityReads(reported));
      return response;
    } catch (error) {
      readLog?.recordAll();
      const { name } = this.options;
      const logger = incoming?.logger ?? this.options.logger;
      logger.warn({ err: error, serviceName: name }, "subgraph call failed");
      const path = failurePath("document" in options ? options.document : undefined, options.request.query);
      return { errors: [{ ...internalError(this.describeFailure(error), { serviceName: name }).toJSON(), ...(path === undefined ? {} : { path }) }] };
    }
  }

  private describeFailure(error: unknown): string {
    const { name, lane } = this.options;
    if (isNamed(error, "TimeoutError")) return `The ${name} service did not answer within ${lane.timeoutMs} ms`;
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
