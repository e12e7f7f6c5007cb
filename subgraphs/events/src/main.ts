// Entry point of the events subgraph as its own process (Docker): configuration from the environment, MongoDB, pub/sub (Redis when REDIS_URL is set), optional demo seed, then serve GraphQL and the calendar feeds until SIGINT/SIGTERM.
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
import { DEFAULT_EVENTS_PORT, seedDemoEvents, startEventsSubgraph } from "./index";

const eventsConfigSchema = baseConfigSchema.extend({
  ...identityConfigSchema.shape,
  ...pubsubConfigSchema.shape,
  PORT: envInteger({ min: 0, max: 65535 }).default(DEFAULT_EVENTS_PORT),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Where calendar apps reach this service's /calendar routes (the load balancer's origin); unset: this process's own address. */
  EVENTS_PUBLIC_ORIGIN: z.url({ protocol: /^https?$/, error: "expected an http(s) origin such as https://tsunagu.example.jp" }).optional(),
  /** `true`: seed the demo year (idempotent; without organisers, since groups live in another service). */
  SEED_DEMO_DATA: envEnum(["true", "false"]).default("false"),
});

async function main(): Promise<void> {
  const config = loadConfig(eventsConfigSchema);
  const signingSecret = secretOrDevelopmentDefault(config, "IDENTITY_SECRET", DEVELOPMENT_IDENTITY_SECRET);
  const logger = createLogger({ name: "events", level: config.LOG_LEVEL });
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  const pubsub = await createPubSub({ redisUrl: config.REDIS_URL, logger });
  if (config.SEED_DEMO_DATA === "true") {
    const seeded = await seedDemoEvents(mongo.connection);
    logger.info(seeded, seeded.skipped ? "demo data already present" : "demo data seeded");
  }
  const subgraph = await startEventsSubgraph({
    connection: mongo.connection,
    signingSecret,
    logger,
    pubsub,
    port: config.PORT,
    host: config.HOST,
    identityMaxAgeSeconds: config.IDENTITY_MAX_AGE_SECONDS,
    development: config.NODE_ENV === "development",
    calendarOrigin: config.EVENTS_PUBLIC_ORIGIN === undefined ? undefined : new URL(config.EVENTS_PUBLIC_ORIGIN).origin,
  });
  process.stdout.write(`Tsunagu events subgraph: ${subgraph.url}\n`);

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
