// Test helpers: an in-memory engine with a connected driver client, torn down after each file.
import { MongoClient, type CommandStartedEvent } from "mongodb";
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from "../src/index";

export interface Harness {
  engine: EmbeddedMongo;
  client: MongoClient;
  /** Commands the driver sent, by name, since the last reset. */
  commands: CommandStartedEvent[];
}

export async function startHarness(options: EmbeddedMongoOptions = {}): Promise<Harness> {
  const engine = await startEmbeddedMongo({ log: () => undefined, ...options });
  const client = new MongoClient(engine.connectionString("test"), { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
  const commands: CommandStartedEvent[] = [];
  client.on("commandStarted", (event) => commands.push(event));
  await client.connect();
  return { engine, client, commands };
}

export async function stopHarness(harness: Harness | undefined): Promise<void> {
  await harness?.client.close();
  await harness?.engine.stop();
}
