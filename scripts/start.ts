// `npm start`: the system's configuration, its demo seed and start banner; the entry point runs it in processes of their own (scripts/supervisor.ts), and `startSystem` runs it all in one process (tests, tools).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import type { Connection } from "mongoose";
import { CREDENTIALS_FILE } from "@tsunagu/embedded-mongo";
import {
  ConfigError,
  auditHeadDirectory,
  connectMongo,
  deriveSubgraphKeys,
  createNonceStore,
  createPubSub,
  envEnum,
  envInteger,
  exitOnConfigError,
  loadConfig,
  maskUriCredentials,
  mongoReadinessCheck,
  processLogger,
  withGeneratedSecrets,
  peerSubgraphs,
  signedAsPeer,
  publicOriginSchema,
} from "@tsunagu/service-kit";
import type { Environment, Logger, MongoHandle, NonceStore, PubSub, RunningService } from "@tsunagu/service-kit";
import { createGateway, gatewayConfigSchema, gatewayOptionsOf, gatewaySecretsOf, mongoApiKeyStore, subgraphsOfSupergraph } from "@tsunagu/gateway";
import { DEFAULT_SUBGRAPH_PORTS } from "./compose";
import { SUBGRAPHS, portOf, portVariables, seedQueryOver } from "./subgraphs";
import { superviseSystem } from "./supervisor";
import type { SeedResult } from "./subgraphs";

const port = (fallback: number) => envInteger({ min: 0, max: 65535 }).default(fallback);

/** The gateway's variables plus the subgraphs' ports (one per entry of SUBGRAPHS) and whether demo data is seeded. */
export const systemConfigSchema = gatewayConfigSchema.extend({
  RESOURCES_PORT: port(DEFAULT_SUBGRAPH_PORTS.resources),
  GROUPS_PORT: port(DEFAULT_SUBGRAPH_PORTS.groups),
  EMERGENCY_PORT: port(DEFAULT_SUBGRAPH_PORTS.emergency),
  EVENTS_PORT: port(DEFAULT_SUBGRAPH_PORTS.events),
  TRANSITIONS_PORT: port(DEFAULT_SUBGRAPH_PORTS.transitions),
  /** The gateway's origin as users reach it (links such as calendar feed URLs are built on it); unset: http://localhost:<PORT>. */
  PUBLIC_ORIGIN: publicOriginSchema.optional(),
  /** Unset: seed outside production only. */
  SEED_DEMO_DATA: envEnum(["true", "false"])
    .transform((value) => value === "true")
    .optional(),
  /** Gateway processes `npm start` runs (node:cluster, sharing PORT); more than one needs REDIS_URL. */
  GATEWAY_WORKERS: envInteger({ min: 1, max: 64 }).default(1),
  /** Processes of each subgraph `npm start` runs (sharing its port); more than one needs REDIS_URL. */
  SUBGRAPH_WORKERS: envInteger({ min: 1, max: 64 }).default(1),
});

export type SystemConfig = z.output<typeof systemConfigSchema>;

/**
 * `systemConfigSchema` applied to `env` (secrets generated into DATA_DIR on first start outside production).
 * @throws ConfigError naming every bad variable, and GATEWAY_WORKERS or SUBGRAPH_WORKERS above 1 without REDIS_URL
 * (each worker would keep its own rate limits, subscriptions' events and replay nonces).
 */
export function loadSystemConfig(env: Environment = process.env): SystemConfig {
  const config = loadConfig(systemConfigSchema, withGeneratedSecrets(env));
  // Under node:cluster two parts on one port would share its listening handle and answer each other's requests.
  const byPort = new Map<number, string[]>();
  for (const variable of portVariables()) {
    const chosen = portOf(config, variable);
    byPort.set(chosen, [...(byPort.get(chosen) ?? []), variable]);
  }
  const shared = [...byPort].filter(([chosen, variables]) => chosen !== 0 && variables.length > 1);
  if (shared.length > 0) {
    throw new ConfigError(
      shared.flatMap(([chosen, variables]) =>
        variables.map((variable) => ({
          variable,
          problem: `port ${chosen} is chosen by ${variables.join(" and ")}; give each part its own port (or 0 for a free one)`,
        })),
      ),
    );
  }
  if (config.REDIS_URL === undefined) {
    const problems = (["GATEWAY_WORKERS", "SUBGRAPH_WORKERS"] as const)
      .filter((variable) => config[variable] > 1)
      .map((variable) => ({
        variable,
        problem: `${config[variable]} workers need REDIS_URL, where they share rate limits, subscriptions' events and replay nonces (without it, use 1)`,
      }));
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return config;
}

export interface SystemOptions {
  config: SystemConfig;
  logger: Logger;
  /** Run the embedded engine in memory instead of under DATA_DIR (tests); ignored when MONGODB_URI is set. */
  inMemory?: boolean;
}

/** What the start banner tells about a started system. */
export interface SystemSummary {
  /** The gateway's GraphQL endpoint. */
  gatewayUrl: string;
  /** Subgraph name → the URL the gateway reaches it at (only the gateway may call it). */
  subgraphUrls: Readonly<Record<string, string>>;
  /** The MongoDB URI in use, credentials masked; for the embedded engine, where other tools can reach it while it runs. */
  mongoUri: string;
  /** The origin links handed to users are built on (PUBLIC_ORIGIN, else http://localhost:<gateway port>). */
  publicOrigin: string;
  /** True when the system runs the embedded engine. */
  embedded: boolean;
  /** Subgraph name → what its seed did on this start (empty when seeding is off). */
  seeded: Readonly<Record<string, SeedResult>>;
  /** Processes running the gateway and each subgraph, when they run in processes of their own; absent: all in one process. */
  workers?: { gateway: number; subgraph: number };
}

/** The system running in this process. */
export interface RunningSystem extends SystemSummary {
  /** The system's own database connection (in-process callers such as tests and scripts; never printed). */
  connection: Connection;
  /** Stops the gateway, the subgraphs, the pub/sub, the connection and the embedded engine, in that order; safe to call twice. */
  stop(): Promise<void>;
}

/** Whether demo data is seeded on this start: SEED_DEMO_DATA, else outside production. */
export function seedsDemoData(config: SystemConfig): boolean {
  return config.SEED_DEMO_DATA ?? config.NODE_ENV !== "production";
}

/** Seeds every subgraph's demo data in SUBGRAPHS order (each seed idempotent), asking the started subgraphs at `subgraphUrls` for other services' ids. */
export async function seedDemoData(
  connection: Connection,
  subgraphUrls: Readonly<Record<string, string>>,
  identitySecret: string,
  logger: Logger,
): Promise<Record<string, SeedResult>> {
  const seeded: Record<string, SeedResult> = {};
  const query = seedQueryOver(subgraphUrls, identitySecret);
  for (const subgraph of SUBGRAPHS) {
    seeded[subgraph.name] = await subgraph.seed(connection, query);
    logger.info({ subgraph: subgraph.name, ...seeded[subgraph.name] }, "demo data");
  }
  return seeded;
}

/** Runs `start`, turning "port in use" into a ConfigError naming the variable that chose the port. */
async function listenOn<T>(variable: string, chosen: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    throw new ConfigError([{ variable, problem: `port ${chosen} is already in use; choose another port or stop what listens there` }]);
  }
}

/** Every subgraph of the supergraph must be one `npm start` runs, or the gateway would call a server nobody started. */
export function checkSupergraphSubgraphs(supergraphSdl: string, path: string): void {
  const runnable = new Set(SUBGRAPHS.map((subgraph) => subgraph.name));
  const missing = subgraphsOfSupergraph(supergraphSdl).filter((endpoint) => !runnable.has(endpoint.name));
  if (missing.length > 0) {
    throw new Error(
      `${path} has subgraph(s) ${missing.map((m) => m.name).join(", ")} that npm start does not run; add them to SUBGRAPHS in scripts/subgraphs.ts`,
    );
  }
}

/**
 * Connects to MongoDB (starting the embedded engine unless MONGODB_URI is set), starts every subgraph on
 * 127.0.0.1, seeds demo data when enabled (in SUBGRAPHS order; each seed is idempotent), then the gateway.
 * When a step fails, what already started is stopped before the error is rethrown.
 */
export async function startSystem({ config, logger, inMemory = false }: SystemOptions): Promise<RunningSystem> {
  const gatewayOptions = gatewayOptionsOf(config);
  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, "utf8");
  checkSupergraphSubgraphs(supergraphSdl, config.SUPERGRAPH_PATH);

  const running: RunningService[] = [];
  let mongo: MongoHandle | undefined;
  let pubsub: PubSub | undefined;
  let nonces: NonceStore | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const service of [...running].reverse()) await service.stop();
      await pubsub?.close();
      await nonces?.close();
      await mongo?.close();
    })());

  try {
    mongo = await connectMongo({
      uri: config.MONGODB_URI,
      dataDir: inMemory ? undefined : config.DATA_DIR,
      dbName: config.MONGODB_DB,
      logger,
    });
    const { connection } = mongo;
    const events = await createPubSub({ redisUrl: config.REDIS_URL, logger });
    pubsub = events;
    const nonceStore = await createNonceStore({ redisUrl: config.REDIS_URL, logger });
    nonces = nonceStore;

    // Filled as the subgraphs start, read at each call: a subgraph asks those started before it (and later ones once up).
    const subgraphUrls: Record<string, string> = {};
    let publicOrigin = config.PUBLIC_ORIGIN ?? "";
    for (const subgraph of SUBGRAPHS) {
      const chosen = portOf(config, subgraph.portVariable);
      // Each subgraph gets only its own keys, as it would in a process of its own.
      const keys = deriveSubgraphKeys(gatewayOptions.identitySecret, subgraph.name);
      const service = await listenOn(subgraph.portVariable, chosen, () =>
        subgraph.start({
          connection,
          pubsub: events,
          keys,
          identityMaxAgeSeconds: config.IDENTITY_MAX_AGE_SECONDS,
          nonces: nonceStore,
          logger: logger.child({ service: subgraph.name }),
          port: chosen,
          host: "127.0.0.1",
          development: config.NODE_ENV === "development",
          peers: peerSubgraphs(subgraphUrls, signedAsPeer(keys)),
          publicOrigin: () => publicOrigin,
          auditHeadDirectory: auditHeadDirectory(config.DATA_DIR),
        }),
      );
      running.push(service);
      subgraphUrls[subgraph.name] = service.url;
    }

    const seeded = seedsDemoData(config) ? await seedDemoData(connection, subgraphUrls, gatewayOptions.identitySecret, logger) : {};

    const gateway = await listenOn("PORT", config.PORT, async () =>
      createGateway({
        ...gatewayOptions,
        supergraphSdl,
        subgraphUrls,
        pubsub: events,
        apiKeys: await mongoApiKeyStore(connection),
        logger: logger.child({ service: "gateway" }),
        readinessChecks: { mongo: mongoReadinessCheck(connection) },
      }),
    );
    running.push(gateway);
    publicOrigin ||= `http://localhost:${new URL(gateway.url).port}`;

    return {
      gatewayUrl: gateway.url,
      subgraphUrls,
      publicOrigin,
      mongoUri: maskUriCredentials(mongo.uri),
      connection: mongo.connection,
      embedded: mongo.embedded,
      seeded,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** The lines `npm start` prints once everything is up: where to send queries, an example, tokens, the database. */
export function startupMessage(system: SystemSummary, config: SystemConfig): string {
  const storage = system.embedded ? `embedded engine, data in ${config.DATA_DIR}` : "MongoDB at MONGODB_URI";
  const { workers } = system;
  const processes =
    workers === undefined
      ? "all in one process"
      : `processes: the engine, ${workers.gateway} gateway, ${workers.subgraph} per subgraph (GATEWAY_WORKERS, SUBGRAPH_WORKERS)`;
  const seeds = Object.entries(system.seeded).map(([name, { inserted, skipped }]) =>
    skipped ? `${name}: demo data already present` : `${name}: seeded ${inserted} demo records`,
  );
  const query =
    '{ resources(filter: { text: "ほうもんかんご", near: { latitude: 36.4, longitude: 136.45, radiusMeters: 5000 } }, first: 5) ' +
    "{ totalCount edges { distanceMeters node { names { official } address { district } } } } }";
  const curl = `curl -s ${system.gatewayUrl} -H 'content-type: application/json' -d '${JSON.stringify({ query })}'`;
  const database = system.embedded
    ? [
        `While this runs it holds DATA_DIR; point other tools at its engine instead. It requires the user and password in ${join(config.DATA_DIR, CREDENTIALS_FILE)}`,
        "(readable only by you), which go where *** stands:",
        `  MONGODB_URI='${system.mongoUri}' npm run create-api-key -- --owner "Vendor K.K." --scopes resources:read`,
      ]
    : ["Other tools (npm run create-api-key, npm run import:resources) use the same MONGODB_URI."];
  return [
    "",
    `Tsunagu is running (${[storage, processes, ...seeds].join("; ")})`,
    `  GraphQL     ${system.gatewayUrl}${config.NODE_ENV === "production" ? "" : "   (open it in a browser for Apollo Sandbox)"}`,
    `  listening   ${isLoopback(config.HOST) ? `on ${config.HOST} only (this machine); set HOST=0.0.0.0 to open it to the network` : `on ${config.HOST} (HOST): reachable from the network`}`,
    ...Object.entries(system.subgraphUrls).map(([name, url]) => `  ${name.padEnd(11)} ${url}   (answers only the gateway)`),
    `  MongoDB     ${system.mongoUri}`,
    "",
    "Example query (public search: visiting nursing within 5 km of the demo city's centre, nearest first):",
    `  ${query}`,
    `  ${curl}`,
    `Calendar feeds: ${system.publicOrigin}/calendar/public.ics${config.PUBLIC_ORIGIN === undefined ? "   (set PUBLIC_ORIGIN to the address other machines use)" : ""}`,
    "A token for a role (send it as Authorization: Bearer <token>):",
    "  npm run token -- --role COORDINATOR",
    ...database,
    "Stop with Ctrl+C.",
    "",
  ].join("\n");
}

/** For the entry point: a ConfigError as its one line, any other failure as one line too; exit code 1 either way. */
function exitOnStartFailure(error: unknown): never {
  if (error instanceof ConfigError) return exitOnConfigError(error);
  process.stderr.write(`Tsunagu did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  return process.exit(1);
}

/**
 * `npm start`: the supervisor runs every part in processes of its own; one Ctrl+C (or SIGTERM) stops them in order.
 * Exit code 0 after a requested stop, 1 when a process died (the others are stopped, not restarted).
 */
async function main(): Promise<void> {
  const config = loadSystemConfig();
  const logger = processLogger("tsunagu", config);
  // Checked here, so that a bad secret is one line from npm start rather than a child that did not start.
  const { identitySecret, jwt } = gatewaySecretsOf(config);
  checkSupergraphSubgraphs(readFileSync(config.SUPERGRAPH_PATH, "utf8"), config.SUPERGRAPH_PATH);
  // Listening for good (not once) and from the start: Ctrl+C reaches this process both from the terminal and relayed by
  // npm and tsx, and a repeated signal without a listener would end the supervisor in the middle of stopping the others.
  let requested: NodeJS.Signals | undefined;
  const running: { stop?: () => Promise<void> } = {};
  const shutdown = (signal: NodeJS.Signals) => {
    if (requested !== undefined) return;
    requested = signal;
    logger.info({ signal }, "shutting down");
    running.stop?.().catch((error: unknown) => {
      logger.error({ err: error }, "shutdown failed");
      process.exitCode = 1;
    });
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  const system = await superviseSystem({
    config,
    secrets: { identity: identitySecret, jwt: jwt.secret },
    logger,
    seed: (connection, subgraphUrls) => (seedsDemoData(config) ? seedDemoData(connection, subgraphUrls, identitySecret, logger) : Promise.resolve({})),
  });
  running.stop = () => system.stop();
  if (requested !== undefined) {
    await system.stop();
    return;
  }
  process.stdout.write(startupMessage(system, config));
  if (!(await system.stopped)) process.exitCode = 1;
}

if (require.main === module) main().catch(exitOnStartFailure);
