// Entry point of the emergency subgraph as its own process (Docker): the shared process runner, plus the emergency access settings.
import { z } from "zod";
import { auditHeadDirectory, envInteger, runSubgraphProcess, subgraphProcessConfigSchema } from "@tsunagu/service-kit";
import {
  DEFAULT_ACCESS_WINDOW_MINUTES,
  DEFAULT_CARD_URL_BASE,
  DEFAULT_EMERGENCY_PORT,
  DEFAULT_FHIR_IDENTIFIER_BASE,
  DEFAULT_LOOKUP_RATE_LIMIT,
  seedDemoEmergencyProfiles,
  startEmergencySubgraph,
} from "./index";

runSubgraphProcess({
  name: "emergency",
  configSchema: subgraphProcessConfigSchema(DEFAULT_EMERGENCY_PORT).extend({
    /** Minutes a look-up lets the same user re-read the profile without a new reason. */
    EMERGENCY_ACCESS_WINDOW_MINUTES: envInteger({ min: 1, max: 24 * 60 }).default(DEFAULT_ACCESS_WINDOW_MINUTES),
    /** Look-ups per user per window. */
    EMERGENCY_LOOKUP_LIMIT: envInteger({ min: 1, max: 1_000_000 }).default(DEFAULT_LOOKUP_RATE_LIMIT.max),
    EMERGENCY_LOOKUP_WINDOW_SECONDS: envInteger({ min: 1, max: 86_400 }).default(DEFAULT_LOOKUP_RATE_LIMIT.windowSeconds),
    /** What QR payloads start with, e.g. the crews' look-up page `https://crew.example.jp/e/`. */
    EMERGENCY_CARD_URL_BASE: z
      .string()
      .regex(/^(https?:\/\/|urn:)\S+$/, { error: "expected an http(s) URL or a URN" })
      .default(DEFAULT_CARD_URL_BASE),
    /** A URI the municipality controls; the FHIR export's identifier systems are `<base>/emergency-registry`, `/resources`, `/members`. */
    FHIR_IDENTIFIER_BASE: z
      .string()
      .regex(/^(https?:\/\/|urn:)\S+$/, { error: "expected an http(s) URL or a URN" })
      .default(DEFAULT_FHIR_IDENTIFIER_BASE),
  }),
  seed: (connection) => seedDemoEmergencyProfiles(connection),
  start: (options, config) =>
    startEmergencySubgraph({
      ...options,
      accessWindowMinutes: config.EMERGENCY_ACCESS_WINDOW_MINUTES,
      lookupRateLimit: { max: config.EMERGENCY_LOOKUP_LIMIT, windowSeconds: config.EMERGENCY_LOOKUP_WINDOW_SECONDS },
      cardUrlBase: config.EMERGENCY_CARD_URL_BASE,
      auditHeadDirectory: auditHeadDirectory(config.DATA_DIR),
      fhirIdentifierBase: config.FHIR_IDENTIFIER_BASE,
    }),
});
