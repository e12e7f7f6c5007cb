// TTL indexes: removes documents whose indexed date is older than expireAfterSeconds, as MongoDB's TTL monitor does.
import type { Store } from "./store";

/** Deletes expired documents once; returns how many were removed. */
export async function removeExpired(store: Store, now = new Date()): Promise<number> {
  const unit = store.begin();
  let removed = 0;
  for (const [ns, collection] of store.namespaces) {
    for (const index of collection.indexes.values()) {
      const seconds = index.spec.expireAfterSeconds;
      if (typeof seconds !== "number" || index.fields.length !== 1) continue;
      const cutoff = now.getTime() - seconds * 1000;
      const field = index.fields[0];
      const expired: number[] = [];
      collection.records.forEachPair((recordId, doc) => {
        const value = doc[field];
        const dates = (Array.isArray(value) ? value : [value]).filter((v): v is Date => v instanceof Date);
        if (dates.length > 0 && Math.min(...dates.map((d) => d.getTime())) <= cutoff) expired.push(recordId);
      });
      for (const recordId of expired) unit.remove(ns, recordId);
      removed += expired.length;
    }
  }
  await unit.finish();
  return removed;
}
