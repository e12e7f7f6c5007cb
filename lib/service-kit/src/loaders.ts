// The per-request DataLoader every subgraph reads its own documents by id with: one query per batch, results in key order.
import DataLoader from "dataloader";
import { Types } from "mongoose";
import { isObjectIdHex } from "./inputs";

/**
 * Documents by `_id` (ObjectId hex, any case) in key order; null for an unknown or malformed id, which never reaches
 * the database. `find` reads the wanted ids in one query; its errors reject the whole batch (a database fault is
 * never turned into "not found"). `batch: false` sends one query per id (for benchmarks against the batched path).
 */
export function byIdLoader<T extends { _id: Types.ObjectId }>(find: (ids: Types.ObjectId[]) => Promise<T[]>, batch = true): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(
    async (ids) => {
      const wanted = ids.filter(isObjectIdHex).map((id) => new Types.ObjectId(id));
      const found = wanted.length === 0 ? [] : await find(wanted);
      const byId = new Map(found.map((document) => [document._id.toHexString(), document]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    },
    { batch, cacheKeyFn: (id) => id.toLowerCase() },
  );
}
