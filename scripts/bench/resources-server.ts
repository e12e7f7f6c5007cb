// Child process of `npm run bench:gateway` and `bench:search`: the engine at MONGODB_URI (else one in memory in this process) seeded with BENCH_RESOURCES generated resources and the resources subgraph on a free loopback port; prints one JSON line ({ url, mongoUri, inserted, seedSeconds }).
import { connectMongo, createLogger, deriveSubgraphKeys } from "@tsunagu/service-kit";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";

/** What the child prints once it serves requests. */
export interface ResourcesServerReady {
  url: string;
  mongoUri: string;
  inserted: number;
  seedSeconds: number;
}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_RESOURCES);
  const signingSecret = process.env.IDENTITY_SECRET ?? "";
  if (!Number.isInteger(count) || count < 1 || signingSecret.length < 32) {
    throw new Error("BENCH_RESOURCES (a positive integer) and IDENTITY_SECRET (32+ characters) are set by bench:gateway");
  }
  const logger = createLogger({ name: "bench-resources", level: "warn" });
  const mongo = await connectMongo({ uri: process.env.MONGODB_URI, dbName: "bench", logger });
  const started = performance.now();
  const { inserted } = await seedDemoResources(mongo.connection, { count });
  const seedSeconds = (performance.now() - started) / 1000;
  const subgraph = await startResourcesSubgraph({
    connection: mongo.connection,
    keys: deriveSubgraphKeys(signingSecret, "resources"),
    logger,
    port: 0,
    host: "127.0.0.1",
  });
  const ready: ResourcesServerReady = { url: subgraph.url, mongoUri: mongo.uri, inserted, seedSeconds };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  process.once("SIGTERM", () => void subgraph.stop().then(() => mongo.close()));
}

main().catch((error: Error) => {
  process.stderr.write(`bench resources server: ${error.message}\n`);
  process.exit(1);
});
