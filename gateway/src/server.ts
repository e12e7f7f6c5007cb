// Assembles the gateway: express 5 + Apollo Server 5 + @apollo/gateway over the static supergraph, with authentication, limits, rate limiting, health endpoints and graphql-ws subscriptions.
import { createServer } from "node:http";
import type { GraphQLSchema } from "graphql";
import express from "express";
import type { Request } from "express";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import {
  createFormatError,
  createPubSub,
  errorLoggingPlugin,
  healthRouter,
  httpErrorHandler,
  listenHttp,
  trackRequests,
  trackingOf,
} from "@tsunagu/service-kit";
import type { Identity, Logger, PubSub, ReadinessCheck, RequestContext, RunningService } from "@tsunagu/service-kit";
import { authenticateRequests, createAuthenticator } from "./auth";
import type { JwtSettings } from "./auth";
import type { ApiKeyStore } from "./api-keys";
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_QUERY_LIMITS, queryLimitProtection } from "./limits";
import type { QueryLimits } from "./limits";
import { operationResolutionPlugin } from "./operations";
import { ClientRateLimiter, clientIpOf, limitRate } from "./rate-limit";
import type { RateLimiter } from "./rate-limit";
import { SignedSubgraphDataSource, keepRelayedSubgraphErrors, resolveSubgraphEndpoints, subgraphHealthCheck } from "./subgraph-source";
import type { SubgraphLane } from "./subgraph-source";
import { forwardToSubgraph } from "./subgraph-routes";
import { DEFAULT_WEB_DIST_DIR, pagesRouter } from "./pages";
import { buildSubscriptionSchema, readSubscriptionSdl } from "./subscription-fields";
import type { SubscriptionSchema } from "./subscription-fields";
import { startSubscriptionServer } from "./subscriptions";
import type { GatewayExecutor, SubscriptionSettings } from "./subscriptions";

export interface GatewayOptions {
  /** The composed supergraph SDL (schema/supergraph.graphql). */
  supergraphSdl: string;
  /** Subgraph name → GraphQL URL, overriding the URLs composed into the supergraph. */
  subgraphUrls?: Readonly<Record<string, string>>;
  /** Default 4000; 0 = any free port (the real one is in the returned URL). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `production` turns off introspection, the landing page and field suggestions; `development` shows internal error details. */
  environment: "development" | "test" | "production";
  /** IDENTITY_SECRET, shared only with the subgraphs. */
  identitySecret: string;
  jwt: JwtSettings;
  apiKeys: ApiKeyStore;
  logger: Logger;
  /** Default DEFAULT_QUERY_LIMITS. */
  limits?: Partial<QueryLimits>;
  /** Default 100 kB. */
  bodyLimitBytes?: number;
  /** Default: in memory, burst 60, 10 per second. The gateway closes it when it stops. */
  rateLimiter?: RateLimiter;
  /** Deadline of a subgraph call; default 5000 ms. */
  subgraphTimeoutMs?: number;
  /** Calls in flight to one subgraph at once; default 64. */
  subgraphConcurrency?: number;
  /** Subgraphs with a lane of their own (deadline, concurrency); default: the emergency subgraph's DEFAULT_CREW_LANE. */
  subgraphLanes?: Readonly<Record<string, SubgraphLane>>;
  /** Merge identical in-flight queries of one identity to a subgraph (never mutations, never AUDITED_SUBGRAPHS); default true. */
  mergeInFlight?: boolean;
  /** Further /readyz checks (e.g. the API key store's MongoDB); each subgraph's /healthz is always checked. */
  readinessChecks?: Readonly<Record<string, ReadinessCheck>>;
  /** express "trust proxy" (e.g. 1 behind one load balancer), so rate limiting sees client IPs; default false. */
  trustProxy?: boolean | number | string;
  /** The pub/sub subgraphs publish domain events to (left open on stop); default: the gateway makes its own from `redisUrl`. */
  pubsub?: PubSub;
  /** REDIS_URL for the gateway's own pub/sub; absent: in-process (only events published in this process arrive). */
  redisUrl?: string;
  /** Limits of graphql-ws subscriptions; see DEFAULT_SUBSCRIPTION_SETTINGS. */
  subscriptions?: SubscriptionSettings;
  /** The built reference pages; default DEFAULT_WEB_DIST_DIR (web/dist). */
  webDistDir?: string;
}

export const DEFAULT_GATEWAY_PORT = 4000;
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 5000;
export const DEFAULT_SUBGRAPH_CONCURRENCY = 64;
/** The crews' lane: the emergency subgraph's calls never queue behind another subgraph's, and may take longer. */
export const DEFAULT_CREW_LANE: SubgraphLane = Object.freeze({ timeoutMs: 10_000, maxConcurrent: 32 });
export const DEFAULT_RATE_LIMIT = Object.freeze({ burst: 60, perSecond: 10 });
/** Subgraphs whose every read is audited and signed on its own: identical queries to them are never merged. */
export const AUDITED_SUBGRAPHS: ReadonlySet<string> = new Set(["emergency", "transitions"]);
const SUBGRAPH_HEALTH_TIMEOUT_MS = 2000;
/** The deadline of an HSDS page forwarded to the resources subgraph. */
const HSDS_TIMEOUT_MS = 30_000;

/** Starts the gateway; `url` is its GraphQL endpoint, `stop()` drains requests and closes it. */
export async function createGateway(options: GatewayOptions): Promise<RunningService> {
  const { logger, environment } = options;
  const production = environment === "production";
  const sharedLane: SubgraphLane = {
    timeoutMs: options.subgraphTimeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS,
    maxConcurrent: options.subgraphConcurrency ?? DEFAULT_SUBGRAPH_CONCURRENCY,
  };
  const lanes = options.subgraphLanes ?? { emergency: DEFAULT_CREW_LANE };
  const endpoints = resolveSubgraphEndpoints(options.supergraphSdl, options.subgraphUrls ?? {});
  const urls: Record<string, string> = Object.fromEntries(endpoints.map((endpoint) => [endpoint.name, endpoint.url]));

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", options.trustProxy ?? false);
  const httpServer = createServer(app);

  const authenticate = await createAuthenticator({ jwt: options.jwt, apiKeys: options.apiKeys });
  let apiSchema: GraphQLSchema | undefined;
  // @apollo/gateway otherwise exports usage metrics to Apollo's servers and probes cloud metadata addresses
  // (169.254.169.254). A municipal or hospital network must not phone home; this is its only switch.
  process.env.APOLLO_TELEMETRY_DISABLED = "true";
  const dataSources: SignedSubgraphDataSource[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger,
    buildService: ({ name }) => {
      const dataSource = new SignedSubgraphDataSource({
        name,
        url: urls[name],
        identitySecret: options.identitySecret,
        // Each data source counts its own calls: every subgraph has a budget (and connections) of its own.
        lane: lanes[name] ?? sharedLane,
        mergeInFlight: (options.mergeInFlight ?? true) && !AUDITED_SUBGRAPHS.has(name),
        audited: AUDITED_SUBGRAPHS.has(name),
        logger,
      });
      dataSources.push(dataSource);
      return dataSource;
    },
  });
  const closeDataSources = () => Promise.all(dataSources.map((dataSource) => dataSource.close()));
  gateway.onSchemaLoadOrUpdate((loaded) => {
    apiSchema = loaded.apiSchema;
  });
  const limits = queryLimitProtection({ ...DEFAULT_QUERY_LIMITS, ...options.limits });
  const apollo = new ApolloServer<RequestContext>({
    gateway,
    logger,
    formatError: keepRelayedSubgraphErrors(createFormatError({ development: environment === "development" })),
    includeStacktraceInErrorResponses: environment === "development",
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    persistedQueries: false,
    stopOnTerminationSignals: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's landing page loads Sandbox from a CDN, which closed networks cannot reach; developers get the bundled GraphiQL.
      ApolloServerPluginLandingPageDisabled(),
      errorLoggingPlugin<RequestContext>(),
      operationResolutionPlugin<RequestContext>(),
      ...limits.plugins,
    ],
  });
  // The pub/sub first: an unreachable REDIS_URL stops the start before anything else runs.
  const pubsub = options.pubsub ?? (await createPubSub({ redisUrl: options.redisUrl, logger }));
  const closeOwnPubSub = async () => {
    if (options.pubsub === undefined) await pubsub.close();
  };
  try {
    await apollo.start();
  } catch (error) {
    await closeDataSources();
    await closeOwnPubSub();
    throw error;
  }
  let subscriptionSchema: SubscriptionSchema;
  try {
    if (apiSchema === undefined) throw new Error("@apollo/gateway loaded no API schema");
    subscriptionSchema = buildSubscriptionSchema(apiSchema, readSubscriptionSdl(), logger);
  } catch (error) {
    await apollo.stop();
    await closeDataSources();
    await closeOwnPubSub();
    throw error;
  }
  const executeAs: GatewayExecutor = async (request, contextValue) => {
    const response = await apollo.executeOperation<Record<string, unknown>>(request, { contextValue });
    if (response.body.kind !== "single") throw new Error("the gateway answered an event lookup incrementally");
    return response.body.singleResult;
  };

  const limiter = options.rateLimiter ?? new ClientRateLimiter(DEFAULT_RATE_LIMIT);
  const trustProxy = options.trustProxy ?? false;
  const identities = new WeakMap<Request, Identity>();
  const subgraphChecks = Object.fromEntries(
    endpoints.map((endpoint) => [`subgraph:${endpoint.name}`, subgraphHealthCheck(endpoint, SUBGRAPH_HEALTH_TIMEOUT_MS)]),
  );

  app.use(trackRequests(logger));
  app.use(healthRouter({ checks: { ...subgraphChecks, ...options.readinessChecks }, logger }));
  app.use(pagesRouter({ distDir: options.webDistDir ?? DEFAULT_WEB_DIST_DIR, production }));
  app.use(
    "/graphql",
    authenticateRequests(authenticate, identities),
    limitRate(limiter, identities),
    express.json({ limit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const identity = identities.get(req);
        if (identity === undefined) throw new Error("authenticateRequests() did not run");
        return { identity, ...trackingOf(res) };
      },
    }),
  );
  // Open Referral HSDS 3.1 (the directory for other systems), served by the resources subgraph beside its GraphQL.
  const resources = endpoints.find((endpoint) => endpoint.name === "resources");
  if (resources !== undefined) {
    app.use(
      "/hsds",
      authenticateRequests(authenticate, identities),
      limitRate(limiter, identities),
      // Whole-directory pages (HSDS clients sync everything) may take longer than one GraphQL call's deadline.
      forwardToSubgraph(resources, Math.max((lanes.resources ?? sharedLane).timeoutMs, HSDS_TIMEOUT_MS)),
    );
  }
  // The events subgraph's iCalendar feeds, on the gateway's public origin (calendar apps send no token: a member's feed carries its secret in the path).
  const events = endpoints.find((endpoint) => endpoint.name === "events");
  if (events !== undefined) {
    app.use(
      "/calendar",
      authenticateRequests(authenticate, identities),
      limitRate(limiter, identities),
      forwardToSubgraph(events, (lanes.events ?? sharedLane).timeoutMs),
    );
  }
  app.use(httpErrorHandler(logger));

  const subscriptions = startSubscriptionServer({
    httpServer,
    subscriptionSchema,
    pubsub,
    authenticate,
    rateLimiter: limiter,
    clientIp: (request) => clientIpOf(request, trustProxy),
    execute: executeAs,
    limits,
    maxPayloadBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    production,
    logger,
    settings: options.subscriptions,
  });

  const { origin, stop } = await listenHttp(httpServer, options.port ?? DEFAULT_GATEWAY_PORT, options.host ?? "127.0.0.1", async () => {
    await subscriptions.stop();
    await apollo.stop();
    await closeDataSources();
    await closeOwnPubSub();
    await limiter.close?.();
    logger.info("gateway stopped");
  });
  const url = `${origin}/graphql`;
  logger.info({ url, subgraphs: urls, subscriptions: subscriptionSchema.fields }, "gateway listening");
  return { url, stop };
}
