// Create-once: a create mutation retried with the same idempotency key returns the first result instead of a duplicate.
import { createHash } from "node:crypto";
import { conflict } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { Model } from "mongoose";
import { idempotencyKeySchema, parseInput } from "./domain";
import type { Creation } from "./models";

/** MongoDB's duplicate-key error code. */
const DUPLICATE_KEY = 11000;

/** Keys are per caller: the same key from two people never collides. */
function creatorOf(identity: Identity): string {
  return `${identity.authMethod}:${identity.subject ?? identity.memberId ?? identity.role}`;
}

/** The creation stamp of a create request: caller, validated key, and a fingerprint of the validated input. */
export function creationOf(identity: Identity, rawKey: string, input: unknown): Creation {
  const key = parseInput(idempotencyKeySchema, rawKey, "idempotencyKey");
  const fingerprint = createHash("sha256").update(JSON.stringify(input)).digest("base64url");
  return { by: creatorOf(identity), key, fingerprint };
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * Inserts `record` stamped with `creation`, unless this caller already created something with this key: then
 * that first document is returned (`created: false`), or CONFLICT when the key came with different input.
 * Two concurrent retries race on the unique (creator, key) index; the loser returns the winner's document.
 */
export async function createOnce<T extends { creation?: Creation }>(
  model: Model<T>,
  creation: Creation,
  record: Omit<T, "_id" | "createdAt" | "updatedAt" | "creation">,
): Promise<{ document: T; created: boolean }> {
  const find = () => model.findOne({ "creation.by": creation.by, "creation.key": creation.key }).lean<T>();
  const earlier = await find();
  if (earlier !== null) return { document: sameRequest(earlier, creation), created: false };
  try {
    const created = await new model({ ...record, creation }).save();
    return { document: created.toObject() as T, created: true };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const winner = await find();
    if (winner === null) throw error;
    return { document: sameRequest(winner, creation), created: false };
  }
}

function sameRequest<T extends { creation?: Creation }>(earlier: T, creation: Creation): T {
  if (earlier.creation?.fingerprint !== creation.fingerprint) {
    throw conflict("idempotencyKey: この冪等キーは別の内容で使われています (this key was used with different input)", "idempotencyKey");
  }
  return earlier;
}
