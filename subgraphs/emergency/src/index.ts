// Public API of @tsunagu/emergency, for `npm start`, scripts and tests; the process entry point is main.ts.
export {
  DEFAULT_ACCESS_WINDOW_MINUTES,
  DEFAULT_CARD_URL_BASE,
  DEFAULT_FHIR_IDENTIFIER_BASE,
  DEFAULT_EMERGENCY_PORT,
  DEFAULT_LOOKUP_RATE_LIMIT,
  EMERGENCY_SCHEMA_PATH,
  startEmergencySubgraph,
} from "./subgraph";
export type { EmergencySubgraphOptions } from "./subgraph";
export type { LookupRateLimit } from "./context";
export { seedDemoEmergencyProfiles } from "./seed";
export type { DemoPhysician, SeedDemoEmergencyOptions } from "./seed";
export { EMERGENCY_READ_SCOPE } from "./access";
export { ACCESS_LOG_COLLECTION as EMERGENCY_ACCESS_LOG, emergencyModels } from "./models";
export type { EmergencyModels } from "./models";
export { CREW_LOOKUP_QUERY } from "./crew-query";
