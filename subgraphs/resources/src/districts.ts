// A city's 日常生活圏域 as data: towns (町名・丁目) and optional GeoJSON polygons per district, the district of an address or a point, and re-assignment when the table changes.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { trusted } from "mongoose";
import type { AnyBulkWriteOperation } from "mongoose";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { normalizeJapanese } from "@tsunagu/service-kit";
import type { GeoPoint, ResourceRecord } from "./domain";
import type { DistrictDocument, ResourceDocument, ResourceModels } from "./models";

type Ring = Array<[number, number]>;
const ring = z
  .array(z.tuple([z.number(), z.number()]))
  .min(4)
  .refine((points) => points[0][0] === points[points.length - 1][0] && points[0][1] === points[points.length - 1][1], {
    error: "輪は閉じていなければなりません（最初と最後の位置が同じ） (a ring must be closed: its first and last positions equal)",
  });
const areaSchema = z.union([
  z.object({ type: z.literal("Polygon"), coordinates: z.array(ring).min(1) }),
  z.object({ type: z.literal("MultiPolygon"), coordinates: z.array(z.array(ring).min(1)).min(1) }),
]);

/** A district file (JSON or YAML): `{ prefecture, city, districts: [{ name, towns: [...], area?: GeoJSON }] }`. */
export const districtFileSchema = z.object({
  prefecture: z.string().min(1),
  city: z.string().min(1),
  districts: z
    .array(z.object({ name: z.string().trim().min(1).max(50), towns: z.array(z.string().trim().min(1)).default([]), area: areaSchema.optional() }))
    .min(1),
});
export type DistrictFile = z.output<typeof districtFileSchema>;

function townKey(text: string): string {
  return normalizeJapanese(text).replace(/\s/g, "");
}

function insideRing([x, y]: [number, number], points: Ring): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function insideArea(point: [number, number], area: NonNullable<DistrictDocument["area"]>): boolean {
  const polygons = (area.type === "Polygon" ? [area.coordinates] : area.coordinates) as Ring[][];
  return polygons.some(([outer, ...holes]) => insideRing(point, outer) && !holes.some((hole) => insideRing(point, hole)));
}

/** Every city's districts in memory: the district of an address (longest town prefix) or else of a point (polygon). */
export class DistrictTable {
  private readonly byCity = new Map<string, { towns: Array<[string, string]>; areas: DistrictDocument[] }>();

  constructor(districts: readonly DistrictDocument[]) {
    for (const district of districts) {
      const key = `${district.prefecture}\u0000${district.city}`;
      const entry = this.byCity.get(key) ?? { towns: [], areas: [] };
      for (const town of district.towns) entry.towns.push([townKey(town), district.name]);
      if (district.area) entry.areas.push(district);
      this.byCity.set(key, entry);
    }
    for (const entry of this.byCity.values()) entry.towns.sort((a, b) => b[0].length - a[0].length);
  }

  get empty(): boolean {
    return this.byCity.size === 0;
  }

  /** The district claiming an address's street (「本町2丁目」 before 「本町」) or else its point; undefined when none does. */
  districtOf(address: { prefecture: string; city: string; street?: string }, location?: GeoPoint): string | undefined {
    const entry = this.byCity.get(`${address.prefecture}\u0000${address.city}`);
    if (entry === undefined) return undefined;
    const street = townKey(address.street ?? "");
    const town = street === "" ? undefined : entry.towns.find(([prefix]) => street.startsWith(prefix));
    if (town) return town[1];
    if (location) return entry.areas.find((district) => district.area && insideArea(location.coordinates, district.area))?.name;
    return undefined;
  }

  /** The record with its district from the table, unless a person or file gave one. */
  assign<T extends Pick<ResourceRecord, "address" | "location">>(record: T): T {
    if (record.address.districtSource === "GIVEN") return record;
    const district = this.districtOf(record.address, record.location);
    const { district: _previous, districtSource: _source, ...address } = record.address;
    return { ...record, address: district === undefined ? address : { ...address, district, districtSource: "TABLE" } };
  }
}

export async function loadDistrictTable(models: ResourceModels): Promise<DistrictTable> {
  return new DistrictTable(await models.District.find().lean());
}

/** Reads a district file (YAML for .yaml/.yml, JSON otherwise); throws with every problem named. */
export async function readDistrictFile(path: string): Promise<DistrictFile> {
  const text = await readFile(path, "utf8");
  const content: unknown = [".yaml", ".yml"].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  const parsed = districtFileSchema.safeParse(content);
  if (!parsed.success) {
    throw new Error(`${path}: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
  }
  return parsed.data;
}

/**
 * Replaces a city's districts with `file`'s, then re-assigns the district of every resource in that city whose
 * district the table set or that has none (a district a person gave stays). Returns how many resources changed.
 */
export async function defineDistricts(models: ResourceModels, file: DistrictFile): Promise<{ districts: number; reassigned: number }> {
  const { prefecture, city } = file;
  await models.District.deleteMany({ prefecture, city });
  await models.District.insertMany(file.districts.map((district) => ({ prefecture, city, ...district })));
  const table = await loadDistrictTable(models);
  const operations: AnyBulkWriteOperation<ResourceDocument>[] = [];
  const cursor = models.Resource.find(
    { "address.prefecture": prefecture, "address.city": city, "address.districtSource": trusted({ $ne: "GIVEN" }) },
    { address: 1, location: 1 },
  )
    .lean()
    .cursor();
  for await (const resource of cursor) {
    const district = table.districtOf(resource.address, resource.location);
    if (district === resource.address.district) continue;
    operations.push({
      updateOne: {
        filter: { _id: resource._id },
        update:
          district === undefined
            ? { $unset: { "address.district": "", "address.districtSource": "" } }
            : { $set: { "address.district": district, "address.districtSource": "TABLE" } },
      },
    });
  }
  for (let start = 0; start < operations.length; start += 1000) {
    await models.Resource.bulkWrite(operations.slice(start, start + 1000), { ordered: false });
  }
  return { districts: file.districts.length, reassigned: operations.length };
}
