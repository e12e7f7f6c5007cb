// The category taxonomy as stored: the default categories ensured on start, a city's own additions, the ordered list, descendants, and a validated input turned into its stored record.
import { conflict, duplicateKeyField } from "@tsunagu/service-kit";
import { invalidInput } from "./inputs";
import { DEFAULT_TAXONOMY, categorySearchTerms, checkResourceCategory } from "./taxonomy";
import type { TaxonomyCategory } from "./taxonomy";
import { toResourceRecord } from "./domain";
import type { FieldError, ResourceInput, ResourceRecord } from "./domain";
import type { CategoryDocument, ResourceModels } from "./models";
import type { CategoryLabels } from "./search-keys";

/**
 * Adds the default categories a collection lacks (by code), leaving every stored category, and a city's own
 * additions and edits, as they are.
 */
export async function ensureDefaultTaxonomy({ Category }: ResourceModels): Promise<void> {
  await Category.bulkWrite(
    DEFAULT_TAXONOMY.map((entry, order) => ({
      updateOne: { filter: { code: entry.code }, update: { $setOnInsert: { ...entry, order } }, upsert: true },
    })),
    { ordered: false },
  );
}

/** The whole taxonomy in display order. */
export function loadTaxonomy({ Category }: ResourceModels): Promise<CategoryDocument[]> {
  return Category.find().sort({ order: 1, code: 1 }).lean().exec();
}

/**
 * Adds a city's own category at the end of the taxonomy: its parent must exist (or be null for a new group), and a
 * code already used is CONFLICT (a concurrent addition of the same code too, by the unique index).
 */
export async function addCategory(models: ResourceModels, input: TaxonomyCategory): Promise<CategoryDocument> {
  const { Category } = models;
  if (input.parent !== null && (await Category.exists({ code: input.parent })) === null) {
    throw invalidInput([{ field: "input.parent", reason: `分類「${input.parent}」はありません (no category has this code)` }]);
  }
  const last = await Category.findOne({}, { order: 1 }).sort({ order: -1 }).lean();
  try {
    const [created] = await Category.create([{ ...input, order: (last?.order ?? -1) + 1 }]);
    return created.toObject<CategoryDocument>();
  } catch (error) {
    if (duplicateKeyField(error) === undefined) throw error;
    throw conflict(`input.code: 分類コード「${input.code}」は使われています (this code is already in the taxonomy)`, "input.code");
  }
}

/** Each category's code with the labels a text query matches (see search-keys). */
export function categoryLabels(taxonomy: readonly TaxonomyCategory[]): CategoryLabels[] {
  return taxonomy.map((entry) => ({ code: entry.code, labels: categorySearchTerms(entry) }));
}

/** `code` and the codes of every category under it. */
export function descendantCodes(taxonomy: readonly TaxonomyCategory[], code: string): string[] {
  const codes = [code];
  for (let index = 0; index < codes.length; index += 1) {
    codes.push(...taxonomy.filter((entry) => entry.parent === codes[index]).map((entry) => entry.code));
  }
  return codes;
}

/** The stored form of a validated input, or the problems of its category (unknown, or of another kind). */
export function recordFor(
  input: ResourceInput,
  taxonomy: readonly TaxonomyCategory[],
  now: Date,
): { ok: true; record: ResourceRecord } | { ok: false; errors: FieldError[] } {
  const errors = checkResourceCategory(input, taxonomy);
  const entry = taxonomy.find((candidate) => candidate.code === input.category);
  if (errors.length > 0 || entry === undefined) return { ok: false, errors };
  return { ok: true, record: toResourceRecord(input, now, categorySearchTerms(entry)) };
}
