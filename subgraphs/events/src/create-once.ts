// Create-once for the events subgraph's create mutations: a request retried with the same idempotency key returns what the first one created; the key and the record are written in one transaction.
import type { ClientSession, Types } from "mongoose";
import { conflict, duplicateKeyField, notFound } from "@tsunagu/service-kit";
import type { EventModels, IdempotencyKeyDocument } from "./models";

/** Who asks for what, with which key and input. */
export interface CreateRequest {
  /** `idempotencyCaller(identity)`. */
  caller: string;
  key: string;
  /** Where the key was given, named in a CONFLICT (e.g. `input.idempotencyKey`). */
  keyField: string;
  operation: IdempotencyKeyDocument["operation"];
  /** `inputFingerprint` of the arguments as sent. */
  fingerprint: string;
}

/** What a create did: the id of the record, and whether this request made it or replayed an earlier one. */
export interface Created {
  id: Types.ObjectId;
  replayed: boolean;
}

function sameRequest(used: IdempotencyKeyDocument, request: CreateRequest): Types.ObjectId {
  if (used.operation !== request.operation || used.inputHash !== request.fingerprint) {
    throw conflict(`${request.keyField}: この冪等キーは別の内容で使われています (this key was used with a different input; use a new key for a new request)`, request.keyField);
  }
  return used.resultId;
}

async function earlier(models: EventModels, request: CreateRequest, session?: ClientSession): Promise<Types.ObjectId | undefined> {
  const used = await models.IdempotencyKey.findOne({ caller: request.caller, key: request.key }).session(session ?? null).lean<IdempotencyKeyDocument>();
  return used === null ? undefined : sameRequest(used, request);
}

/**
 * Runs `create` (which writes with `session` and returns the new record's id) once per caller and key, in a
 * transaction with the key's record; retried on transient conflicts. A retry, or a concurrent duplicate that lost
 * the race on the unique (caller, key) index, gets the first result.
 */
export async function createOnce(models: EventModels, request: CreateRequest, now: Date, create: (session: ClientSession) => Promise<Types.ObjectId>): Promise<Created> {
  const replayedId = await earlier(models, request);
  if (replayedId !== undefined) return { id: replayedId, replayed: true };
  try {
    return await models.connection.transaction(async (session) => {
      const committedMeanwhile = await earlier(models, request, session);
      if (committedMeanwhile !== undefined) return { id: committedMeanwhile, replayed: true };
      const id = await create(session);
      const record = { caller: request.caller, key: request.key, operation: request.operation, inputHash: request.fingerprint, resultId: id, createdAt: now };
      await models.IdempotencyKey.create([record], { session });
      return { id, replayed: false };
    });
  } catch (error) {
    if (duplicateKeyField(error) !== "caller") throw error;
    const winner = await earlier(models, request);
    if (winner === undefined) throw notFound("Idempotency key", request.key);
    return { id: winner, replayed: true };
  }
}
