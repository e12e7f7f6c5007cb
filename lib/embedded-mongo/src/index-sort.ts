// Sorting by walking an index: a sort whose keys follow an index (after an equality prefix) reads the index in
// order instead of sorting in memory, and stops as soon as skip + limit documents have matched.
import type { Document } from "bson";
import type { Collection } from "./collection";
import type { FieldPredicate, Index } from "./indexes";
import { MIN_KEY, MAX_KEY } from "./bson-values";
import { collationKey, type Collation } from "./collation";
import { numberType } from "./numbers";

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
export function planIndexSort(
  collection: Collection,
  sort: Array<{ field: string; direction: number }>,
  predicates: Map<string, FieldPredicate>,
  collation: Collation | undefined,
): IndexSortPlan | undefined {
  const direction = sort[0]?.direction;
  if (direction === undefined || sort.some((key) => key.direction !== direction)) return undefined;
  let best: IndexSortPlan | undefined;
  for (const index of collection.indexes.values()) {
    // Sparse, partial and multikey indexes do not hold every document exactly once in sort order.
    if (index.geoField || index.spec.sparse || index.spec.partialFilterExpression || index.multikey) continue;
    // An index orders strings by its collation: it serves only a sort under the same one (as MongoDB).
    if (collationKey(index.collation) !== collationKey(collation)) continue;
    if (Object.values(index.spec.key).some((type) => typeof type !== "number")) continue;
    const prefix: unknown[] = [];
    let position = 0;
    while (position < index.fields.length && index.fields[position] !== sort[0].field) {
      const equals = predicates.get(index.fields[position])?.equals;
      if (equals?.length !== 1) break;
      prefix.push(equals[0]);
      position++;
    }
    if (!sort.every((key, i) => index.fields[position + i] === key.field)) continue;
    if (best && best.prefix.length >= prefix.length) continue;
    const first = predicates.get(sort[0].field);
    best = {
      index,
      prefix,
      direction: direction > 0 ? 1 : -1,
      lower: first?.equals ? undefined : first?.lower,
      upper: first?.equals ? undefined : first?.upper,
    };
  }
  return best;
}

function bounds(plan: IndexSortPlan): { low: unknown[]; high: unknown[] } {
  const padding = plan.index.fields.length - plan.prefix.length - 1;
  return {
    low: [...plan.prefix, plan.lower ?? MIN_KEY, ...Array(padding).fill(MIN_KEY), MIN_KEY],
    high: [...plan.prefix, plan.upper ?? MAX_KEY, ...Array(padding).fill(MAX_KEY), MAX_KEY],
  };
}

/** True when every index entry within the plan's bounds matches the filter: it tests only the equality prefix. */
export function filterCoveredBy(plan: IndexSortPlan, filter: Document): boolean {
  if (plan.lower !== undefined || plan.upper !== undefined) return false;
  const fields = Object.keys(filter);
  if (fields.length !== plan.prefix.length) return false;
  return fields.every((field) => {
    const position = plan.index.fields.indexOf(field);
    const value = filter[field];
    const plain = value !== null && typeof value !== "object";
    return position >= 0 && position < plan.prefix.length && (plain || value instanceof Date || numberType(value) !== undefined);
  });
}

/*
 * Positional access to the index tree. sorted-btree keeps each internal node's entry count (`size()`), which makes
 * "the n-th key" and "how many keys sort before k" logarithmic; it exposes no method for them, so they read its nodes.
 */
interface TreeNode {
  keys: unknown[][];
  children?: TreeNode[];
  size(): number;
}

function rootOf(index: Index): TreeNode {
  return (index.tree as unknown as { _root: TreeNode })._root;
}

/** How many keys of the tree sort before `key`. */
function rankOf(index: Index, node: TreeNode, key: unknown[]): number {
  let rank = 0;
  for (;;) {
    const position = node.keys.findIndex((candidate) => index.compareKeys(candidate, key) >= 0);
    if (!node.children) return rank + (position === -1 ? node.keys.length : position);
    if (position === -1) return rank + node.size();
    for (let i = 0; i < position; i++) rank += node.children[i].size();
    node = node.children[position]!;
  }
}

/** The key at a position in the tree's order. */
function keyAt(node: TreeNode, position: number): unknown[] {
  for (;;) {
    if (!node.children) return node.keys[position];
    let i = 0;
    while (position >= node.children[i].size()) position -= node.children[i++].size();
    node = node.children[i]!;
  }
}

/** The record ids of one page within the plan's bounds, reached by position instead of reading skipped entries. */
export function pageByPosition(plan: IndexSortPlan, skip: number, limit: number | undefined): number[] {
  const { low, high } = bounds(plan);
  const root = rootOf(plan.index);
  const first = rankOf(plan.index, root, low);
  const end = rankOf(plan.index, root, high);
  const available = Math.max(0, end - first - skip);
  const count = limit === undefined ? available : Math.min(limit, available);
  const recordIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const key = keyAt(root, plan.direction === 1 ? first + skip + i : end - 1 - skip - i);
    recordIds.push(key[key.length - 1] as number);
  }
  return recordIds;
}

/** Record ids in sort order within the plan's bounds; counts the keys it reads. */
export function* walkIndex(plan: IndexSortPlan, counter: { keysExamined: number }): Generator<number> {
  const { index } = plan;
  const { low, high } = bounds(plan);
  const entries = plan.direction === 1 ? index.tree.entries(low) : index.tree.entriesReversed(high);
  for (const [key] of entries) {
    if (plan.direction === 1 ? index.compareKeys(key, high) > 0 : index.compareKeys(key, low) < 0) return;
    counter.keysExamined++;
    yield key[key.length - 1] as number;
  }
}
