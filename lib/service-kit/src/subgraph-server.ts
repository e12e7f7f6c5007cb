// The server every subgraph starts from (express 5 + Apollo Server 5 + buildSubgraphSchema, signed identity required), and the HTTP listen/stop plumbing services share.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type { Request, RequestHandler, Router } from "express";
import { OperationTypeNode, getOperationAST, parse } from "graphql";
import type { DocumentNode } from "graphql";
import { ApolloServer } from "@apollo/server";
import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { createFormatError, errorLoggingPlugin, forbidden, httpErrorHandler, sendErrorResponse, unauthenticated } from "./errors";
import { healthRouter } from "./health";
import type { ReadinessCheck } from "./health";
import { IDENTITY_HEADER, bodyDigest, trackRequests, trackingOf, verifySubgraphRequest } from "./identity";
import type { Identity, RequestContext } from "./identity";
import { IDENTITY_READS_HEADER, formatIdentityReads, trackIdentityReads } from "./identity-reads";
import type { TrackedIdentity } from "./identity-reads";
import type { Logger } from "./logger";
import { memoryNonceStore } from "./nonces";
import type { NonceStore } from "./nonces";
import type { SubgraphKeys } from "./subgraph-keys";

export interface StartSubgraphOptions<TContext extends RequestContext> {
  /** The subgraph's name, as in the supergraph (e.g. `resources`). */
  name: string;
  typeDefs: DocumentNode;
  /** Resolvers typed with the subgraph's context (which extends RequestContext). */
  resolvers: GraphQLResolverMap<TContext>;
  /** Called once per request: add what the resolvers need, e.g. fresh DataLoaders (never shared across requests). */
  createContext: (base: RequestContext) => TContext | Promise<TContext>;
  /** This subgraph's keys (`deriveSubgraphKeys`): it verifies the gateway's requests and its peers' questions with them. */
  keys: SubgraphKeys;
  /** Default 60. */
  identityMaxAgeSeconds?: number;
  /** Where the nonces of signed requests are remembered (Redis to share them between processes); default: in memory. */
  nonces?: NonceStore;
  logger: Logger;
  /** Default 0 (a free port; the real one is in the returned URL). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Checks run by /readyz, e.g. `{ mongo: mongoReadinessCheck(connection) }`. */
  readinessChecks?: Readonly<Record<string, ReadinessCheck>>;
  /** Largest accepted request body; default "2mb" (`_entities` batches can be large). */
  bodyLimit?: string | number;
  /** Introspection, error messages and stack traces of unexpected errors; default false. */
  development?: boolean;
  /** Further Apollo plugins (tracing, query counting in tests, ...). */
  plugins?: readonly ApolloServerPlugin<TContext>[];
  /**
   * Plain HTTP routes served beside GraphQL (e.g. iCalendar feeds), outside the gateway's signed identity: each route
   * does its own authorisation. Mounted after request tracking and health, before `/graphql`.
   */
  routes?: Router;
}

/** A started service. */
export interface RunningService {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
  /** Drains in-flight requests and closes the server; safe to call twice. */
  stop(): Promise<void>;
}

/** An HTTP server serving a started Apollo Server, until `stop()`. */
export interface Listening {
  /** e.g. `http://127.0.0.1:4001` (a wildcard host is reported as 127.0.0.1). */
  origin: string;
  /** Stops Apollo Server, which drains and closes the HTTP server; later calls share the first. */
  stop: () => Promise<void>;
}

/**
 * Listens on `port` (0 = any free port). `stopApollo` must close `server` (Apollo's drain plugin
 * does); when listening fails it is called before the error is rethrown, so nothing is left running.
 */
export async function listenHttp(server: Server, port: number, host: string, stopApollo: () => Promise<void>): Promise<Listening> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await stopApollo();
    throw error;
  }
  const address = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return { origin: reachableOrigin(host, address.port), stop: () => (stopping ??= stopApollo()) };
}

/** `http://<host>:<port>` as this machine reaches a server listening on `host` (all interfaces: 127.0.0.1). */
export function reachableOrigin(host: string, port: number): string {
  const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

/** Whether a GraphQL request body holds exactly one operation, a query (what a peer may send). */
function isQueryOnly(body: unknown): boolean {
  const { query, operationName } = (body ?? {}) as { query?: unknown; operationName?: unknown };
  if (typeof query !== "string") return false;
  try {
    return getOperationAST(parse(query), typeof operationName === "string" ? operationName : undefined)?.operation === OperationTypeNode.QUERY;
  } catch {
    return false;
  }
}

/** Names, in IDENTITY_READS_HEADER, the claims of the caller's identity the answer read (the gateway shares answers by it). */
function identityReadsPlugin<TContext extends RequestContext>(identityReads: WeakMap<Identity, TrackedIdentity>): ApolloServerPlugin<TContext> {
  return {
    requestDidStart: async () => ({
      willSendResponse: async ({ contextValue, response }) => {
        const tracked = identityReads.get(contextValue.identity);
        if (tracked !== undefined) response.http.headers.set(IDENTITY_READS_HEADER, formatIdentityReads(tracked.reads()));
      },
    }),
  };
}

/**
 * Starts a subgraph: GraphQL on `/graphql` (every request must carry a valid signed identity, else
 * HTTP 401 with code UNAUTHENTICATED), `/healthz` and `/readyz` open, request id in every log line.
 */
export async function startSubgraph<TContext extends RequestContext>(options: StartSubgraphOptions<TContext>): Promise<RunningService> {
  const { name, logger, keys, development = false, port = 0, host = "127.0.0.1" } = options;
  const app = express();
  app.disable("x-powered-by");
  const httpServer = createServer(app);

  /** Each request's identity as its resolvers read it, by the tracked identity in the request's context. */
  const identityReads = new WeakMap<Identity, TrackedIdentity>();
  const apollo = new ApolloServer<TContext>({
    schema: buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers }]),
    logger,
    formatError: createFormatError({ development }),
    includeStacktraceInErrorResponses: development,
    introspection: development,
    persistedQueries: false,
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      errorLoggingPlugin<TContext>(),
      identityReadsPlugin<TContext>(identityReads),
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();

  const identities = new WeakMap<Request, Identity>();
  const bodyDigests = new WeakMap<Request, string>();
  const nonces = options.nonces ?? memoryNonceStore();
  const EMPTY_BODY_DIGEST = bodyDigest("");
  const requireSignedIdentity: RequestHandler = async (req, res, next) => {
    const verification = await verifySubgraphRequest(req.get(IDENTITY_HEADER), {
      key: keys.gateway,
      peerKeys: keys.askedBy,
      target: { subgraph: name, method: req.method, path: req.originalUrl, bodyDigest: bodyDigests.get(req) ?? EMPTY_BODY_DIGEST },
      nonces,
      maxAgeSeconds: options.identityMaxAgeSeconds,
    });
    if (!verification.ok) {
      trackingOf(res).logger.warn({ reason: verification.reason }, "refused a request without a valid gateway signature");
      sendErrorResponse(res, 401, unauthenticated(`Subgraph ${name} answers only the gateway (identity header ${verification.reason})`));
      return;
    }
    // A peer asks to check or resolve something; changing data is the gateway's callers' business alone.
    if (verification.from !== undefined && !isQueryOnly(req.body)) {
      trackingOf(res).logger.warn({ peer: verification.from }, "refused a peer's request that is not a query");
      sendErrorResponse(res, 403, forbidden(`Subgraph ${name} answers only queries from the ${verification.from} subgraph`));
      return;
    }
    identities.set(req, verification.identity);
    next();
  };

  app.use(trackRequests(logger));
  app.use(healthRouter({ checks: options.readinessChecks, logger }));
  if (options.routes !== undefined) app.use(options.routes);
  app.use(
    "/graphql",
    // The body is read first so the signature can be checked against the digest of its exact bytes.
    express.json({
      limit: options.bodyLimit ?? "2mb",
      verify: (req, _res, raw) => {
        bodyDigests.set(req as Request, bodyDigest(raw));
      },
    }),
    requireSignedIdentity,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const identity = identities.get(req);
        if (identity === undefined) throw new Error("requireSignedIdentity did not run");
        const { requestId, logger: requestLogger } = trackingOf(res);
        const tracked = trackIdentityReads(identity);
        identityReads.set(tracked.identity, tracked);
        return options.createContext({ identity: tracked.identity, requestId, logger: requestLogger });
      },
    }),
  );
  app.use(httpErrorHandler(logger));

  const { origin, stop } = await listenHttp(httpServer, port, host, async () => {
    await apollo.stop();
    logger.info({ subgraph: name }, "subgraph stopped");
  });
  const url = `${origin}/graphql`;
  logger.info({ subgraph: name, url }, "subgraph listening");
  return { url, stop };
}
