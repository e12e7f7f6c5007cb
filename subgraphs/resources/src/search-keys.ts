// The character-gram index of resource text: grams stored with each resource, and a query's text as conditions an index can drive, verified exactly.
import type { Connection } from "mongoose";
import { escapeRegExp, searchTerms, toSearchKey } from "@tsunagu/service-kit";

/** The stored field holding a resource's grams (multikey, indexed). */
const SEARCH_GRAMS_FIELD = "searchGrams";
/** Resources read and written per round trip when grams are filled in for records stored before them. */
const BACKFILL_BATCH = 500;

/** A category's code and its labels (Japanese, kana, English), as a text query sees them. */
export interface CategoryLabels {
  code: string;
  labels: readonly string[];
}

/**
 * The grams stored with a resource from search keys: every pair of adjacent characters of each key, and each key's
 * last character alone. Every character of a key then begins a stored gram, so a one-character query finds its
 * candidates by prefix (see `textConditions`) without a gram per character, which would nearly double the index.
 * The category labels' keys are left out by the caller: they are the same for every resource of a category and
 * would double the index; a query matching a label finds the category instead.
 */
export function gramsOfKeys(keys: Iterable<string>): string[] {
  const grams = new Set<string>();
  for (const key of keys) {
    const characters = Array.from(key);
    for (let index = 0; index + 1 < characters.length; index += 1) grams.add(characters[index] + characters[index + 1]);
    if (characters.length > 0) grams.add(characters[characters.length - 1]);
  }
  return [...grams];
}

/** The grams a term of two or more characters needs: its adjacent pairs. */
export function termGrams(term: string): string[] {
  const characters = Array.from(term);
  const grams = new Set<string>();
  for (let index = 0; index + 1 < characters.length; index += 1) grams.add(characters[index] + characters[index + 1]);
  return [...grams];
}

/**
 * The candidate condition on the grams for a term: all its pairs, or for one character any gram starting with it (a
 * pair it begins, or itself as a key's last character). An anchored literal pattern is an index range on MongoDB and
 * on the embedded engine alike.
 */
function gramCondition(term: string): Record<string, unknown> {
  if (Array.from(term).length === 1) return { [SEARCH_GRAMS_FIELD]: { $regex: `^${escapeRegExp(term)}` } };
  return { [SEARCH_GRAMS_FIELD]: { $all: termGrams(term) } };
}

/** The codes of the categories one of whose labels contains `term` (compared as search keys). */
function categoriesMatching(term: string, categories: readonly CategoryLabels[]): string[] {
  return categories.filter((entry) => entry.labels.some((label) => toSearchKey(label).includes(term))).map((entry) => entry.code);
}

/**
 * The conditions of a text query, two per term: a candidate condition an index drives (all the term's grams among
 * the resource's, or a category whose label contains the term) and the exact test (the term inside one of the stored
 * search keys, which include the category labels). Together they match exactly what the exact test alone does.
 */
export function textConditions(text: string, categories: readonly CategoryLabels[]): Record<string, unknown>[] {
  return searchTerms(text).flatMap((term) => {
    const byGrams = gramCondition(term);
    const matching = categoriesMatching(term, categories);
    const candidates = matching.length === 0 ? byGrams : { $or: [byGrams, { category: { $in: matching } }] };
    return [candidates, { searchKeys: { $regex: escapeRegExp(term) } }];
  });
}

/**
 * Fills in the grams of resources stored before grams existed, from their stored search keys without their
 * category's labels; returns how many were written.
 */
export async function backfillSearchGrams(connection: Connection, categories: readonly CategoryLabels[]): Promise<number> {
  const labelKeys = new Map(categories.map((entry) => [entry.code, new Set(entry.labels.map(toSearchKey))]));
  const resources = connection.collection("resources");
  let written = 0;
  for (;;) {
    const batch = await resources
      .find({ [SEARCH_GRAMS_FIELD]: { $exists: false } }, { projection: { searchKeys: 1, category: 1 } })
      .limit(BACKFILL_BATCH)
      .toArray();
    if (batch.length === 0) return written;
    await resources.bulkWrite(
      batch.map((doc) => {
        const own = ((doc.searchKeys as string[] | undefined) ?? []).filter((key) => !labelKeys.get(doc.category as string)?.has(key));
        return { updateOne: { filter: { _id: doc._id }, update: { $set: { [SEARCH_GRAMS_FIELD]: gramsOfKeys(own) } } } };
      }),
      { ordered: false },
    );
    written += batch.length;
  }
}
