// Test support for the emergency subgraph: the embedded engine in memory, the emergency subgraph (with other subgraphs when a test brings them), a gateway over them on free ports, a test clock, and every log line the services wrote.
import { join } from "node:path";
import { Writable } from "node:stream";
import type { CommandStartedEvent } from "mongodb";
import { IDENTITY_HEADER, connectMongo, createLogger, signIdentity } from "@tsunagu/service-kit";
import type { Identity, Logger, MongoHandle, RunningService } from "@tsunagu/service-kit";
import { seedDemoEmergencyProfiles, startEmergencySubgraph } from "@tsunagu/emergency";
import type { LookupRateLimit, SeedDemoEmergencyOptions } from "@tsunagu/emergency";
import { composeSupergraph, readSubgraphSources } from "../../scripts/compose";
import { issueToken } from "../src/auth";
import type { TokenRequest } from "../src/auth";
import { mongoApiKeyStore } from "../src/api-keys";
import type { ApiKeyStore } from "../src/api-keys";
import { TokenBucketRateLimiter } from "../src/rate-limit";
import { TEST_IDENTITY_SECRET, TEST_JWT, postGraphQL, startTestGateway } from "./helpers";
import type { HttpAnswer } from "./helpers";

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

/** Collects the JSON lines a logger writes, so a test can read what reached the logs. */
export function capturingLogger(name: string, lines: string[]): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter((line) => line !== ""));
      done();
    },
  });
  return createLogger({ name, level: "debug", destination });
}

/** Other subgraphs a test runs beside emergency on the same database: their URLs by name, and how to stop them. */
export interface OtherSubgraphs {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

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

/** The Authorization header of a user with a token from TEST_JWT. */
export async function signedIn(request: TokenRequest): Promise<Record<string, string>> {
  const token = await issueToken(request, { secret: TEST_JWT.secret as string, issuer: TEST_JWT.issuer, audience: TEST_JWT.audience });
  return { authorization: `Bearer ${token}` };
}

const SCHEMA_DIR = join(__dirname, "..", "..", "schema");

/** Starts everything on free ports over a fresh in-memory database (one per test file, so files never share state). */
export async function startEmergencyStack(options: EmergencyStackOptions): Promise<EmergencyStack> {
  const logLines: string[] = [];
  const quiet = createLogger({ name: "test", level: "silent" });
  const engine = await connectMongo({ dbName: "emergency-test", logger: quiet });
  const emergencyDb = await connectMongo({ uri: `${engine.uri}?monitorCommands=true`, dbName: "emergency-test", logger: quiet });
  const commands: CommandStartedEvent[] = [];
  emergencyDb.connection.getClient().on("commandStarted", (event) => commands.push(event));
  const clock = new TestClock(options.now);
  if (options.seed !== undefined) await seedDemoEmergencyProfiles(engine.connection, { ...options.seed, now: options.now });

  const others = options.others === undefined ? { urls: {}, stop: async () => undefined } : await options.others(engine);
  const urls: Record<string, string> = { ...others.urls };
  const emergency = await startEmergencySubgraph({
    connection: emergencyDb.connection,
    signingSecret: TEST_IDENTITY_SECRET,
    logger: capturingLogger("emergency", logLines),
    clock: clock.now,
    lookupRateLimit: options.lookupRateLimit,
    accessWindowMinutes: options.accessWindowMinutes,
    auditHeadDirectory: options.auditHeadDirectory,
    auditHeadIntervalMs: 50,
  });
  urls.emergency = emergency.url;
  const apiKeys = await mongoApiKeyStore(engine.connection);
  const gateway = await startTestGateway(urls, {
    apiKeys,
    supergraphSdl: composeSupergraph(readSubgraphSources(SCHEMA_DIR).filter((source) => source.name in urls)),
    rateLimiter: new TokenBucketRateLimiter({ burst: 1_000_000, perSecond: 1_000_000 }),
    logger: capturingLogger("gateway", logLines),
  });
  return {
    engine,
    commands,
    apiKeys,
    clock,
    emergency,
    gateway,
    logLines,
    graphql: (query, variables = {}, headers = {}) => postGraphQL(gateway.url, { query, variables }, headers),
    direct: (query, variables = {}, identity) =>
      postGraphQL(emergency.url, { query, variables }, identity === undefined ? {} : { [IDENTITY_HEADER]: signIdentity(identity, TEST_IDENTITY_SECRET) }),
    async stop() {
      await gateway.stop();
      await emergency.stop();
      await others.stop();
      await emergencyDb.close();
      await engine.close();
    },
  };
}
