// The one idempotency mechanism for create-mutations: the key's form, the scope a key belongs to, the creation stamp kept on the created document (field and unique index), the replay window, and create-once itself.
import { createHash } from "node:crypto";
import { Schema } from "mongoose";
import type { Model } from "mongoose";
import { z } from "zod";
import { conflict } from "./errors";
import type { Identity } from "./identity";
import { validated, withoutNulls } from "./inputs";

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{8,200}$/, "冪等キーは8〜200文字の半角英数記号です (8-200 printable ASCII characters, e.g. a UUID)");

/**
 * How long a retry gets the first result back. The stamp itself stays on the created document for good (it is the
 * tombstone), so the same key sent after this window is CONFLICT, never a second record.
 */
export const IDEMPOTENCY_REPLAY_HOURS = 24;
const REPLAY_MS = IDEMPOTENCY_REPLAY_HOURS * 60 * 60 * 1000;

/** A hash of an input as sent (nulls dropped, keys sorted): equal for a retry of the same request. */
export function inputFingerprint(raw: unknown): string {
  const canonical = JSON.stringify(withoutNulls(raw), (_key, value: unknown) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
  return createHash("sha256").update(canonical).digest("hex");
}

/** Who the caller is for owning records, `<authMethod>:<subject>` (so two vendors' keys never collide). */
export function idempotencyCaller(identity: Identity): string {
  return `${identity.authMethod}:${identity.subject ?? identity.role}`;
}

/**
 * The scope a key lives in: the caller when signed in; without credentials, the key together with a digest of the
 * input, so one anonymous person's key never reaches another's record (the same key with other input is a request of
 * its own, not a CONFLICT that would tell that the key was used).
 */
export function idempotencyScope(identity: Identity, key: string, fingerprint: string): string {
  if (identity.authMethod !== "none") return idempotencyCaller(identity);
  return `anonymous:${createHash("sha256").update(`${key}\n${fingerprint}`).digest("hex")}`;
}

/** MongoDB's duplicate-key error code. */
const DUPLICATE_KEY = 11000;

/** The first field of the unique index a duplicate-key error (11000) is about (`""` when unknown), or undefined for any other error. */
export function duplicateKeyField(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || (error as { code?: unknown }).code !== DUPLICATE_KEY) return undefined;
  const pattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern;
  return Object.keys(pattern ?? {})[0] ?? "";
}

/** Kept on a created document: in which scope, with which key, for which input (fingerprint), and when. */
export interface CreationStamp {
  by: string;
  key: string;
  fingerprint: string;
  at: Date;
  /** Where the key was given (e.g. `input.idempotencyKey`), named in a CONFLICT; not stored. */
  keyField?: string;
}

const storedStampSchema = new Schema(
  {
    by: { type: String, required: true },
    key: { type: String, required: true },
    fingerprint: { type: String, required: true },
    at: { type: Date, default: undefined },
  },
  { _id: false },
);

/** Adds the `creation` field of a creatable collection, and its unique index: one document per (scope, key). */
export function withCreationStamp<S extends Schema>(schema: S): S {
  schema.add({ creation: { type: storedStampSchema, default: undefined } });
  schema.index({ "creation.by": 1, "creation.key": 1 }, { unique: true, partialFilterExpression: { "creation.key": { $exists: true } } });
  // Finds earlier creations by key without a scan where partial indexes are not used for lookups (the embedded engine).
  schema.index({ "creation.key": 1 });
  return schema;
}

/** The stamp of a create request: the key validated (BAD_USER_INPUT on `keyField`), its scope, a fingerprint of the input as sent. */
export function creationStamp(identity: Identity, rawKey: unknown, keyField: string, rawInput: unknown, now: Date): CreationStamp {
  const key = validated(idempotencyKeySchema, rawKey, keyField);
  const fingerprint = inputFingerprint(rawInput);
  return { by: idempotencyScope(identity, key, fingerprint), key, fingerprint, at: now, keyField };
}

/** The stamp as stored (without the field name). */
export function storedStamp({ by, key, fingerprint, at }: CreationStamp): CreationStamp {
  return { by, key, fingerprint, at };
}

/**
 * The document already created in this scope with this key (a retry), or null. CONFLICT when the key came with other
 * input, or when the first request is older than IDEMPOTENCY_REPLAY_HOURS (a key is never used for a second record).
 */
export async function findEarlierCreation<T extends { creation?: CreationStamp | null; createdAt?: Date }>(
  model: Model<T>,
  stamp: CreationStamp,
): Promise<T | null> {
  const earlier = await model.findOne({ "creation.by": stamp.by, "creation.key": stamp.key }).lean<T>();
  if (earlier === null) return null;
  const field = stamp.keyField ?? "idempotencyKey";
  if (earlier.creation?.fingerprint !== stamp.fingerprint) {
    throw conflict(`${field}: この冪等キーは別の内容で使われています (this key was used with different input; use a new key for a new request)`, field);
  }
  const firstAt = earlier.creation.at ?? earlier.createdAt;
  if (firstAt === undefined || stamp.at.getTime() - firstAt.getTime() > REPLAY_MS) {
    throw conflict(
      `${field}: この冪等キーの再送期限（${IDEMPOTENCY_REPLAY_HOURS}時間）を過ぎています (this key was used more than ${IDEMPOTENCY_REPLAY_HOURS} h ago; use a new key for a new request)`,
      field,
    );
  }
  return earlier;
}

/**
 * Runs `create` (which must store `storedStamp(stamp)` as the new document's `creation`) once per scope and key: a retry
 * gets the first document (`created: false`). Two concurrent requests race on the unique (scope, key) index; the
 * loser gets the winner's document.
 */
export async function createOnce<T extends { creation?: CreationStamp | null; createdAt?: Date }>(
  model: Model<T>,
  stamp: CreationStamp,
  create: () => Promise<T>,
): Promise<{ document: T; created: boolean }> {
  const earlier = await findEarlierCreation<T>(model, stamp);
  if (earlier !== null) return { document: earlier, created: false };
  try {
    return { document: await create(), created: true };
  } catch (error) {
    if (duplicateKeyField(error) !== "creation.by") throw error;
    const winner = await findEarlierCreation<T>(model, stamp);
    if (winner === null) throw error;
    return { document: winner, created: false };
  }
}

/** Create-once for a single insert: `record` stored with the stamp, unless this scope already created one with this key. */
export function insertOnce<T extends { creation?: CreationStamp | null; createdAt?: Date }>(
  model: Model<T>,
  stamp: CreationStamp,
  record: Omit<T, "_id" | "createdAt" | "updatedAt" | "creation">,
): Promise<{ document: T; created: boolean }> {
  return createOnce(model, stamp, async () => (await new model({ ...record, creation: storedStamp(stamp) }).save()).toObject() as T);
}
