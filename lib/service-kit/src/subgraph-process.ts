// Runs one subgraph as its own process (Docker): configuration from the environment, MongoDB, pub/sub (Redis when REDIS_URL is set), optional demo seed, then serve until SIGINT/SIGTERM (SIGTERM only under npm start's supervisor).
import { z } from "zod";
import type { Connection } from "mongoose";
import { ConfigError, baseConfigSchema, envEnum, envInteger, exitOnConfigError, loadConfig, subgraphUrlsSchema } from "./config";
import { identityConfigSchema } from "./identity";
import { processLogger, type Logger } from "./logger";
import { peerSubgraphs, signedAsPeer, type PeerSubgraphs } from "./peer-subgraphs";
import { connectMongo } from "./mongo";
import { createNonceStore, type NonceStore } from "./nonces";
import { createPubSub, pubsubConfigSchema, type PubSub } from "./pubsub";
import { requireSecret, withGeneratedSecrets } from "./secrets";
import { decodeSubgraphKeys, deriveSubgraphKeys, type SubgraphKeys } from "./subgraph-keys";
import type { RunningService } from "./subgraph-server";
import { onStopSignal } from "./supervision";

/** The variables every subgraph process reads; a subgraph `.extend()`s it with its own. */
export function subgraphProcessConfigSchema(defaultPort: number) {
  return baseConfigSchema.extend({
    ...identityConfigSchema.shape,
    ...pubsubConfigSchema.shape,
    PORT: envInteger({ min: 0, max: 65535 }).default(defaultPort),
    /** Loopback unless set: only the gateway should reach a subgraph (docker compose sets 0.0.0.0 inside its network). */
    HOST: z.string().min(1).default("127.0.0.1"),
    /** `true`: seed this subgraph's demo data when it is not there yet (demos; never for real data). */
    SEED_DEMO_DATA: envEnum(["true", "false"]).default("false"),
    /** The other subgraphs (`name=url` pairs, as the gateway's), asked through their APIs; unset: none, and what needs them is not checked. */
    SUBGRAPH_URLS: subgraphUrlsSchema.optional(),
    /** This subgraph's keys, printed by `npm run subgraph-keys -- <name>`; required in production, where a subgraph never holds IDENTITY_SECRET. */
    SUBGRAPH_KEYS: z.string().min(1).optional(),
  });
}

export type SubgraphProcessConfig = z.output<ReturnType<typeof subgraphProcessConfigSchema>>;

/** What every subgraph's start function receives in a process of its own. */
export interface SubgraphProcessOptions {
  connection: Connection;
  keys: SubgraphKeys;
  logger: Logger;
  pubsub: PubSub;
  /** Nonces of signed requests: in Redis when REDIS_URL is set, so every replica refuses a replay. */
  nonces: NonceStore;
  port: number;
  host: string;
  identityMaxAgeSeconds: number;
  development: boolean;
  peers: PeerSubgraphs;
}

export interface SubgraphProcess<S extends z.ZodType<SubgraphProcessConfig>> {
  name: string;
  configSchema: S;
  seed(connection: Connection): Promise<{ inserted: number; skipped: boolean }>;
  start(options: SubgraphProcessOptions, config: z.output<S>): Promise<RunningService>;
}

/**
 * The subgraph's keys: from SUBGRAPH_KEYS, or, outside production only, derived from IDENTITY_SECRET (generated
 * into DATA_DIR by the first start) for a developer running one subgraph by hand.
 * @throws ConfigError naming SUBGRAPH_KEYS when it is unusable, or in production when it is missing.
 */
export function subgraphKeysFrom(config: SubgraphProcessConfig, subgraph: string): SubgraphKeys {
  if (config.SUBGRAPH_KEYS !== undefined) {
    try {
      return decodeSubgraphKeys(config.SUBGRAPH_KEYS, subgraph);
    } catch (error) {
      throw new ConfigError([{ variable: "SUBGRAPH_KEYS", problem: (error as Error).message }]);
    }
  }
  if (config.NODE_ENV === "production") {
    throw new ConfigError([
      { variable: "SUBGRAPH_KEYS", problem: `required in production: print it with \`npm run subgraph-keys -- ${subgraph}\` where IDENTITY_SECRET is kept` },
    ]);
  }
  return deriveSubgraphKeys(requireSecret(config, "IDENTITY_SECRET"), subgraph);
}

/** Starts the subgraph and serves until SIGINT/SIGTERM; a bad variable ends the process with one line naming it. */
export function runSubgraphProcess<S extends z.ZodType<SubgraphProcessConfig>>(spec: SubgraphProcess<S>): void {
  const main = async (): Promise<void> => {
    // Given its own keys, a subgraph never reads the generated secrets file at all.
    const given = (process.env.SUBGRAPH_KEYS ?? "") !== "";
    const config = loadConfig(spec.configSchema, given ? process.env : withGeneratedSecrets(process.env));
    const keys = subgraphKeysFrom(config, spec.name);
    const logger = processLogger(spec.name, config);
    const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
    const pubsub = await createPubSub({ redisUrl: config.REDIS_URL, logger });
    const nonces = await createNonceStore({ redisUrl: config.REDIS_URL, logger });
    if (config.SEED_DEMO_DATA === "true") {
      const seeded = await spec.seed(mongo.connection);
      logger.info(seeded, seeded.skipped ? "demo data already present" : "demo data seeded");
    }
    const options: SubgraphProcessOptions = {
      connection: mongo.connection,
      keys,
      logger,
      pubsub,
      nonces,
      port: config.PORT,
      host: config.HOST,
      identityMaxAgeSeconds: config.IDENTITY_MAX_AGE_SECONDS,
      development: config.NODE_ENV === "development",
      peers: peerSubgraphs(config.SUBGRAPH_URLS ?? {}, signedAsPeer(keys)),
    };
    const subgraph = await spec.start(options, config);
    process.stdout.write(`Tsunagu ${spec.name} subgraph: ${subgraph.url}\n`);
    onStopSignal(async (signal) => {
      logger.info({ signal }, "shutting down");
      await subgraph.stop();
      await pubsub.close();
      await nonces.close();
      await mongo.close();
    });
  };
  main().catch(exitOnConfigError);
}
