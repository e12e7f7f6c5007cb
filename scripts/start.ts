// `npm start`: the whole system in one process (the embedded engine or MONGODB_URI, every subgraph, the gateway), demo data seeded on first start.
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
import { createGateway, gatewayConfigSchema, gatewayOptionsOf, mongoApiKeyStore, subgraphsOfSupergraph } from "@tsunagu/gateway";
import { DEFAULT_SUBGRAPH_PORTS } from "./compose";
import { SUBGRAPHS, seedQueryOver } from "./subgraphs";
import type { SeedResult, SystemSubgraph } from "./subgraphs";

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
});

export type SystemConfig = z.output<typeof systemConfigSchema>;

/** `systemConfigSchema` applied to `env` (secrets generated into DATA_DIR on first start outside production); throws ConfigError naming every bad variable. */
export function loadSystemConfig(env: Environment = process.env): SystemConfig {
  return loadConfig(systemConfigSchema, withGeneratedSecrets(env));
}

export interface SystemOptions {
  config: SystemConfig;
  logger: Logger;
  /** Run the embedded engine in memory instead of under DATA_DIR (tests); ignored when MONGODB_URI is set. */
  inMemory?: boolean;
}

/** The running system. */
export interface RunningSystem {
  /** The gateway's GraphQL endpoint. */
  gatewayUrl: string;
  /** Subgraph name → the URL the gateway reaches it at (only the gateway may call it). */
  subgraphUrls: Readonly<Record<string, string>>;
  /** The MongoDB URI in use, credentials masked; for the embedded engine, where other tools can reach it while it runs. */
  mongoUri: string;
  /** The system's own database connection (in-process callers such as tests and scripts; never printed). */
  connection: Connection;
  /** The origin links handed to users are built on (PUBLIC_ORIGIN, else http://localhost:<gateway port>). */
  publicOrigin: string;
  /** True when this process runs the embedded engine. */
  embedded: boolean;
  /** Subgraph name → what its seed did on this start (empty when seeding is off). */
  seeded: Readonly<Record<string, SeedResult>>;
  /** Stops the gateway, the subgraphs, the pub/sub, the connection and the embedded engine, in that order; safe to call twice. */
  stop(): Promise<void>;
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

/** The port a subgraph's variable chose (every SUBGRAPHS entry has its variable in systemConfigSchema). */
function portOf(config: SystemConfig, subgraph: SystemSubgraph): number {
  const value: unknown = (config as Readonly<Record<string, unknown>>)[subgraph.portVariable];
  if (typeof value !== "number") throw new Error(`${subgraph.portVariable} is missing from systemConfigSchema in scripts/start.ts`);
  return value;
}

/** Every subgraph of the supergraph must be one `startSystem` runs, or the gateway would call a server nobody started. */
function checkSupergraphSubgraphs(supergraphSdl: string, path: string): void {
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
      const chosen = portOf(config, subgraph);
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

    const seeded: Record<string, SeedResult> = {};
    if (config.SEED_DEMO_DATA ?? config.NODE_ENV !== "production") {
      const query = seedQueryOver(subgraphUrls, gatewayOptions.identitySecret);
      for (const subgraph of SUBGRAPHS) {
        seeded[subgraph.name] = await subgraph.seed(connection, query);
        logger.info({ subgraph: subgraph.name, ...seeded[subgraph.name] }, "demo data");
      }
    }

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
export function startupMessage(system: RunningSystem, config: SystemConfig): string {
  const storage = system.embedded ? `embedded engine, data in ${config.DATA_DIR}` : "MongoDB at MONGODB_URI";
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
    `Tsunagu is running (${[storage, ...seeds].join("; ")})`,
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

async function main(): Promise<void> {
  const config = loadSystemConfig();
  const logger = processLogger("tsunagu", config);
  const system = await startSystem({ config, logger });
  process.stdout.write(startupMessage(system, config));
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    system.stop().catch((error: unknown) => {
      logger.error({ err: error }, "shutdown failed");
      process.exitCode = 1;
    });
  };
  // Listening for good (not once): Ctrl+C reaches this process both from the terminal and relayed by npm and tsx,
  // and a repeated signal without a listener would end the process in the middle of stopping the engine.
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

if (require.main === module) main().catch(exitOnStartFailure);
