// The resources subgraph's mongoose models (resources with their creation stamps, the category taxonomy) with their indexes.
import { Schema } from "mongoose";
import { openedOnce, withCreationStamp } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import type { Connection, Model, Types } from "mongoose";
import { ACCEPT_CODES, CAPACITY_UNITS, CARE_LEVELS, CONTACT_CHANNELS, PROVENANCE_SOURCES, RESOURCE_KINDS, WEEKDAYS } from "./domain";
import type { ResourceRecord } from "./domain";
import type { TaxonomyCategory } from "./taxonomy";

/** A cell of an official file that could not be used as it was, kept for a coordinator to fix. */
export interface ImportIssueDocument {
  line: number;
  column: string;
  value: string;
  reason: string;
  file: string;
}

/** Who set one field last: an import (file and its date) or a person (who, when). */
export interface FieldProvenanceDocument {
  /** A path of the record (`contact.phone`, `openingHours.regular`, ...), see `OFFICIAL_FIELDS`. */
  field: string;
  source: (typeof PROVENANCE_SOURCES)[number];
  file?: string;
  sourceDate?: string;
  editedBy?: string;
  at: Date;
}

/** A resource as read with `lean()`. */
export type ResourceDocument = ResourceRecord & {
  _id: Types.ObjectId;
  /** The place (HSDS location) this service is offered at; the first service's own id for a place of one. */
  placeId: Types.ObjectId;
  /** What identifies the place (see `placeKeysOf`). */
  placeKeys?: string[];
  /** The key an official file synchronises this record on (`care:<事業所番号>:<サービスコード>`, ...). */
  sourceKey?: string;
  /** Hash of what the official source last said, so an unchanged row is not written again. */
  importHash?: string;
  importIssues?: ImportIssueDocument[];
  fieldProvenance?: FieldProvenanceDocument[];
  /** Incremented by every write; `updateResource(expectedVersion)` compares it. */
  version: number;
  /** The idempotency stamp of the createResource that made it (absent for imported resources). */
  creation?: CreationStamp;
  createdAt: Date;
  updatedAt: Date;
};

/** A city's 日常生活圏域: the towns (町名, or 町名 with 丁目) it claims, and optionally its area as a GeoJSON polygon. */
export interface DistrictDocument {
  _id: Types.ObjectId;
  prefecture: string;
  city: string;
  name: string;
  towns: string[];
  /** GeoJSON (RFC 7946): rings of [longitude, latitude] positions, the outer ring first, each closed. */
  area?: { type: "Polygon"; coordinates: [number, number][][] } | { type: "MultiPolygon"; coordinates: [number, number][][][] };
}

/** A taxonomy entry as stored; `order` is its place in listings (the default taxonomy's order, then additions). */
export type CategoryDocument = TaxonomyCategory & { _id: Types.ObjectId; order: number };

/** The subgraph's models on one connection. */
export interface ResourceModels {
  connection: Connection;
  Resource: Model<ResourceDocument>;
  Category: Model<CategoryDocument>;
  District: Model<DistrictDocument>;
}

const optionalText = { type: String, default: undefined };
const requiredText = { type: String, required: true };

function subdocument<T>(definition: ConstructorParameters<typeof Schema<T>>[0]): Schema<T> {
  return new Schema<T>(definition, { _id: false });
}

const intervalSchema = subdocument({ opens: requiredText, closes: requiredText });

const openingHoursSchema = subdocument({
  weekly: [subdocument({ day: { type: String, enum: WEEKDAYS, required: true }, opens: requiredText, closes: requiredText })],
  openDays: [{ type: String, enum: WEEKDAYS }],
  closedOnPublicHolidays: { type: Boolean, default: false },
  exceptions: [subdocument({ date: requiredText, intervals: [intervalSchema], note: optionalText })],
  closures: [subdocument({ from: requiredText, to: requiredText, reason: optionalText })],
  annualClosures: [subdocument({ from: requiredText, to: requiredText, reason: optionalText })],
  note: optionalText,
});

const contactWindowSchema = subdocument({
  name: requiredText,
  kana: optionalText,
  role: optionalText,
  photoUrl: optionalText,
  phone: optionalText,
  email: optionalText,
  preferredChannel: { type: String, enum: CONTACT_CHANNELS, default: undefined },
  avoidCallingHours: [subdocument({ days: [{ type: String, enum: WEEKDAYS }], from: requiredText, to: requiredText, reason: optionalText })],
  note: optionalText,
});

const resourceSchema = new Schema<ResourceDocument>(
  {
    kind: { type: String, enum: RESOURCE_KINDS, required: true },
    category: requiredText,
    names: subdocument({ official: requiredText, kana: optionalText, short: optionalText }),
    description: optionalText,
    operatorName: optionalText,
    identifiers: subdocument({
      medicalInstitutionCode: optionalText,
      careOfficeNumber: optionalText,
      careServiceCode: optionalText,
      corporateNumber: optionalText,
      designatedOn: optionalText,
    }),
    address: subdocument({
      postalCode: optionalText,
      prefecture: requiredText,
      city: requiredText,
      district: optionalText,
      /** TABLE when the city's district table assigned it (re-assigned when the table changes), GIVEN when a person did. */
      districtSource: { type: String, enum: ["TABLE", "GIVEN"], default: undefined },
      street: optionalText,
      building: optionalText,
    }),
    /** GeoJSON, longitude first, for the 2dsphere index. */
    location: {
      type: subdocument({ type: { type: String, enum: ["Point"], required: true }, coordinates: { type: [Number], required: true } }),
      default: undefined,
    },
    servedDistricts: [String],
    openingHours: { type: openingHoursSchema, default: undefined },
    contact: subdocument({ phone: optionalText, fax: optionalText, email: optionalText, url: optionalText }),
    contactWindows: [contactWindowSchema],
    accepts: [{ type: String, enum: ACCEPT_CODES }],
    departments: [String],
    eligibility: {
      type: subdocument({ careLevels: [{ type: String, enum: CARE_LEVELS }], note: optionalText }),
      default: undefined,
    },
    fees: optionalText,
    languages: [String],
    capacity: {
      type: subdocument({
        available: { type: Number, default: undefined },
        maximum: { type: Number, default: undefined },
        unit: { type: String, enum: CAPACITY_UNITS, required: true },
        updatedAt: { type: Date, default: undefined },
      }),
      default: undefined,
    },
    suspended: { type: Boolean, default: false },
    provenance: subdocument({
      source: { type: String, enum: PROVENANCE_SOURCES, required: true },
      verifiedAt: { type: Date, default: undefined },
      verifiedBy: optionalText,
      modifiedAt: { type: Date, required: true },
      sourceName: optionalText,
      sourceDate: optionalText,
    }),
    archivedAt: { type: Date, default: null },
    placeId: { type: Schema.Types.ObjectId, required: true },
    placeKeys: { type: [String], default: undefined },
    sourceKey: optionalText,
    importHash: optionalText,
    importIssues: {
      type: [subdocument({ line: Number, column: requiredText, value: { type: String, default: "" }, reason: requiredText, file: requiredText })],
      default: undefined,
    },
    fieldProvenance: {
      type: [
        subdocument({
          field: requiredText,
          source: { type: String, enum: PROVENANCE_SOURCES, required: true },
          file: optionalText,
          sourceDate: optionalText,
          editedBy: optionalText,
          at: { type: Date, required: true },
        }),
      ],
      default: undefined,
    },
    /** Normalised names, reading, operator, departments and category labels (see `resourceSearchKeys`). */
    searchKeys: [String],
    /** Characters and character pairs of the own search keys: the gram index a text query intersects (see search-keys). */
    searchGrams: [String],
    version: { type: Number, required: true, default: 1 },
  },
  { collection: "resources", timestamps: true, minimize: false, versionKey: false, strict: "throw" },
);

withCreationStamp(resourceSchema);
resourceSchema.index({ location: "2dsphere" });
resourceSchema.index({ searchKeys: 1 });
resourceSchema.index({ searchGrams: 1 });
resourceSchema.index({ category: 1, "address.district": 1 });
resourceSchema.index({ kind: 1 });
resourceSchema.index({ "address.district": 1 });
resourceSchema.index({ servedDistricts: 1 });
resourceSchema.index({ accepts: 1 });
resourceSchema.index({ "capacity.available": 1 });
resourceSchema.index({ "provenance.modifiedAt": 1 });
resourceSchema.index({ "provenance.verifiedAt": 1, _id: 1 });
resourceSchema.index({ archivedAt: 1 });
resourceSchema.index({ placeId: 1 });
resourceSchema.index({ placeKeys: 1 });
// Sparse rather than partial: an import's `$in` look-up then uses it on MongoDB and on the embedded engine alike.
resourceSchema.index({ sourceKey: 1 }, { unique: true, sparse: true });
resourceSchema.index({ "importIssues.column": 1 });
// The keys an open-data import upserts on (see `upsertKeyOf`): one record per care office and service, one per medical institution.
resourceSchema.index(
  { "identifiers.careOfficeNumber": 1, "identifiers.careServiceCode": 1 },
  { unique: true, partialFilterExpression: { "identifiers.careOfficeNumber": { $type: "string" } } },
);
resourceSchema.index(
  { "identifiers.medicalInstitutionCode": 1 },
  { unique: true, partialFilterExpression: { "identifiers.medicalInstitutionCode": { $type: "string" } } },
);

const categorySchema = new Schema<CategoryDocument>(
  {
    code: requiredText,
    ja: requiredText,
    kana: requiredText,
    en: requiredText,
    parent: { type: String, default: null },
    kind: { type: String, enum: RESOURCE_KINDS, required: true },
    order: { type: Number, required: true },
  },
  { collection: "resourceCategories", versionKey: false, strict: "throw" },
);
categorySchema.index({ code: 1 }, { unique: true });
categorySchema.index({ order: 1 });

const districtSchema = new Schema<DistrictDocument>(
  {
    prefecture: requiredText,
    city: requiredText,
    name: requiredText,
    towns: [String],
    area: { type: Schema.Types.Mixed, default: undefined },
  },
  { collection: "districts", versionKey: false, strict: "throw" },
);
districtSchema.index({ prefecture: 1, city: 1, name: 1 }, { unique: true });

/** The models on `connection`, compiled once per connection, with their collections and indexes created (a `$near` query needs the 2dsphere index before the first request). */
export const openResourceModels: (connection: Connection) => Promise<ResourceModels> = openedOnce((connection) => ({
  Resource: connection.model<ResourceDocument>("Resource", resourceSchema),
  Category: connection.model<CategoryDocument>("ResourceCategory", categorySchema),
  District: connection.model<DistrictDocument>("District", districtSchema),
}));
