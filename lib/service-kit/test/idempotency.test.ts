// The one idempotency mechanism on a real collection: a retry gets the first document, other input or a retry after the replay window is CONFLICT (never a duplicate), anonymous keys are scoped to key and input, and a race creates one document.
import { Schema } from "mongoose";
import type { GraphQLError } from "graphql";
import type { Model, Types } from "mongoose";
import { createLogger } from "../src/logger";
import { connectMongo } from "../src/mongo";
import type { MongoHandle } from "../src/mongo";
import { IDEMPOTENCY_REPLAY_HOURS, creationStamp, insertOnce, withCreationStamp } from "../src/idempotency";
import type { CreationStamp } from "../src/idempotency";
import type { Identity } from "../src/identity";

interface Note {
  _id: Types.ObjectId;
  text: string;
  creation?: CreationStamp;
  createdAt?: Date;
}

const vendor = { role: "VENDOR", authMethod: "apiKey", subject: "vendor-1" } as Identity;
const anonymous = { role: "PUBLIC", authMethod: "none" } as Identity;
const HOUR_MS = 60 * 60 * 1000;

let handle: MongoHandle;
let Notes: Model<Note>;

beforeAll(async () => {
  handle = await connectMongo({ dbName: "idempotency_test", logger: createLogger({ name: "idempotency-test", level: "silent" }) });
  Notes = handle.connection.model<Note>(
    "Note",
    withCreationStamp(new Schema<Note>({ text: String }, { timestamps: true, versionKey: false, strict: "throw" })),
  );
  await Notes.init();
});
afterAll(async () => {
  await handle?.close();
});

async function refusal(run: () => Promise<unknown>): Promise<GraphQLError> {
  try {
    await run();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error("expected a refusal");
}

test("a retry with the same key and input gets the first document; other input is CONFLICT naming the key's field", async () => {
  const at = new Date();
  const first = await insertOnce(Notes, creationStamp(vendor, "key-00000001", "input.idempotencyKey", { text: "a" }, at), { text: "a" });
  const again = await insertOnce(
    Notes,
    creationStamp(vendor, "key-00000001", "input.idempotencyKey", { text: "a", extra: null }, new Date(at.getTime() + HOUR_MS)),
    { text: "a" },
  );
  expect(first.created).toBe(true);
  expect(again).toEqual({ created: false, document: expect.objectContaining({ _id: first.document._id }) });
  const other = await refusal(() => insertOnce(Notes, creationStamp(vendor, "key-00000001", "input.idempotencyKey", { text: "b" }, at), { text: "b" }));
  expect(other.extensions).toEqual({ code: "CONFLICT", field: "input.idempotencyKey" });
  expect(await Notes.countDocuments({ "creation.key": "key-00000001" })).toBe(1);
});

test(`after ${IDEMPOTENCY_REPLAY_HOURS} h the key is still remembered: a late retry is CONFLICT, never a second document`, async () => {
  const at = new Date("2026-01-01T00:00:00Z");
  await insertOnce(Notes, creationStamp(vendor, "key-00000002", "idempotencyKey", { text: "late" }, at), { text: "late" });
  const late = new Date(at.getTime() + (IDEMPOTENCY_REPLAY_HOURS + 1) * HOUR_MS);
  const refused = await refusal(() => insertOnce(Notes, creationStamp(vendor, "key-00000002", "idempotencyKey", { text: "late" }, late), { text: "late" }));
  expect(refused.extensions).toEqual({ code: "CONFLICT", field: "idempotencyKey" });
  expect(refused.message).toContain(`${IDEMPOTENCY_REPLAY_HOURS} h`);
  expect(await Notes.countDocuments({ text: "late" })).toBe(1);
});

test("anonymous keys live with their input: the same key with another person's input is a request of its own", async () => {
  const at = new Date();
  const mine = await insertOnce(Notes, creationStamp(anonymous, "shared-key-1", "input.idempotencyKey", { name: "一郎" }, at), { text: "一郎" });
  const theirs = await insertOnce(Notes, creationStamp(anonymous, "shared-key-1", "input.idempotencyKey", { name: "二郎" }, at), { text: "二郎" });
  expect(theirs.created).toBe(true);
  expect(theirs.document._id.equals(mine.document._id)).toBe(false);
  expect(mine.document.creation?.by).toMatch(/^anonymous:[0-9a-f]{64}$/);
  const signedIn = await insertOnce(Notes, creationStamp(vendor, "shared-key-1", "input.idempotencyKey", { name: "一郎" }, at), { text: "一郎" });
  expect(signedIn.created).toBe(true);
});

test("concurrent requests with one key create one document and all get it", async () => {
  const at = new Date();
  const results = await Promise.all(
    Array.from({ length: 5 }, () => insertOnce(Notes, creationStamp(vendor, "key-race-0001", "idempotencyKey", { text: "race" }, at), { text: "race" })),
  );
  expect(new Set(results.map((result) => result.document._id.toHexString())).size).toBe(1);
  expect(results.filter((result) => result.created)).toHaveLength(1);
  expect(await Notes.countDocuments({ text: "race" })).toBe(1);
});

test("a malformed key is BAD_USER_INPUT on its field", () => {
  expect(() => creationStamp(vendor, "short", "input.idempotencyKey", {}, new Date())).toThrow(
    expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT", field: "input.idempotencyKey" }) }),
  );
});
