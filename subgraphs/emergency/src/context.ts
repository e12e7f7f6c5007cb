// The request context of the emergency subgraph: who is asking (from the gateway), the moment of the request on the server's clock, the models, the settings and this request's DataLoaders.
import type { RequestContext, RunningAuditChain } from "@tsunagu/service-kit";
import { createLoaders } from "./loaders";
import type { EmergencyLoaders } from "./loaders";
import type { EmergencyModels } from "./models";

/** Per-user look-up limit: at most `max` look-ups in each fixed window of `windowSeconds`. */
export interface LookupRateLimit {
  max: number;
  windowSeconds: number;
}

import type { FhirExportSettings } from "./fhir";

export interface EmergencySettings {
  /** How long a successful look-up lets the same user re-read that profile without a new reason. */
  accessWindowMinutes: number;
  lookupRateLimit: LookupRateLimit;
  /** What the QR payload starts with; the card code follows (e.g. `https://crew.example.jp/e/`). */
  cardUrlBase: string;
  /** Identifier systems of the FHIR export (the city's registry and directory). */
  fhir: FhirExportSettings;
  /** The trusted clock: the server's, replaceable only by tests. */
  clock: () => Date;
}

export interface EmergencyContext extends RequestContext {
  models: EmergencyModels;
  settings: EmergencySettings;
  loaders: EmergencyLoaders;
  /** The hash chain of the access log: every entry is appended through it. */
  accessChain: RunningAuditChain;
  /** The moment of this request, read once from `settings.clock`; every log entry of the request carries it. */
  now: Date;
}

/** `createContext` for startSubgraph: the clock read once and fresh loaders for every request. */
export function emergencyContextFactory(models: EmergencyModels, settings: EmergencySettings, accessChain: RunningAuditChain) {
  return (base: RequestContext): EmergencyContext => {
    const now = settings.clock();
    return { ...base, models, settings, now, accessChain, loaders: createLoaders(models, accessChain.chain, base.identity, now) };
  };
}
