// Test helpers: an in-memory engine with a connected driver client, torn down after each file.
import { MongoClient, type CommandStartedEvent, type Db } from "mongodb";
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

/** One engine for the test file and a database of its own for every test (`<prefix>1`, `<prefix>2`, ...), with the command record reset. */
export interface DatabasePerTest {
  readonly harness: Harness;
  readonly db: Db;
}

/** Registers the file's hooks: the engine starts before the first test and stops after the last; each test gets a fresh database. */
export function databasePerTest(prefix: string): DatabasePerTest {
  let harness: Harness | undefined;
  let db: Db | undefined;
  let count = 0;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => stopHarness(harness));
  beforeEach(() => {
    if (harness === undefined) throw new Error("the engine did not start");
    db = harness.client.db(`${prefix}${++count}`);
    harness.commands.length = 0;
  });
  return {
    get harness() {
      if (harness === undefined) throw new Error("the engine did not start");
      return harness;
    },
    get db() {
      if (db === undefined) throw new Error("no test is running");
      return db;
    },
  };
}
