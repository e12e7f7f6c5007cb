// The events subgraph's create mutations on service-kit's createOnce: the record (with its creation stamp) is written in a transaction, together with the seat counter where there is one, and read back.
import type { ClientSession, Model, Types } from "mongoose";
import { createOnce, notFound } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import type { EventModels } from "./models";

/**
 * Runs `insert` (which writes, with `session`, a record stamped with `storedStamp(stamp)` and returns its id) once per
 * scope and key, in a transaction retried on transient conflicts; a retry gets the first record.
 */
export async function createOnceInTransaction<T extends { creation?: CreationStamp | null }>(
  models: EventModels,
  model: Model<T>,
  stamp: CreationStamp,
  insert: (session: ClientSession) => Promise<Types.ObjectId>,
): Promise<{ document: T; created: boolean }> {
  return createOnce(model, stamp, async () => {
    const id = await models.connection.transaction((session) => insert(session));
    const document = await model.findById(id).lean<T>();
    if (document === null) throw notFound(model.modelName, id.toHexString());
    return document;
  });
}
