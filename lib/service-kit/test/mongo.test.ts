// Tests for mongo.ts: connecting to the embedded engine, mongoose safety options, persistence, clean close.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STATES, Schema, connections as globalConnections } from "mongoose";
import type { Connection } from "mongoose";
import { mongoReadinessCheck } from "../src/health";
import { createLogger, maskUriCredentials } from "../src/logger";
import { connectMongo } from "../src/mongo";
import type { MongoHandle } from "../src/mongo";

const resourceSchema = new Schema({
  name: { type: String, required: true },
  kana: { type: String, required: true },
  kind: { type: String, required: true },
});

function resourceModel(connection: Connection) {
  return connection.model("Resource", resourceSchema);
}

function captureLogger() {
  const lines: string[] = [];
  const logger = createLogger({ name: "mongo-test", level: "info", destination: { write: (line: string) => lines.push(line) } });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** A loopback port on which nothing listens. */
async function closedPort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("connectMongo with the embedded engine", () => {
  let handle: MongoHandle;
  let Resource: ReturnType<typeof resourceModel>;
  let records: () => Record<string, unknown>[];

  beforeAll(async () => {
    const log = captureLogger();
    records = log.records;
    handle = await connectMongo({ dbName: "service_kit_test", logger: log.logger });
    Resource = resourceModel(handle.connection);
  });

  afterAll(async () => {
    await handle?.close();
  });

  it("starts the engine on a loopback port, connects with its credentials, and logs the URI without them", () => {
    expect(handle.embedded).toBe(true);
    const password = /^mongodb:\/\/tsunagu:([^@]+)@127\.0\.0\.1:\d+\/service_kit_test\?authSource=admin$/.exec(handle.uri)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(handle.connection.name).toBe("service_kit_test");
    expect(records()).toContainEqual(
      expect.objectContaining({
        msg: "MongoDB connected",
        uri: maskUriCredentials(handle.uri),
        database: "service_kit_test",
        embedded: true,
        storage: "memory",
      }),
    );
    expect(JSON.stringify(records())).not.toContain(password);
  });

  it("uses a connection of its own, not mongoose's global one", () => {
    expect(globalConnections).not.toContain(handle.connection);
  });

  it("writes a document with a mongoose model and reads it back", async () => {
    const created = await Resource.create({ name: "北見訪問看護ステーション", kana: "きたみほうもんかんごすてーしょん", kind: "訪問看護" });
    const found = await Resource.findById(created._id).lean();
    expect(found).toMatchObject({ name: "北見訪問看護ステーション", kind: "訪問看護" });
    expect(String(found?._id)).toBe(String(created._id));
  });

  it("drops filter keys that are not in the schema (strictQuery)", async () => {
    await Resource.create({ name: "ふれあいサロン", kana: "ふれあいさろん", kind: "通いの場" });
    const filter = { kind: "通いの場", notInSchema: "anything" };
    const found = await Resource.find(filter).lean();
    expect(found.map((doc) => doc.name)).toEqual(["ふれあいサロン"]);
  });

  it("treats operators smuggled into filter values as plain values (sanitizeFilter)", async () => {
    const nameFromRequest: string = JSON.parse('{"$ne": null}');
    await expect(Resource.find({ name: nameFromRequest }).lean()).rejects.toThrow(/Cast to string failed/);
  });

  it("passes the readiness check while connected", async () => {
    await expect(mongoReadinessCheck(handle.connection)()).resolves.toBeUndefined();
  });
});

describe("connectMongo lifecycle", () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "service-kit-mongo-"));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("closes the connection and stops the engine, once, however often close is called", async () => {
    const { logger } = captureLogger();
    const handle = await connectMongo({ dbName: "lifecycle", logger });
    await Promise.all([handle.close(), handle.close()]);
    expect(handle.connection.readyState).toBe(STATES.disconnected);
    await expect(mongoReadinessCheck(handle.connection)()).rejects.toThrow("MongoDB connection is disconnected");
    const probe = await connectMongo({ uri: handle.uri, dbName: "lifecycle", logger, serverSelectionTimeoutMS: 300 }).catch((error: Error) => error);
    expect(probe).toBeInstanceOf(Error);
  });

  it("keeps data in dataDir across restarts of the engine", async () => {
    const { logger } = captureLogger();
    const first = await connectMongo({ dataDir, dbName: "persisted", logger });
    await resourceModel(first.connection).create({
      name: "北見市地域包括支援センター",
      kana: "きたみしちいきほうかつしえんせんたー",
      kind: "地域包括支援センター",
    });
    await first.close();

    const second = await connectMongo({ dataDir, dbName: "persisted", logger });
    try {
      const names = (await resourceModel(second.connection).find().lean()).map((doc) => doc.name);
      expect(names).toEqual(["北見市地域包括支援センター"]);
    } finally {
      await second.close();
    }
  });
});

describe("connectMongo with MONGODB_URI", () => {
  it("fails with the masked URI when no server answers, and logs no connection", async () => {
    const { logger, records } = captureLogger();
    const uri = `mongodb://admin:hunter2@127.0.0.1:${await closedPort()}/tsunagu`;
    const error = await connectMongo({ uri, dbName: "tsunagu", logger, serverSelectionTimeoutMS: 300 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Cannot connect to MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:\d+\/tsunagu: /);
    expect((error as Error).message).not.toContain("hunter2");
    expect(records()).toEqual([]);
  });
});
