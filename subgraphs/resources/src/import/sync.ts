// Synchronises an official file with the resources collection in batches: unchanged rows are not written, changed rows update only what the source owns and people did not edit, new rows join their place.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { stat } from "node:fs/promises";
import { Types, trusted } from "mongoose";
import type { AnyBulkWriteOperation, Connection } from "mongoose";
import { ensureDefaultTaxonomy, loadTaxonomy, recordFor } from "../categories";
import { loadDistrictTable } from "../districts";
import type { DistrictTable } from "../districts";
import type { ResourceRecord } from "../domain";
import { OFFICIAL_FIELDS, SEARCH_KEY_FIELDS, editedByPeople, valueAtPath, withProvenance } from "../field-provenance";
import { openResourceModels } from "../models";
import type { CategoryDocument, FieldProvenanceDocument, ImportIssueDocument, ResourceDocument, ResourceModels } from "../models";
import { openOpenDataCsv } from "./reader";
import type { Layout } from "./layouts";
import type { ImportIssue, ImportScope, ImportedService } from "./rows";

/** Rows read before one round of look-ups and one bulk write. */
const BATCH_SIZE = 1000;

export interface ImportOptions {
  /** A city's own layout (from `readMappingFile`); built-in layouts are recognised by their header. */
  layout?: Layout;
  /** Only rows of this prefecture or city (都道府県コード / 市町村コード). */
  scope?: ImportScope;
  /** Read and report, write nothing. */
  dryRun?: boolean;
  /** Called after each batch: bytes read of the file, and rows read so far. */
  onProgress?(progress: { bytesRead: number; totalBytes: number; rows: number }): void;
  /** The import's moment (modifiedAt of what it changes); default now. */
  now?: Date;
}

/** What an import did, row by row counted once: every issue has line, column, value and reason (Japanese and English). */
export interface ImportReport {
  file: string;
  layout: string;
  /** Data rows read (blank lines not counted). */
  rows: number;
  /** Services written for the first time, changed, and found as they were. */
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows imported with at least one issue. */
  warned: number;
  rejected: number;
  /** Rows outside `--prefecture` / `--city`. */
  outOfScope: number;
  /** The issues of imported rows (kept on their records too) and of rejected rows, in line order. */
  warnings: ImportIssue[];
  rejections: ImportIssue[];
}

interface Existing {
  _id: Types.ObjectId;
  sourceKey: string;
  placeId: Types.ObjectId;
  placeKeys?: string[];
  importHash?: string;
  fieldProvenance?: FieldProvenanceDocument[];
}

/** The hash of what the source says about a service (line numbers left out, so a moved row is unchanged). */
function contentHash(record: ResourceRecord, issues: readonly ImportIssue[], placeKeys: readonly string[]): string {
  const { provenance, ...content } = record;
  const stable = { ...content, provenance: { ...provenance, modifiedAt: undefined } };
  const issueText = issues.map((issue) => [issue.column, issue.value, issue.reason]);
  return createHash("sha1")
    .update(JSON.stringify([stable, issueText, placeKeys]))
    .digest("base64url");
}

function issueDocuments(issues: readonly ImportIssue[], file: string): ImportIssueDocument[] {
  return issues.map((issue) => ({ ...issue, file }));
}

/** The whole import state of one run: the file, taxonomy, districts and the places seen so far. */
class Synchroniser {
  readonly report: ImportReport;
  private readonly placeOfKey = new Map<string, Types.ObjectId>();

  constructor(
    private readonly models: ResourceModels,
    private readonly taxonomy: readonly CategoryDocument[],
    private readonly districts: DistrictTable,
    private readonly file: string,
    layout: string,
    private readonly options: ImportOptions,
    private readonly now: Date,
  ) {
    this.report = { file, layout, rows: 0, inserted: 0, updated: 0, unchanged: 0, warned: 0, rejected: 0, outOfScope: 0, warnings: [], rejections: [] };
  }

  /** One entry for the fields this import writes (one per write rather than per field: a record carries 17 fields). */
  private provenanceOf(record: ResourceRecord, fields: string[]): FieldProvenanceDocument[] {
    return [{ fields, source: "OPEN_DATA", file: this.file, sourceDate: record.provenance.sourceDate, at: this.now }];
  }

  /** One batch: two indexed look-ups (by source key, by place key), then one unordered bulk write. */
  async write(services: readonly ImportedService[], warnedLines: Set<number>): Promise<void> {
    if (services.length === 0) return;
    const { Resource } = this.models;
    const found = await Resource.find(
      { sourceKey: trusted({ $in: [...new Set(services.map((service) => service.sourceKey))] }) },
      { sourceKey: 1, placeId: 1, placeKeys: 1, importHash: 1, fieldProvenance: 1 },
    ).lean<Existing[]>();
    const existing = new Map(found.map((doc) => [doc.sourceKey, doc]));
    const unknownKeys = [...new Set(services.flatMap((service) => service.placeKeys))].filter((key) => !this.placeOfKey.has(key));
    if (unknownKeys.length > 0) {
      const places = await Resource.find({ placeKeys: trusted({ $in: unknownKeys }) }, { placeId: 1, placeKeys: 1 }).lean();
      for (const place of places) for (const key of place.placeKeys ?? []) if (!this.placeOfKey.has(key)) this.placeOfKey.set(key, place.placeId);
    }

    const operations: AnyBulkWriteOperation<ResourceDocument>[] = [];
    const lines: number[] = [];
    const outcomes: Array<"inserted" | "updated"> = [];
    for (const service of services) {
      const built = recordFor(service.input, this.taxonomy, this.now);
      if (!built.ok) {
        this.reject(
          service.line,
          built.errors.map((error) => ({ line: service.line, column: error.field, value: "", reason: error.reason })),
        );
        continue;
      }
      const record = this.districts.assign(built.record);
      const previous = existing.get(service.sourceKey);
      const placeKeys = [...new Set([...(previous?.placeKeys ?? []), ...service.placeKeys])];
      const hash = contentHash(record, service.issues, placeKeys);
      if (service.issues.length > 0) {
        warnedLines.add(service.line);
        this.report.warnings.push(...service.issues);
      }
      const knownPlace = previous?.placeId ?? service.placeKeys.map((key) => this.placeOfKey.get(key)).find(Boolean);
      // A place's first service takes the place's id as its own, so a place of one has the id of its service.
      const placeId = knownPlace ?? new Types.ObjectId();
      for (const key of placeKeys) if (!this.placeOfKey.has(key)) this.placeOfKey.set(key, placeId);
      const importIssues = issueDocuments(service.issues, this.file);
      if (previous === undefined) {
        // _id first, as MongoDB stores it (a document that does not start with it is copied by the server to put it there).
        const document = {
          _id: knownPlace === undefined ? placeId : new Types.ObjectId(),
          ...record,
          placeId,
          placeKeys,
          sourceKey: service.sourceKey,
          importHash: hash,
          importIssues,
          fieldProvenance: this.provenanceOf(
            record,
            OFFICIAL_FIELDS.map(({ field }) => field),
          ),
          version: 1,
          createdAt: this.now,
          updatedAt: this.now,
        };
        operations.push({ insertOne: { document: document } });
        existing.set(service.sourceKey, { _id: document._id, sourceKey: service.sourceKey, placeId, placeKeys, importHash: hash });
        lines.push(service.line);
        outcomes.push("inserted");
        continue;
      }
      if (previous.importHash === hash) {
        this.report.unchanged += 1;
        continue;
      }
      const protectedFields = editedByPeople(previous.fieldProvenance);
      const set: Record<string, unknown> = {};
      const unset: Record<string, ""> = {};
      const written: string[] = [];
      for (const { field, paths } of OFFICIAL_FIELDS) {
        if (protectedFields.has(field)) continue;
        written.push(field);
        for (const path of paths) {
          const value = valueAtPath(record, path);
          if (value === undefined) unset[path] = "";
          else set[path] = value;
        }
      }
      if (![...SEARCH_KEY_FIELDS].some((field) => protectedFields.has(field))) {
        set.searchKeys = record.searchKeys;
        set.searchGrams = record.searchGrams;
      }
      Object.assign(set, {
        placeKeys,
        importHash: hash,
        importIssues,
        fieldProvenance: withProvenance(previous.fieldProvenance, this.provenanceOf(record, written)),
        "provenance.modifiedAt": this.now,
        "provenance.sourceName": record.provenance.sourceName,
        ...(record.provenance.sourceDate ? { "provenance.sourceDate": record.provenance.sourceDate } : {}),
        updatedAt: this.now,
      });
      operations.push({
        updateOne: {
          filter: { _id: previous._id },
          update: { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}), $inc: { version: 1 } },
        },
      });
      existing.set(service.sourceKey, { ...previous, importHash: hash, placeKeys });
      lines.push(service.line);
      outcomes.push("updated");
    }
    if (this.options.dryRun) {
      for (const outcome of outcomes) this.report[outcome] += 1;
      return;
    }
    const failed = await this.bulkWrite(operations);
    outcomes.forEach((outcome, index) => {
      const problem = failed.get(index);
      if (problem === undefined) this.report[outcome] += 1;
      else this.reject(lines[index], [{ line: lines[index], column: "識別番号 (identifier)", value: "", reason: problem }]);
    });
  }

  private async bulkWrite(operations: AnyBulkWriteOperation<ResourceDocument>[]): Promise<Map<number, string>> {
    if (operations.length === 0) return new Map();
    try {
      // Records built by the domain code go in as they are: hydrating a mongoose document per row costs more than the write.
      await this.models.Resource.collection.bulkWrite(operations as Parameters<typeof this.models.Resource.collection.bulkWrite>[0], {
        ordered: false,
        ignoreUndefined: true,
      });
      return new Map();
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
      if (writeErrors === undefined) throw error;
      const list = (Array.isArray(writeErrors) ? writeErrors : [writeErrors]) as Array<{ index: number; code?: number; errmsg?: string }>;
      return new Map(
        list.map((item) => [
          item.index,
          item.code === 11000
            ? "別の地域資源と識別番号が衝突します (clashes with another resource's identifier)"
            : `書き込めません (write failed): ${item.errmsg ?? ""}`,
        ]),
      );
    }
  }

  reject(line: number, issues: readonly ImportIssue[]): void {
    this.report.rejected += 1;
    this.report.rejections.push(...issues.map((issue) => ({ ...issue, line })));
  }
}

/** Adds a mapping file's categories the taxonomy lacks (a city's AED or evacuation categories). */
async function addLayoutCategories(models: ResourceModels, layout: Layout): Promise<void> {
  const categories = layout.newCategories ?? [];
  if (categories.length === 0) return;
  const last = await models.Category.findOne().sort({ order: -1 }).lean();
  await models.Category.bulkWrite(
    categories.map((category, index) => ({
      updateOne: { filter: { code: category.code }, update: { $setOnInsert: { ...category, order: (last?.order ?? 0) + 1 + index } }, upsert: true },
    })),
    { ordered: false },
  );
}

/**
 * Imports an official open-data CSV (a built-in layout recognised by its header, or a city's own layout through
 * `options.layout`). Header and parse errors (OpenDataHeaderError, OpenDataParseError) and file errors are thrown;
 * everything about rows is in the report.
 */
export async function importResourcesFile(connection: Connection, path: string, options: ImportOptions = {}): Promise<ImportReport> {
  const totalBytes = (await stat(path)).size;
  const models = await openResourceModels(connection);
  await ensureDefaultTaxonomy(models);
  const taxonomy = await loadTaxonomy(models);
  const file = await openOpenDataCsv(createReadStream(path), {
    taxonomy: [...taxonomy, ...(options.layout?.newCategories ?? [])],
    layout: options.layout,
    scope: options.scope,
  });
  if (!options.dryRun) await addLayoutCategories(models, file.layout);
  const synchroniser = new Synchroniser(
    models,
    options.dryRun
      ? [...taxonomy, ...(file.layout.newCategories ?? []).map((entry, order) => ({ ...entry, order, _id: new Types.ObjectId() }))]
      : await loadTaxonomy(models),
    await loadDistrictTable(models),
    basename(path),
    file.layout.title,
    options,
    options.now ?? new Date(),
  );
  const { report } = synchroniser;
  const warnedLines = new Set<number>();
  let batch: ImportedService[] = [];
  const flush = async () => {
    await synchroniser.write(batch, warnedLines);
    batch = [];
    options.onProgress?.({ bytesRead: file.bytesRead(), totalBytes, rows: report.rows });
  };
  for await (const row of file.rows) {
    report.rows += 1;
    if (row.outcome === "outOfScope") report.outOfScope += 1;
    else if (row.outcome === "rejected") synchroniser.reject(row.line, row.issues);
    else batch.push(...row.services);
    if (batch.length >= BATCH_SIZE) await flush();
  }
  await flush();
  report.warned = warnedLines.size;
  report.warnings.sort((a, b) => a.line - b.line);
  report.rejections.sort((a, b) => a.line - b.line);
  return report;
}

/** One line per issue, for people: 「12行目 URL「http//example.jp」: http(s)のURLではありません (not an http(s) URL)」. */
export function formatIssue(issue: ImportIssue): string {
  return `${issue.line}行目 ${issue.column}${issue.value ? `「${issue.value}」` : ""}: ${issue.reason}`;
}
