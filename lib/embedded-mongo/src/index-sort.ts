// Sorting by walking an index: a sort whose keys follow an index (after an equality prefix) reads the index in
// order instead of sorting in memory, and stops as soon as skip + limit documents have matched.
import type { Collection } from "./collection";
import type { FieldPredicate, Index } from "./indexes";
import { compareKeys, MIN_KEY, MAX_KEY } from "./bson-values";

/** How a sort is served by an index. */
export interface IndexSortPlan {
  index: Index;
  /** Values of the equality-matched leading fields. */
  prefix: unknown[];
  direction: 1 | -1;
  /** Bounds on the first sorted field, from the filter's range. */
  lower: unknown;
  upper: unknown;
}

/** An index that returns documents in the order of `sort`, if the collection has one. */
export function planIndexSort(collection: Collection, sort: Array<{ field: string; direction: number }>, predicates: Map<string, FieldPredicate>): IndexSortPlan | undefined {
  const direction = sort[0]?.direction;
  if (direction === undefined || sort.some((key) => key.direction !== direction)) return undefined;
  let best: IndexSortPlan | undefined;
  for (const index of collection.indexes.values()) {
    // Sparse, partial and multikey indexes do not hold every document exactly once in sort order.
    if (index.geoField || index.spec.sparse || index.spec.partialFilterExpression || index.multikey || index.spec.collation) continue;
    if (Object.values(index.spec.key).some((type) => typeof type !== "number")) continue;
    const prefix: unknown[] = [];
    let position = 0;
    while (position < index.fields.length && index.fields[position] !== sort[0]!.field) {
      const equals = predicates.get(index.fields[position]!)?.equals;
      if (equals?.length !== 1) break;
      prefix.push(equals[0]);
      position++;
    }
    if (!sort.every((key, i) => index.fields[position + i] === key.field)) continue;
    if (best && best.prefix.length >= prefix.length) continue;
    const first = predicates.get(sort[0]!.field);
    best = { index, prefix, direction: direction > 0 ? 1 : -1, lower: first?.equals ? undefined : first?.lower, upper: first?.equals ? undefined : first?.upper };
  }
  return best;
}

/** Record ids in sort order within the plan's bounds; counts the keys it reads. */
export function* walkIndex(plan: IndexSortPlan, counter: { keysExamined: number }): Generator<number> {
  const { index, prefix } = plan;
  const padding = index.fields.length - prefix.length - 1;
  const low = [...prefix, plan.lower ?? MIN_KEY, ...Array(padding).fill(MIN_KEY), MIN_KEY];
  const high = [...prefix, plan.upper ?? MAX_KEY, ...Array(padding).fill(MAX_KEY), MAX_KEY];
  const entries = plan.direction === 1 ? index.tree.entries(low) : index.tree.entriesReversed(high);
  for (const [key] of entries) {
    if (plan.direction === 1 ? compareKeys(key, high) > 0 : compareKeys(key, low) < 0) return;
    counter.keysExamined++;
    yield key[key.length - 1] as number;
  }
}
