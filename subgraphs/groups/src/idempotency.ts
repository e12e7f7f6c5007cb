// Create-once: a create mutation retried with the same idempotency key returns the first result instead of a duplicate.
import { creationStamp, duplicateKeyField, findEarlierCreation, idempotencyKeySchema, KEEP_NULLS, validated } from "@tsunagu/service-kit";
import type { CreationStamp, Identity } from "@tsunagu/service-kit";
import type { Model } from "mongoose";

/** The creation stamp of a create request: caller, validated key, and a fingerprint of the input as sent. */
export function creationOf(identity: Identity, rawKey: string, input: unknown): CreationStamp {
  return creationStamp(identity, validated(idempotencyKeySchema, rawKey, "idempotencyKey", KEEP_NULLS), input);
}

/**
 * Inserts `record` stamped with `creation`, unless this caller already created something with this key: then
 * that first document is returned (`created: false`), or CONFLICT when the key came with different input.
 * Two concurrent retries race on the unique (creator, key) index; the loser returns the winner's document.
 */
export async function createOnce<T extends { creation?: CreationStamp }>(
  model: Model<T>,
  creation: CreationStamp,
  record: Omit<T, "_id" | "createdAt" | "updatedAt" | "creation">,
): Promise<{ document: T; created: boolean }> {
  const earlier = await findEarlierCreation<T>(model, creation);
  if (earlier !== null) return { document: earlier, created: false };
  try {
    const created = await new model({ ...record, creation }).save();
    return { document: created.toObject() as T, created: true };
  } catch (error) {
    if (duplicateKeyField(error) === undefined) throw error;
    const winner = await findEarlierCreation<T>(model, creation);
    if (winner === null) throw error;
    return { document: winner, created: false };
  }
}
