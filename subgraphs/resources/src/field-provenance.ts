// The fields an official file owns, read from a record one unit at a time, and who set each last: an import (file, date) or a person, whose edits an import never overwrites.
import { isDeepStrictEqual } from "node:util";
import type { ResourceRecord } from "./domain";
import type { FieldProvenanceDocument, ResourceDocument } from "./models";

/** A unit of official content: its name in provenance and the stored paths it covers. */
interface OfficialField {
  field: string;
  paths: readonly string[];
}

/**
 * What an official file says about a service, unit by unit. Everything else (contact windows, closures, exceptions,
 * vacancies, accepts, served districts, verification) is maintained by people and never touched by an import.
 */
export const OFFICIAL_FIELDS: readonly OfficialField[] = [
  { field: "category", paths: ["kind", "category"] },
  { field: "names.official", paths: ["names.official"] },
  { field: "names.kana", paths: ["names.kana"] },
  { field: "operatorName", paths: ["operatorName"] },
  { field: "description", paths: ["description"] },
  { field: "identifiers", paths: ["identifiers"] },
  {
    field: "address",
    paths: ["address.postalCode", "address.prefecture", "address.city", "address.street", "address.building"],
  },
  { field: "address.district", paths: ["address.district", "address.districtSource"] },
  { field: "location", paths: ["location"] },
  {
    field: "openingHours.regular",
    paths: ["openingHours.weekly", "openingHours.openDays", "openingHours.closedOnPublicHolidays", "openingHours.note"],
  },
  { field: "contact.phone", paths: ["contact.phone"] },
  { field: "contact.fax", paths: ["contact.fax"] },
  { field: "contact.email", paths: ["contact.email"] },
  { field: "contact.url", paths: ["contact.url"] },
  { field: "departments", paths: ["departments"] },
  { field: "capacity.maximum", paths: ["capacity.maximum", "capacity.unit"] },
  { field: "suspended", paths: ["suspended"] },
];

/** The fields whose search keys follow them: when a person edited one, an import leaves the keys alone. */
export const SEARCH_KEY_FIELDS = new Set(["category", "names.official", "names.kana", "operatorName", "departments"]);

export function valueAtPath(record: unknown, path: string): unknown {
  let node = record;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Equal as stored: undefined, null and an empty list are the same absence. */
function sameValue(a: unknown, b: unknown): boolean {
  const absent = (value: unknown) => value === undefined || value === null || (Array.isArray(value) && value.length === 0);
  if (absent(a) && absent(b)) return true;
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

/** One official field's provenance, as the API shows it (`fieldProvenance`): the write that set it last. */
export type FieldProvenanceOfField = Omit<FieldProvenanceDocument, "fields"> & { field: string };

/** The stored entries as writes: an entry stored one per field (before writes were grouped) reads as a write of its one field. */
function storedWrites(provenance: readonly FieldProvenanceDocument[] | undefined): FieldProvenanceDocument[] {
  return (provenance ?? []).map((entry) => {
    if (Array.isArray(entry.fields)) return entry;
    const { field, ...write } = entry as Omit<FieldProvenanceDocument, "fields"> & { field?: string };
    return { ...write, fields: field === undefined ? [] : [field] };
  });
}

/** Units a person edited (so an import keeps its hands off them). */
export function editedByPeople(provenance: readonly FieldProvenanceDocument[] | undefined): Set<string> {
  return new Set(storedWrites(provenance).flatMap((entry) => (entry.editedBy === undefined ? [] : entry.fields)));
}

/** The provenance list with `entries` (newer writes) appended and the fields they set taken off the older entries. */
export function withProvenance(
  current: readonly FieldProvenanceDocument[] | undefined,
  entries: readonly FieldProvenanceDocument[],
): FieldProvenanceDocument[] {
  const replaced = new Set(entries.flatMap((entry) => entry.fields));
  const kept = storedWrites(current).map((entry) => ({ ...entry, fields: entry.fields.filter((field) => !replaced.has(field)) }));
  return [...kept, ...entries].filter((entry) => entry.fields.length > 0);
}

/** The stored provenance (one entry per write) as one entry per field. */
export function provenanceByField(provenance: readonly FieldProvenanceDocument[] | undefined): FieldProvenanceOfField[] {
  return storedWrites(provenance).flatMap(({ fields, ...write }) => fields.map((field) => ({ field, ...write })));
}

/**
 * After a person's update: the official units whose value the update changed, recorded as edited by `editedBy`, so a
 * later import keeps them. The district counts as edited only when the person gave one.
 */
export function peopleEdits(existing: ResourceDocument, record: ResourceRecord, editedBy: string, now: Date): FieldProvenanceDocument[] {
  const fields = OFFICIAL_FIELDS.filter(({ field, paths }) => {
    if (field === "address.district" && record.address.districtSource !== "GIVEN") return false;
    return paths.some((path) => !sameValue(valueAtPath(existing, path), valueAtPath(record, path)));
  }).map(({ field }) => field);
  return fields.length === 0 ? [] : [{ fields, source: record.provenance.source, editedBy, at: now }];
}
