// Resources counted by district and category with the zero cells, so a coordinator sees where a service is missing (地域資源の見える化).
import { z } from "zod";
import type { TaxonomyCategory } from "./taxonomy";
import { descendantCodes, loadTaxonomy } from "./categories";
import { invalidInput } from "./inputs";
import type { ResourceModels } from "./models";

/** How many resources of a category (and the categories under it) are located in or serve a district. */
export interface CoverageCell {
  district: string;
  category: TaxonomyCategory;
  count: number;
}

export interface Coverage {
  districts: string[];
  categories: TaxonomyCategory[];
  /** Every district × category, districts first, in the order of `districts` and `categories`. */
  cells: CoverageCell[];
  /** The cells counting zero. */
  gaps: CoverageCell[];
}

const name = z.string().trim().min(1, "空にできません (must not be empty)").max(63, "63文字以内です (at most 63 characters)");

export const coverageArgsSchema = z.object({
  districts: z.array(name).min(1, "1件以上指定してください (at least one value)").max(50, "50件までです (at most 50 values)").optional(),
  categories: z.array(name).min(1, "1件以上指定してください (at least one value)").max(100, "100件までです (at most 100 values)").optional(),
});

export type CoverageArgs = z.output<typeof coverageArgsSchema>;

/** Resources in operation: neither archived nor suspended. */
const OPERATING = { archivedAt: null, suspended: { $ne: true } };

/**
 * Counts resources in operation by district and category. A resource counts in its own district and in each district
 * it serves (once per district). Districts default to every district recorded on a resource in operation;
 * categories to every category under a top-level group. A group category counts the categories under it.
 */
export async function resourceCoverage(models: ResourceModels, args: CoverageArgs): Promise<Coverage> {
  const taxonomy = await loadTaxonomy(models);
  const unknown = (args.categories ?? []).flatMap((code, index) =>
    taxonomy.some((entry) => entry.code === code) ? [] : [{ field: `categories.${index}`, reason: `未登録の分類です (unknown category): ${code}` }],
  );
  if (unknown.length > 0) throw invalidInput(unknown);
  const categories = args.categories
    ? args.categories.map((code) => taxonomy.find((entry) => entry.code === code) as TaxonomyCategory)
    : taxonomy.filter((entry) => entry.parent !== null);

  const rows = await models.Resource.aggregate<{ _id: { district: string; category: string }; count: number }>([
    { $match: OPERATING },
    {
      $project: {
        category: 1,
        districts: {
          $setUnion: [{ $cond: [{ $ifNull: ["$address.district", false] }, ["$address.district"], []] }, { $ifNull: ["$servedDistricts", []] }],
        },
      },
    },
    { $unwind: "$districts" },
    { $group: { _id: { district: "$districts", category: "$category" }, count: { $sum: 1 } } },
  ]);
  const counted = new Map(rows.map((row) => [`${row._id.district}\u0000${row._id.category}`, row.count]));
  const districts = args.districts ?? [...new Set(rows.map((row) => row._id.district))].sort((a, b) => a.localeCompare(b, "ja"));

  const cells = districts.flatMap((district) =>
    categories.map((category): CoverageCell => ({
      district,
      category,
      count: descendantCodes(taxonomy, category.code).reduce((total, code) => total + (counted.get(`${district}\u0000${code}`) ?? 0), 0),
    })),
  );
  return { districts, categories, cells, gaps: cells.filter((cell) => cell.count === 0) };
}
