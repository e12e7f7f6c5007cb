// Changes to resources: idempotent create, changes to the fields sent with optimistic concurrency, verification, availability and archiving.
import { Types, trusted } from "mongoose";
import { z } from "zod";
import { conflict, createOnce, duplicateKeyField, joinFieldPath, notFound, storedStamp, withoutNulls } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import { CAPACITY_UNITS, capacitySchema, validateResourceInput } from "./domain";
import type { FieldError, ResourceInput } from "./domain";
import { loadTaxonomy, recordFor } from "./categories";
import { loadDistrictTable } from "./districts";
import { peopleEdits, withProvenance } from "./field-provenance";
import { placeKeysOf } from "./place-keys";
import { invalidInput, validated } from "./inputs";
import type { ResourceDocument, ResourceModels } from "./models";

/** How often a write that lost a race with another is tried again before CONFLICT. */
const ATTEMPTS = 3;

export const availabilitySchema = z.object({
  available: z.number().int().min(0, "0以上です (at least 0)").max(100000),
  maximum: z.number().int().min(0, "0以上です (at least 0)").max(100000).optional(),
  unit: z.enum(CAPACITY_UNITS).optional(),
});

export type AvailabilityChange = z.output<typeof availabilitySchema>;

export interface CreateRequest {
  input: ResourceInput;
  /** The idempotency stamp: key, caller's scope, and a fingerprint of the argument as sent (a retry matches however it is spelled). */
  stamp: CreationStamp;
}

/** A clash on an official identifier another resource already has, as CONFLICT naming the input field; any other error unchanged. */
function identifierConflict(error: unknown): Error {
  const field = duplicateKeyField(error);
  if (field === undefined || !field.startsWith("identifiers.")) return error instanceof Error ? error : new Error(String(error));
  return conflict(`${field}: この識別番号の地域資源は登録済みです (another resource already has this identifier)`, `input.${field}`);
}

function categoryProblems(errors: readonly FieldError[]): Error {
  return invalidInput(errors.map((error) => ({ field: `input.${error.field}`, reason: error.reason })));
}

/**
 * Creates a resource once per idempotency key and caller (service-kit createOnce): a retry with the same input returns
 * the first result, a reuse with another input (or after the replay window) is CONFLICT.
 */
export async function createResource(models: ResourceModels, request: CreateRequest, now: Date): Promise<ResourceDocument> {
  const built = recordFor(request.input, await loadTaxonomy(models), now);
  if (!built.ok) throw categoryProblems(built.errors);
  const record = (await loadDistrictTable(models)).assign(built.record);
  // A service at a place already known (same 事業所番号, 医療機関コード, or 法人番号 and address) joins that place.
  const placeKeys = placeKeysOf(request.input);
  const place = placeKeys.length === 0 ? null : await models.Resource.findOne({ placeKeys: trusted({ $in: placeKeys }) }, { placeId: 1 }).lean();
  try {
    const { document } = await createOnce(models.Resource, request.stamp, async () => {
      const _id = new Types.ObjectId();
      const [created] = await models.Resource.create([
        { ...record, _id, placeId: place?.placeId ?? _id, placeKeys, version: 1, creation: storedStamp(request.stamp) },
      ]);
      if (created === undefined) throw new Error("the resource was not created");
      return created.toObject<ResourceDocument>();
    });
    return document;
  } catch (error) {
    throw identifierConflict(error);
  }
}

/** The reason a write found no resource in operation: NOT_FOUND, or CONFLICT when it is archived. */
async function explainMissing(models: ResourceModels, id: Types.ObjectId): Promise<ResourceDocument> {
  const existing = await models.Resource.findById(id).lean();
  if (existing === null) throw notFound("Resource", id.toHexString());
  if (existing.archivedAt !== null) {
    throw conflict(`Resource ${id.toHexString()} はアーカイブ済みで変更できません (is archived and cannot be changed)`);
  }
  return existing;
}

/** The fields of an update as sent: absent ones stay, `null` clears an optional one, nested objects are replaced whole. */
export type ResourceChanges = Readonly<Record<string, unknown>>;

/** The stored resource as the input that would create it (location as latitude/longitude, no stamps), for applying changes to. */
function storedAsInput(resource: ResourceDocument): Record<string, unknown> {
  const { location, provenance, ...rest } = resource;
  const { modifiedAt: _modifiedAt, ...keptProvenance } = provenance;
  const input: Record<string, unknown> = { ...rest, provenance: keptProvenance };
  for (const stamp of ["_id", "version", "createdAt", "updatedAt", "archivedAt", "searchKeys", "__v"]) delete input[stamp];
  if (location !== undefined) input.location = { latitude: location.coordinates[1], longitude: location.coordinates[0] };
  return input;
}

/** `existing` with `changes` applied, validated as a whole; a vacancy sent is stamped now, one not sent keeps its stamp. */
function changedInput(existing: ResourceDocument, changes: ResourceChanges, now: Date): ResourceInput {
  const merged = storedAsInput(existing);
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  const capacity = changes.capacity as { available?: unknown } | null | undefined;
  if (capacity != null && capacity.available != null) merged.capacity = { ...capacity, updatedAt: now };
  const result = validateResourceInput(withoutNulls(merged));
  if (result.ok) return result.value;
  throw invalidInput(result.errors.map((error) => ({ field: joinFieldPath("input", error.field.split(".")), reason: error.reason })));
}

/**
 * Applies `changes` to a resource: only the fields sent change (the vacancy, for one, stays unless sent), its
 * verification, creation date, place and import state are kept; the official fields it changes are recorded as edited
 * by `editedBy`, so an import never overwrites them. With `expectedVersion` the change applies only to that version
 * (CONFLICT otherwise); without it the last write wins.
 */
export async function updateResource(
  models: ResourceModels,
  id: Types.ObjectId,
  changes: ResourceChanges,
  expectedVersion: number | undefined,
  now: Date,
  editedBy: string,
): Promise<ResourceDocument> {
  const taxonomy = await loadTaxonomy(models);
  const districts = await loadDistrictTable(models);
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const existing = await explainMissing(models, id);
    if (expectedVersion !== undefined && existing.version !== expectedVersion) {
      throw conflict(
        `expectedVersion: 版${existing.version}に更新されています (the resource is at version ${existing.version}, not ${expectedVersion}; reload it and apply the change again)`,
        "expectedVersion",
      );
    }
    const built = recordFor(changedInput(existing, changes, now), taxonomy, now);
    if (!built.ok) throw categoryProblems(built.errors);
    const record = districts.assign(built.record);
    const { verifiedAt, verifiedBy } = existing.provenance;
    const { placeId, placeKeys, sourceKey, importHash, importIssues, fieldProvenance } = existing;
    // Only what is there: a sourceKey stored as null would clash in its sparse unique index.
    const importState = Object.fromEntries(Object.entries({ placeKeys, sourceKey, importHash, importIssues }).filter(([, value]) => value !== undefined));
    const replacement = {
      ...record,
      provenance: { ...record.provenance, ...(verifiedAt ? { verifiedAt } : {}), ...(verifiedBy ? { verifiedBy } : {}) },
      placeId,
      ...importState,
      fieldProvenance: withProvenance(fieldProvenance, peopleEdits(existing, record, editedBy, now)),
      _id: id,
      version: existing.version + 1,
      createdAt: existing.createdAt,
    };
    let replaced: ResourceDocument | null;
    try {
      replaced = await models.Resource.findOneAndReplace({ _id: id, version: existing.version }, replacement, {
        returnDocument: "after",
      }).lean();
    } catch (error) {
      throw identifierConflict(error);
    }
    if (replaced) return replaced;
    if (expectedVersion !== undefined) break;
  }
  throw conflict("同時に変更されました。再読み込みしてください (the resource changed meanwhile; reload it and try again)");
}

/** Stamps that the content was verified now by `actor`. */
export async function verifyResource(models: ResourceModels, id: Types.ObjectId, actor: string, now: Date): Promise<ResourceDocument> {
  const verified = await models.Resource.findOneAndUpdate(
    { _id: id, archivedAt: null },
    { $set: { "provenance.verifiedAt": now, "provenance.verifiedBy": actor }, $inc: { version: 1 } },
    { returnDocument: "after" },
  ).lean();
  return verified ?? explainMissing(models, id);
}

/** Sets the vacancy (and the maximum or unit when given), stamped now; the content counts as modified. */
export async function updateAvailability(models: ResourceModels, id: Types.ObjectId, change: AvailabilityChange, now: Date): Promise<ResourceDocument> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const existing = await explainMissing(models, id);
    const unit = change.unit ?? existing.capacity?.unit;
    if (unit === undefined) {
      throw invalidInput([{ field: "input.unit", reason: "定員の単位が未登録です (no unit is recorded yet; give one)" }]);
    }
    const maximum = change.maximum ?? existing.capacity?.maximum;
    const capacity = validated(capacitySchema, { available: change.available, maximum, unit, updatedAt: now }, "input");
    const updated = await models.Resource.findOneAndUpdate(
      { _id: id, version: existing.version },
      { $set: { capacity, "provenance.modifiedAt": now }, $inc: { version: 1 } },
      { returnDocument: "after" },
    ).lean();
    if (updated) return updated;
  }
  throw conflict("同時に変更されました。再度お試しください (the resource changed meanwhile; try again)");
}

/** Archives a resource (hidden from searches from now on); archiving it again returns it unchanged. */
export async function archiveResource(models: ResourceModels, id: Types.ObjectId, now: Date): Promise<ResourceDocument> {
  const archived = await models.Resource.findOneAndUpdate(
    { _id: id, archivedAt: null },
    { $set: { archivedAt: now, "provenance.modifiedAt": now }, $inc: { version: 1 } },
    { returnDocument: "after" },
  ).lean();
  if (archived) return archived;
  const existing = await models.Resource.findById(id).lean();
  if (existing === null) throw notFound("Resource", id.toHexString());
  return existing;
}
