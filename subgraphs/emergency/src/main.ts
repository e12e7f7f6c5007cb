// Entry point of the emergency subgraph as its own process (Docker): configuration from the environment, MongoDB, optional demo seed, then serve until SIGINT/SIGTERM.
import { z } from "zod";
import {
  DEVELOPMENT_IDENTITY_SECRET,
  baseConfigSchema,
  connectMongo,
  createLogger,
  envEnum,
  envInteger,
  exitOnConfigError,
  identityConfigSchema,
  loadConfig,
  secretOrDevelopmentDefault,
} from "@tsunagu/service-kit";
import {
  DEFAULT_ACCESS_WINDOW_MINUTES,
  DEFAULT_CARD_URL_BASE,
  DEFAULT_EMERGENCY_PORT,
  DEFAULT_LOOKUP_RATE_LIMIT,
  seedDemoEmergencyProfiles,
  startEmergencySubgraph,
} from "./index";

const emergencyConfigSchema = baseConfigSchema.extend({
  ...identityConfigSchema.shape,
  PORT: envInteger({ min: 0, max: 65535 }).default(DEFAULT_EMERGENCY_PORT),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Minutes a look-up lets the same user re-read the profile without a new reason. */
  EMERGENCY_ACCESS_WINDOW_MINUTES: envInteger({ min: 1, max: 24 * 60 }).default(DEFAULT_ACCESS_WINDOW_MINUTES),
  /** Look-ups per user per window. */
  EMERGENCY_LOOKUP_LIMIT: envInteger({ min: 1, max: 1_000_000 }).default(DEFAULT_LOOKUP_RATE_LIMIT.max),
  EMERGENCY_LOOKUP_WINDOW_SECONDS: envInteger({ min: 1, max: 86_400 }).default(DEFAULT_LOOKUP_RATE_LIMIT.windowSeconds),
  /** What QR payloads start with, e.g. the crews' look-up page `https://crew.example.jp/e/`. */
  EMERGENCY_CARD_URL_BASE: z.string().regex(/^(https?:\/\/|urn:)\S+$/, { error: "expected an http(s) URL or a URN" }).default(DEFAULT_CARD_URL_BASE),
  /** `true`: seed the demo residents (idempotent; no care-team references, since resources and members live in other services). */
  SEED_DEMO_DATA: envEnum(["true", "false"]).default("false"),
});

async function main(): Promise<void> {
  const config = loadConfig(emergencyConfigSchema);
  const signingSecret = secretOrDevelopmentDefault(config, "IDENTITY_SECRET", DEVELOPMENT_IDENTITY_SECRET);
  const logger = createLogger({ name: "emergency", level: config.LOG_LEVEL });
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  if (config.SEED_DEMO_DATA === "true") {
    const seeded = await seedDemoEmergencyProfiles(mongo.connection);
    logger.info(seeded, seeded.skipped ? "demo data already present" : "demo data seeded");
  }
  const subgraph = await startEmergencySubgraph({
    connection: mongo.connection,
    signingSecret,
    logger,
    port: config.PORT,
    host: config.HOST,
    identityMaxAgeSeconds: config.IDENTITY_MAX_AGE_SECONDS,
    development: config.NODE_ENV === "development",
    accessWindowMinutes: config.EMERGENCY_ACCESS_WINDOW_MINUTES,
    lookupRateLimit: { max: config.EMERGENCY_LOOKUP_LIMIT, windowSeconds: config.EMERGENCY_LOOKUP_WINDOW_SECONDS },
    cardUrlBase: config.EMERGENCY_CARD_URL_BASE,
  });
  process.stdout.write(`Tsunagu emergency subgraph: ${subgraph.url}\n`);

  const shutdown = async (signal: NodeJS.Signals) => {
    logger.info({ signal }, "shutting down");
    await subgraph.stop();
    await mongo.close();
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch(exitOnConfigError);
