// Child process of `npm run bench:gateway`: an in-memory engine with the demo city (resources, groups, events, emergency profiles, seeded as `npm start`
// seeds them) and the resources, groups, events and emergency subgraphs on free loopback ports; prints one JSON line (CityServerReady).
import { connectMongo, createLogger, createPubSub, deriveSubgraphKeys } from "@tsunagu/service-kit";
import { emergencyModels, startEmergencySubgraph } from "@tsunagu/emergency";
import { startEventsSubgraph } from "@tsunagu/events";
import { startGroupsSubgraph } from "@tsunagu/groups";
import { startResourcesSubgraph } from "@tsunagu/resources";
import { seedDemoData } from "../start";
import { startCpuProfile } from "./processes";

/** What the child prints once it serves requests. */
export interface CityServerReady {
  /** Subgraph name → GraphQL URL. */
  urls: Record<string, string>;
  mongoUri: string;
  /** The demo residents' card codes, for the crews' look-ups. */
  cardCodes: string[];
}

async function main(): Promise<void> {
  const identitySecret = process.env.IDENTITY_SECRET ?? "";
  if (identitySecret.length < 32) throw new Error("IDENTITY_SECRET (32+ characters) is set by bench:gateway");
  const logger = createLogger({ name: "bench-city", level: "warn" });
  const mongo = await connectMongo({ dbName: "bench", logger });
  const pubsub = await createPubSub({ logger });
  const { connection } = mongo;
  const keys = (subgraph: string) => deriveSubgraphKeys(identitySecret, subgraph);
  const services = [
    await startResourcesSubgraph({ connection, keys: keys("resources"), logger, pubsub }),
    await startGroupsSubgraph({ connection, keys: keys("groups"), logger, pubsub }),
    await startEventsSubgraph({ connection, keys: keys("events"), logger, pubsub }),
    // The per-user look-up limit (20 per 10 minutes) is raised for the run: each crew sends hundreds of look-ups.
    await startEmergencySubgraph({ connection, keys: keys("emergency"), logger, pubsub, lookupRateLimit: { max: 1_000_000_000, windowSeconds: 60 } }),
  ];
  const urls = Object.fromEntries(["resources", "groups", "events", "emergency"].map((name, index) => [name, services[index].url]));
  await seedDemoData(connection, urls, identitySecret, logger);
  const profiles = await emergencyModels(connection).Profile.find({}, { cardCode: 1 }).lean();
  const ready: CityServerReady = { urls, mongoUri: mongo.uri, cardCodes: profiles.map((profile) => profile.cardCode) };
  // A CPU profile from the end of seeding to the stop, when BENCH_SUBGRAPHS_PROFILE_DIR names a directory.
  const profileDir = process.env.BENCH_SUBGRAPHS_PROFILE_DIR;
  const stopProfile = profileDir === undefined ? undefined : await startCpuProfile(profileDir, "city-subgraphs");
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  process.once("SIGTERM", () => {
    void (async () => {
      await stopProfile?.();
      for (const service of [...services].reverse()) await service.stop();
      await pubsub.close();
      await mongo.close();
    })();
  });
}

main().catch((error: Error) => {
  process.stderr.write(`bench city server: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
