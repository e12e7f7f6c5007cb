// What idempotent create-mutations share: the key's form, the caller a key belongs to, a fingerprint of the input as sent, the stamp stored with a created document, finding that document again, and reading MongoDB's duplicate-key errors.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Model } from "mongoose";
import { conflict } from "./errors";
import type { Identity } from "./identity";
import { withoutNulls } from "./inputs";

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{8,200}$/, "冪等キーは8〜200文字の半角英数記号です (8-200 printable ASCII characters, e.g. a UUID)");

/** A hash of an input as sent (nulls dropped, keys sorted): equal for a retry of the same request. */
export function inputFingerprint(raw: unknown): string {
  const canonical = JSON.stringify(withoutNulls(raw), (_key, value: unknown) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
  return createHash("sha256").update(canonical).digest("hex");
}

/** Idempotency keys belong to a caller, `<authMethod>:<subject>`, so two vendors' keys never collide. */
export function idempotencyCaller(identity: Identity): string {
  return `${identity.authMethod}:${identity.subject ?? identity.role}`;
}

/** MongoDB's duplicate-key error code. */
const DUPLICATE_KEY = 11000;

/** The first field of the unique index a duplicate-key error (11000) is about (`""` when unknown), or undefined for any other error. */
export function duplicateKeyField(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || (error as { code?: unknown }).code !== DUPLICATE_KEY) return undefined;
  const pattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern;
  return Object.keys(pattern ?? {})[0] ?? "";
}

/** Stored with a created document: who created it with which idempotency key and input. */
export interface CreationStamp {
  by: string;
  key: string;
  fingerprint: string;
}

/** The stamp of a create request: its caller, its (already validated) key, and a fingerprint of the input as sent. */
export function creationStamp(identity: Identity, key: string, rawInput: unknown): CreationStamp {
  return { by: idempotencyCaller(identity), key, fingerprint: inputFingerprint(rawInput) };
}

/**
 * The document this caller already created with this key (a retry), or null; CONFLICT when the key came with other
 * input. Documents keep the stamp under `creation`, with a unique index on (`creation.by`, `creation.key`).
 */
export async function findEarlierCreation<T extends { creation?: CreationStamp | null }>(model: Model<T>, stamp: CreationStamp): Promise<T | null> {
  const earlier = await model.findOne({ "creation.by": stamp.by, "creation.key": stamp.key }).lean<T>();
  if (earlier === null) return null;
  if (earlier.creation?.fingerprint !== stamp.fingerprint) {
    throw conflict("idempotencyKey: この冪等キーは別の内容で使われています (this key was used with different input)", "idempotencyKey");
  }
  return earlier;
}
