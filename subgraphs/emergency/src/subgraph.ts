// Starts the emergency subgraph: its schema from schema/emergency.graphql, the collections and indexes created, and one context per request.
import { join } from "node:path";
import { openAuditChain, serveSubgraph } from "@tsunagu/service-kit";
import type { RunningService, SubgraphServiceOptions } from "@tsunagu/service-kit";
import { emergencyContextFactory } from "./context";
import type { EmergencyContext, LookupRateLimit } from "./context";
import { ACCESS_LOG_COLLECTION, emergencyModels, ensureEmergencyIndexes } from "./models";
import { resolvers } from "./resolvers";

/** The port of scripts/compose.ts's DEFAULT_SUBGRAPH_PORTS. */
export const DEFAULT_EMERGENCY_PORT = 4004;

/** The SDL the subgraph serves, the same file composition reads. */
export const EMERGENCY_SCHEMA_PATH = join(__dirname, "..", "..", "..", "schema", "emergency.graphql");

export const DEFAULT_ACCESS_WINDOW_MINUTES = 30;
/** 20 look-ups per user per 10 minutes: far above a crew's needs, far below guessing card codes. */
export const DEFAULT_LOOKUP_RATE_LIMIT: Readonly<LookupRateLimit> = Object.freeze({ max: 20, windowSeconds: 600 });
/** A URN says what the QR code is without pretending to be a website; deployments set their crews' look-up URL. */
export const DEFAULT_CARD_URL_BASE = "urn:tsunagu:emergency-card:";
/**
 * The demo city's identifier base for the FHIR export (a reserved example domain): each city sets FHIR_IDENTIFIER_BASE to a
 * URI it controls, so hospitals see identifiers in the municipality's own namespace.
 */
export const DEFAULT_FHIR_IDENTIFIER_BASE = "https://tsunagu-city.example/fhir/sid";

export interface EmergencySubgraphOptions extends SubgraphServiceOptions {
  /** How long a look-up lets the same user re-read the profile without a new reason; default 30. */
  accessWindowMinutes?: number;
  /** Per-user look-up limit, counted in the database (so it holds across replicas); default 20 per 10 minutes. */
  lookupRateLimit?: LookupRateLimit;
  /** What QR payloads start with; default DEFAULT_CARD_URL_BASE. */
  cardUrlBase?: string;
  /** The base of the FHIR export's identifier systems; default DEFAULT_FHIR_IDENTIFIER_BASE. */
  fhirIdentifierBase?: string;
  /** The trusted clock; only tests replace the server's. */
  clock?: () => Date;
  /** Where the access log's chain head is written out (DATA_DIR/audit); unset: kept only in the database. */
  auditHeadDirectory?: string;
  /** How often the head is written out when it moved; default one minute. */
  auditHeadIntervalMs?: number;
}

/** Creates the collections and indexes, then serves GraphQL on `/graphql` (signed identity required) with `/healthz` and `/readyz`. */
export async function startEmergencySubgraph(options: EmergencySubgraphOptions): Promise<RunningService> {
  const models = emergencyModels(options.connection);
  await ensureEmergencyIndexes(models);
  const settings = {
    accessWindowMinutes: options.accessWindowMinutes ?? DEFAULT_ACCESS_WINDOW_MINUTES,
    lookupRateLimit: options.lookupRateLimit ?? DEFAULT_LOOKUP_RATE_LIMIT,
    cardUrlBase: options.cardUrlBase ?? DEFAULT_CARD_URL_BASE,
    fhir: { identifierBase: (options.fhirIdentifierBase ?? DEFAULT_FHIR_IDENTIFIER_BASE).replace(/\/+$/, "") },
    clock: options.clock ?? (() => new Date()),
  };
  const accessChain = await openAuditChain(options.connection, ACCESS_LOG_COLLECTION, {
    headDirectory: options.auditHeadDirectory ?? null,
    logger: options.logger,
    intervalMs: options.auditHeadIntervalMs,
  });
  const service = await serveSubgraph<EmergencyContext>(options, {
    name: "emergency",
    schemaPath: EMERGENCY_SCHEMA_PATH,
    resolvers,
    createContext: emergencyContextFactory(models, settings, accessChain),
  });
  return {
    url: service.url,
    async stop() {
      await service.stop();
      await accessChain.stop();
    },
  };
}
