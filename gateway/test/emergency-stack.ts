// Test support for the emergency subgraph on the test kit: the emergency subgraph (with other subgraphs when a test brings them) and a gateway over a fresh in-memory engine, a test clock, and every log line the services wrote.
import type { CommandStartedEvent } from "mongodb";
import type { Identity, MongoHandle, RunningService } from "@tsunagu/service-kit";
import { seedDemoEmergencyProfiles } from "@tsunagu/emergency";
import type { LookupRateLimit, SeedDemoEmergencyOptions } from "@tsunagu/emergency";
import { capturingLogger, signedIn, startStack } from "@tsunagu/test-kit";
import type { ExtraSubgraphs, HttpAnswer } from "@tsunagu/test-kit";
import type { ApiKeyStore } from "../src/api-keys";

export { capturingLogger, signedIn };

/** A clock the test moves; the emergency subgraph reads it as its trusted server clock. */
export class TestClock {
  private moment: Date;

  constructor(start: Date) {
    this.moment = new Date(start);
  }

  now = (): Date => new Date(this.moment);

  advanceMinutes(minutes: number): void {
    this.moment = new Date(this.moment.getTime() + minutes * 60_000);
  }
}

/** Other subgraphs a test runs beside emergency on the same database: their URLs by name, and how to stop them. */
export type OtherSubgraphs = ExtraSubgraphs;

export interface EmergencyStackOptions {
  now: Date;
  /** Starts further subgraphs (e.g. resources and groups for the crew's view) on the engine's connection. */
  others?: (engine: MongoHandle) => Promise<OtherSubgraphs>;
  lookupRateLimit?: LookupRateLimit;
  accessWindowMinutes?: number;
  /** Where the access log's chain head is written out, every 50 ms in tests; unset: not written out. */
  auditHeadDirectory?: string;
  /** Demo residents to seed (default 0). */
  seed?: Omit<SeedDemoEmergencyOptions, "now">;
}

export interface EmergencyStack {
  /** Owns the engine; tests read the collections through it. */
  engine: MongoHandle;
  /** Every command the emergency subgraph's own connection started, oldest first; clear it before measuring. */
  commands: CommandStartedEvent[];
  apiKeys: ApiKeyStore;
  clock: TestClock;
  emergency: RunningService;
  gateway: RunningService;
  /** Every line the emergency subgraph and the gateway logged (level debug and above). */
  logLines: string[];
  /** POSTs to the gateway as a client would. */
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** POSTs straight to the emergency subgraph; with `identity`, signed as the gateway signs it, else with no signature. */
  direct(query: string, variables?: Record<string, unknown>, identity?: Identity): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

/** Starts everything on free ports over a fresh in-memory database (one per test file, so files never share state). */
export async function startEmergencyStack(options: EmergencyStackOptions): Promise<EmergencyStack> {
  const logLines: string[] = [];
  const clock = new TestClock(options.now);
  const { seed } = options;
  const stack = await startStack({
    subgraphs: ["emergency"],
    beforeStart: async (engine) => {
      if (seed !== undefined) await seedDemoEmergencyProfiles(engine.connection, { ...seed, now: options.now });
    },
    alongside: options.others,
    subgraphOptions: {
      emergency: {
        clock: clock.now,
        lookupRateLimit: options.lookupRateLimit,
        accessWindowMinutes: options.accessWindowMinutes,
        auditHeadDirectory: options.auditHeadDirectory,
        auditHeadIntervalMs: 50,
      },
    },
    loggers: { emergency: capturingLogger("emergency", logLines), gateway: capturingLogger("gateway", logLines) },
  });
  return {
    engine: stack.engine,
    commands: stack.commands,
    apiKeys: stack.apiKeys,
    clock,
    emergency: stack.services.emergency,
    gateway: stack.gateway,
    logLines,
    graphql: (query, variables, headers) => stack.graphql(query, variables, headers),
    direct: (query, variables, identity) => stack.direct("emergency", query, variables, identity),
    stop: () => stack.stop(),
  };
}
