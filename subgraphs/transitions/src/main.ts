// Entry point of the transitions subgraph as its own process (Docker): configuration from the environment, MongoDB, pub/sub (Redis when REDIS_URL is set), optional demo seed, then serve until SIGINT/SIGTERM.
import { z } from "zod";
import {
  DEVELOPMENT_IDENTITY_SECRET,
  baseConfigSchema,
  connectMongo,
  createLogger,
  createPubSub,
  envEnum,
  envInteger,
  exitOnConfigError,
  identityConfigSchema,
  loadConfig,
  pubsubConfigSchema,
  secretOrDevelopmentDefault,
} from "@tsunagu/service-kit";
import { DEFAULT_TRANSITIONS_PORT, seedDemoTransitions, startTransitionsSubgraph } from "./index";

const transitionsConfigSchema = baseConfigSchema.extend({
  ...identityConfigSchema.shape,
  ...pubsubConfigSchema.shape,
  PORT: envInteger({ min: 0, max: 65535 }).default(DEFAULT_TRANSITIONS_PORT),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** `true`: seed the demo month (idempotent; with made-up members and institutions, since those live in other services). */
  SEED_DEMO_DATA: envEnum(["true", "false"]).default("false"),
});

async function main(): Promise<void> {
  const config = loadConfig(transitionsConfigSchema);
  const signingSecret = secretOrDevelopmentDefault(config, "IDENTITY_SECRET", DEVELOPMENT_IDENTITY_SECRET);
  const logger = createLogger({ name: "transitions", level: config.LOG_LEVEL });
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  const pubsub = await createPubSub({ redisUrl: config.REDIS_URL, logger });
  if (config.SEED_DEMO_DATA === "true") {
    const seeded = await seedDemoTransitions(mongo.connection);
    logger.info(seeded, seeded.skipped ? "demo data already present" : "demo data seeded");
  }
  const subgraph = await startTransitionsSubgraph({
    connection: mongo.connection,
    signingSecret,
    logger,
    pubsub,
    port: config.PORT,
    host: config.HOST,
    identityMaxAgeSeconds: config.IDENTITY_MAX_AGE_SECONDS,
    development: config.NODE_ENV === "development",
  });
  process.stdout.write(`Tsunagu transitions subgraph: ${subgraph.url}\n`);

  const shutdown = async (signal: NodeJS.Signals) => {
    logger.info({ signal }, "shutting down");
    await subgraph.stop();
    await pubsub.close();
    await mongo.close();
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch(exitOnConfigError);
