// Authentication as an attacker on the engine's port meets it: through the official driver, no credentials and a wrong password are refused and read and write nothing; the right credentials work; credentials live in the data directory (0600).
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient, MongoServerError } from "mongodb";
import { CREDENTIALS_FILE } from "../src/auth";
import { startEmbeddedMongo } from "../src/index";
import { startHarness, stopHarness, type Harness } from "./helpers";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
  await harness.client
    .db("clinic")
    .collection("profiles")
    .insertOne({ _id: "p1" as never, name: "坂本 昭", allergies: ["ペニシリン"] });
});
afterAll(() => stopHarness(harness));

/** What an error from the driver says (code and name), or "ok" when there was none. */
async function outcome(attempt: () => Promise<unknown>): Promise<string> {
  try {
    await attempt();
    return "ok";
  } catch (error) {
    return error instanceof MongoServerError ? `${error.code} ${error.codeName}` : (error as Error).name;
  }
}

async function profiles(): Promise<unknown[]> {
  return harness.client.db("clinic").collection("profiles").find().toArray();
}

test("the printed URI carries no credentials; the connection string does", () => {
  expect(harness.engine.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+$/);
  expect(harness.engine.connectionString("x")).toContain(`:${encodeURIComponent(harness.engine.credentials.password)}@`);
});

test("without credentials every command but the handshake is refused with Unauthorized (13), and nothing is read or written", async () => {
  const anonymous = new MongoClient(`${harness.engine.uri}/clinic`, { serverSelectionTimeoutMS: 5000 });
  try {
    const db = anonymous.db("clinic");
    const results = {
      find: await outcome(() => db.collection("profiles").find().toArray()),
      insert: await outcome(() => db.collection("profiles").insertOne({ _id: "forged" as never })),
      remove: await outcome(() => db.collection("profiles").deleteMany({})),
      update: await outcome(() => db.collection("profiles").updateOne({ _id: "p1" as never }, { $set: { name: "x" } })),
      drop: await outcome(() => db.dropDatabase()),
      listDatabases: await outcome(() => anonymous.db("admin").admin().listDatabases()),
      listCollections: await outcome(() => db.listCollections().toArray()),
      serverStatus: await outcome(() => db.command({ serverStatus: 1 })),
    };
    expect(Object.values(results)).toEqual(Array(8).fill("13 Unauthorized"));
    expect(await outcome(() => db.command({ ping: 1 }))).toBe("ok");
  } finally {
    await anonymous.close();
  }
  expect(await profiles()).toEqual([{ _id: "p1", name: "坂本 昭", allergies: ["ペニシリン"] }]);
});

test("a wrong password or an unknown user is refused with AuthenticationFailed (18)", async () => {
  const { host, port, credentials } = harness.engine;
  for (const [user, password] of [
    [credentials.username, "wrong-password"],
    ["root", credentials.password],
  ] as const) {
    const intruder = new MongoClient(`mongodb://${user}:${password}@${host}:${port}/clinic?authSource=admin`, { serverSelectionTimeoutMS: 5000 });
    expect(await outcome(() => intruder.db("clinic").collection("profiles").deleteMany({}))).toBe("18 AuthenticationFailed");
    await intruder.close();
  }
  // A client that authenticates against another database is refused too: the user lives in admin.
  const elsewhere = new MongoClient(`mongodb://${credentials.username}:${credentials.password}@${host}:${port}/clinic?authSource=clinic`, {
    serverSelectionTimeoutMS: 5000,
  });
  expect(await outcome(() => elsewhere.db("clinic").collection("profiles").find().toArray())).toBe("18 AuthenticationFailed");
  await elsewhere.close();
  expect(await profiles()).toHaveLength(1);
});

test("the right credentials read and write (SCRAM-SHA-256, as the driver negotiates it)", async () => {
  const client = new MongoClient(harness.engine.connectionString("clinic"), { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db("clinic").collection("visits").insertOne({ at: "2026-12-04" });
    expect(await client.db("clinic").collection("visits").countDocuments()).toBe(1);
    const status = await client.db("admin").command({ hello: 1, saslSupportedMechs: `admin.${harness.engine.credentials.username}` });
    expect(status.saslSupportedMechs).toEqual(["SCRAM-SHA-256"]);
  } finally {
    await client.close();
  }
});

test("SCRAM-SHA-1 is not offered: asking for it is refused with MechanismUnavailable (334)", async () => {
  const { host, port, credentials } = harness.engine;
  const client = new MongoClient(`mongodb://${credentials.username}:${credentials.password}@${host}:${port}/?authSource=admin&authMechanism=SCRAM-SHA-1`, {
    serverSelectionTimeoutMS: 5000,
  });
  expect(await outcome(() => client.db("clinic").collection("profiles").findOne())).toBe("334 MechanismUnavailable");
  await client.close();
});

test("with a data directory the credentials are generated on first start into engine-credentials.json (0600) and kept across restarts", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tsunagu-engine-auth-"));
  try {
    const first = await startEmbeddedMongo({ dataDir, log: () => undefined });
    const credentials = first.credentials;
    await first.stop();
    const path = join(dataDir, CREDENTIALS_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(credentials);
    expect(credentials.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await startEmbeddedMongo({ dataDir, log: () => undefined });
    expect(second.credentials).toEqual(credentials);
    const client = await MongoClient.connect(second.connectionString("x"), { serverSelectionTimeoutMS: 5000 });
    expect(await client.db("x").command({ ping: 1 })).toEqual({ ok: 1 });
    await client.close();
    await second.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
