// Bulk writes outside GraphQL: the demo city seeded on first start, and official open-data CSV files imported with upserts by official identifier.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { AnyBulkWriteOperation, Connection } from "mongoose";
import { ensureDefaultTaxonomy, loadTaxonomy, recordFor } from "./categories";
import { generateDemoCity, generateResources } from "./demo-city";
import type { FieldError, ResourceRecord } from "./domain";
import { formatRowProblems, openOpenDataCsv } from "./open-data";
import type { UpsertKey } from "./open-data";
import { openResourceModels } from "./models";
import type { ResourceDocument } from "./models";

const SEED_BATCH = 1000;
const IMPORT_BATCH = 500;

export interface SeedOptions {
  /** The moment verifications and vacancies are relative to; default now. */
  now?: Date;
  /** That many generated resources instead of the demo city (e.g. 100,000 for the benchmark). */
  count?: number;
}

/**
 * Ensures the default taxonomy, then seeds the demo city (or `count` generated resources) when the resources
 * collection is empty; `skipped` when it already held resources.
 */
export async function seedDemoResources(connection: Connection, options: SeedOptions = {}): Promise<{ inserted: number; skipped: boolean }> {
  const models = await openResourceModels(connection);
  await ensureDefaultTaxonomy(models);
  if ((await models.Resource.exists({})) !== null) return { inserted: 0, skipped: true };
  const now = options.now ?? new Date();
  const inputs = options.count === undefined ? generateDemoCity({ now }) : generateResources(options.count, { now });
  const taxonomy = await loadTaxonomy(models);
  let inserted = 0;
  for (let start = 0; start < inputs.length; start += SEED_BATCH) {
    const documents = inputs.slice(start, start + SEED_BATCH).map((input) => {
      const built = recordFor(input, taxonomy, now);
      if (!built.ok) throw new Error(`Demo resource ${input.names.official} is invalid: ${JSON.stringify(built.errors)}`);
      return { ...built.record, version: 1, createdAt: now, updatedAt: now };
    });
    // Records built by the domain code go in as they are: hydrating 100,000 mongoose documents takes minutes.
    await models.Resource.collection.insertMany(documents, { ignoreUndefined: true });
    inserted += documents.length;
  }
  return { inserted, skipped: false };
}

/** A rejected row of an import and why, one line per problem: `{ line: 7, problems: "7行目 経度: 数値ではありません (not a number): abc" }`. */
export interface RejectedRow {
  line: number;
  problems: string;
}

export interface ImportSummary {
  inserted: number;
  updated: number;
  /** In line order. */
  rejected: RejectedRow[];
}

export interface ImportOptions {
  /** Called as the file is read, after each batch is written. */
  onProgress?(bytesRead: number, totalBytes: number): void;
}

function rejectedRow(line: number, errors: readonly FieldError[]): RejectedRow {
  return { line, problems: formatRowProblems(line, errors).join("\n") };
}

/** Paths an open-data row owns: an import overwrites these and keeps what coordinators and providers added. */
const OPEN_DATA_FIELDS = [
  "kind",
  "category",
  "names",
  "operatorName",
  "description",
  "identifiers",
  "location",
  "openingHours",
  "departments",
  "suspended",
  "searchKeys",
  "searchGrams",
] as const;
const OPEN_DATA_SUBFIELDS = {
  address: ["postalCode", "prefecture", "city", "street", "building"],
  contact: ["phone", "fax", "url"],
  capacity: ["maximum", "unit"],
  provenance: ["source", "sourceName", "sourceDate", "modifiedAt"],
} as const;

/** An upsert on the row's official identifier: open-data paths are set, everything else only on insert. */
function upsertOf(upsertKey: UpsertKey, record: ResourceRecord): AnyBulkWriteOperation<ResourceDocument> {
  const set: Record<string, unknown> = {};
  const setOnInsert: Record<string, unknown> = {};
  const owned = new Set<string>(OPEN_DATA_FIELDS);
  for (const [field, value] of Object.entries(record)) {
    if (value === undefined) continue;
    const subfields: readonly string[] | undefined = OPEN_DATA_SUBFIELDS[field as keyof typeof OPEN_DATA_SUBFIELDS];
    if (subfields === undefined) {
      (owned.has(field) ? set : setOnInsert)[field] = value;
      continue;
    }
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      if (item !== undefined) (subfields.includes(name) ? set : setOnInsert)[`${field}.${name}`] = item;
    }
  }
  return {
    updateOne: { filter: { ...upsertKey }, update: { $set: set, $setOnInsert: setOnInsert, $inc: { version: 1 } }, upsert: true },
  };
}

/** What a driver bulk-write error carries (MongoBulkWriteError): per-operation errors and the result of the others. */
interface BulkFailure {
  writeErrors?: Array<{ index: number; errmsg?: string; code?: number }> | { index: number; errmsg?: string; code?: number };
  result?: { upsertedIds?: Record<number, unknown> };
}

function isBulkFailure(error: unknown): error is BulkFailure {
  return typeof error === "object" && error !== null && "writeErrors" in error && "result" in error;
}

/**
 * Imports an official open-data CSV (either layout, recognised from the header): each good row is upserted on its
 * official identifier in a single-document write, so a bad row never leaves a half-written record. Rejected rows are
 * reported with their line numbers. Header and parse errors (OpenDataHeaderError, OpenDataParseError) and file
 * errors are thrown.
 */
export async function importResourcesFile(connection: Connection, path: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const totalBytes = (await stat(path)).size;
  const models = await openResourceModels(connection);
  await ensureDefaultTaxonomy(models);
  const taxonomy = await loadTaxonomy(models);
  const file = await openOpenDataCsv(createReadStream(path), taxonomy);
  const summary: ImportSummary = { inserted: 0, updated: 0, rejected: [] };
  const now = new Date();
  let batch: Array<{ line: number; operation: AnyBulkWriteOperation<ResourceDocument> }> = [];

  const flush = async () => {
    const rows = batch;
    batch = [];
    if (rows.length > 0) {
      let upserted: Record<number, unknown> = {};
      let failed = new Map<number, string>();
      try {
        const result = await models.Resource.bulkWrite(rows.map((row) => row.operation), { ordered: false });
        upserted = result.upsertedIds;
      } catch (error) {
        if (!isBulkFailure(error)) throw error;
        const errors = Array.isArray(error.writeErrors) ? error.writeErrors : error.writeErrors ? [error.writeErrors] : [];
        failed = new Map(
          errors.map((item) => [
            item.index,
            item.code === 11000 ? "別の地域資源と識別番号が衝突します (clashes with another resource's identifier)" : (item.errmsg ?? "write failed"),
          ]),
        );
        upserted = error.result?.upsertedIds ?? {};
      }
      rows.forEach((row, index) => {
        const problem = failed.get(index);
        if (problem !== undefined) summary.rejected.push(rejectedRow(row.line, [{ field: "識別番号 (identifier)", reason: problem }]));
        else if (index in upserted) summary.inserted += 1;
        else summary.updated += 1;
      });
    }
    options.onProgress?.(file.bytesRead(), totalBytes);
  };

  for await (const row of file.rows) {
    if ("errors" in row) {
      summary.rejected.push(rejectedRow(row.line, row.errors));
      continue;
    }
    const built = recordFor(row.resource, taxonomy, now);
    if (!built.ok) {
      summary.rejected.push(rejectedRow(row.line, built.errors));
      continue;
    }
    batch.push({ line: row.line, operation: upsertOf(row.upsertKey, built.record) });
    if (batch.length === IMPORT_BATCH) await flush();
  }
  await flush();
  summary.rejected.sort((a, b) => a.line - b.line);
  return summary;
}
