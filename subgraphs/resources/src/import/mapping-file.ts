// A city's own CSV layout described by a column-mapping file (JSON or YAML), so its hospital, AED or evacuation-building list imports with no code change.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { taxonomyCategorySchema } from "../taxonomy";
import { SOURCE_FIELDS } from "./layouts";
import type { CategoryRule, Layout, SourceField } from "./layouts";

/** The mapping file could not be read or does not describe a layout; the message names what to fix. */
export class MappingFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MappingFileError";
  }
}

const headerNames = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const categoryCode = z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, "分類コードは英小文字・数字・ハイフンです (lower-case code)");

/** The mapping file's content (see README, 「市町村独自のCSV」). */
export const mappingFileSchema = z
  .object({
    /** Prefix of the records' source keys; keep it once chosen, re-imports find their records by it. */
    id: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, "id は英小文字・数字・ハイフンです (lower-case id)"),
    title: z.string().min(1).max(200),
    /** Column header (or alternatives) per field. */
    columns: z.partialRecord(z.enum(SOURCE_FIELDS), headerNames),
    /** One category for every row ... */
    category: categoryCode.optional(),
    /** ... or the value of the `category` column mapped to category codes, with a fallback for other values. */
    categoryValues: z.record(z.string(), categoryCode).optional(),
    fallbackCategory: categoryCode.optional(),
    defaults: z.object({ prefecture: z.string().min(1).optional(), city: z.string().min(1).optional(), municipalityCode: z.string().optional() }).optional(),
    /** Categories added to the taxonomy when it lacks them. */
    categories: z.array(taxonomyCategorySchema).optional(),
  })
  .refine((file) => file.columns.name !== undefined, { message: "columns.name is required", path: ["columns", "name"] })
  .refine((file) => file.category !== undefined || (file.columns.category !== undefined && file.categoryValues !== undefined), {
    message: "category か、columns.category と categoryValues が必要です (give category, or columns.category with categoryValues)",
    path: ["category"],
  });

export type MappingFile = z.output<typeof mappingFileSchema>;

/** The layout a mapping describes; its name column and its address column (when mapped) must be in a file's header. */
export function layoutOfMapping(mapping: MappingFile): Layout {
  const columns = Object.fromEntries(Object.entries(mapping.columns).map(([field, names]) => [field, typeof names === "string" ? [names] : names])) as Partial<
    Record<SourceField, readonly string[]>
  >;
  const category: CategoryRule =
    mapping.category !== undefined
      ? { from: "fixed", category: mapping.category }
      : { from: "column", values: mapping.categoryValues ?? {}, fallback: mapping.fallbackCategory };
  return {
    id: mapping.id,
    title: mapping.title,
    columns,
    signature: (["name", "address"] as const).filter((field) => columns[field] !== undefined),
    category,
    defaults: mapping.defaults,
    newCategories: mapping.categories,
  };
}

/** Reads a mapping file: YAML for .yaml/.yml, JSON otherwise. */
export async function readMappingFile(path: string): Promise<Layout> {
  let content: unknown;
  try {
    const text = await readFile(path, "utf8");
    content = [".yaml", ".yml"].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new MappingFileError(`${path}: 読み取れません (cannot read): ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = mappingFileSchema.safeParse(content);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`);
    throw new MappingFileError(`${path}: 対応表の形式が違います (not a mapping file):\n  ${problems.join("\n  ")}`);
  }
  return layoutOfMapping(parsed.data);
}
