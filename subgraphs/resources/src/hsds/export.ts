// The whole directory in HSDS 3.1's JSON form, one file per table (services fully nested, organizations, locations, service_at_locations, taxonomies, taxonomy_terms), written as streams so a prefecture's data never sits in memory at once.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { WriteStream } from "node:fs";
import { toTokyoIso } from "@tsunagu/service-kit";
import { loadTaxonomy } from "../categories";
import type { ResourceDocument, ResourceModels } from "../models";
import type { TaxonomyCategory } from "../taxonomy";
import { locationRecord, organizationRecord, serviceAtLocationRecord, serviceRecord, taxonomyRecord, taxonomyTermRecord } from "./mapping";
import type { HsdsObject } from "./mapping";

/** The tables the export writes, as `<name>.json` files holding a JSON array. */
export const HSDS_EXPORT_TABLES = ["services", "organizations", "locations", "service_at_locations", "taxonomies", "taxonomy_terms"] as const;
export type HsdsExportTable = (typeof HSDS_EXPORT_TABLES)[number];

/** A JSON array written one record at a time. */
class JsonArrayFile {
  private count = 0;
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { encoding: "utf8" });
    this.stream.write("[\n");
  }

  async write(record: HsdsObject): Promise<void> {
    const ok = this.stream.write(`${this.count === 0 ? "" : ",\n"}${JSON.stringify(record)}`);
    this.count += 1;
    if (!ok) await new Promise<void>((resolve) => this.stream.once("drain", () => resolve()));
  }

  close(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.stream.end("\n]\n", () => resolve(this.count));
      this.stream.once("error", reject);
    });
  }
}

/** Writes every non-archived resource into `directory` and returns how many records each table holds. */
export async function exportHsds(models: ResourceModels, directory: string, now = new Date()): Promise<Record<HsdsExportTable, number>> {
  await mkdir(directory, { recursive: true });
  const files = Object.fromEntries(HSDS_EXPORT_TABLES.map((table) => [table, new JsonArrayFile(join(directory, `${table}.json`))])) as Record<
    HsdsExportTable,
    JsonArrayFile
  >;
  const categories = (await loadTaxonomy(models)) as TaxonomyCategory[];
  const categoryOf = (code: string) => categories.find((entry) => entry.code === code);
  const today = toTokyoIso(now).slice(0, 10);
  const organizations = new Set<unknown>();
  const locations = new Set<unknown>();
  const cursor = models.Resource.find({ archivedAt: null }).sort({ _id: 1 }).lean<ResourceDocument[]>().cursor();
  for await (const resource of cursor as AsyncIterable<ResourceDocument>) {
    const category = categoryOf(resource.category);
    await files.services.write(serviceRecord(resource, category, today));
    await files.service_at_locations.write(serviceAtLocationRecord(resource, false));
    const organization = organizationRecord(resource);
    if (!organizations.has(organization.id)) {
      organizations.add(organization.id);
      await files.organizations.write(organization);
    }
    const location = locationRecord(resource);
    if (!locations.has(location.id)) {
      locations.add(location.id);
      await files.locations.write(location);
    }
  }
  await files.taxonomies.write(taxonomyRecord());
  for (const category of categories) await files.taxonomy_terms.write(taxonomyTermRecord(category));
  const counts = await Promise.all(HSDS_EXPORT_TABLES.map(async (table) => [table, await files[table].close()] as const));
  return Object.fromEntries(counts) as Record<HsdsExportTable, number>;
}
