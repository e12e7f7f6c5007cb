// Seeding on first start: the demo city's districts as data, then its resources grouped into places (one facility, several services).
import type { Types } from "mongoose";
import type { Connection } from "mongoose";
import { demoObjectId, demoReferenceDate } from "@tsunagu/service-kit";
import { ensureDefaultTaxonomy, loadTaxonomy, recordFor } from "./categories";
import { DEMO_CITY_DISTRICTS, generateDemoCity, generateResources } from "./demo-city";
import { defineDistricts, loadDistrictTable } from "./districts";
import { openResourceModels } from "./models";
import { placeKeysOf } from "./place-keys";

const SEED_BATCH = 1000;

export interface SeedOptions {
  /** The moment verifications and vacancies are relative to; default the fixed demoReferenceDate(). */
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
  const now = options.now ?? demoReferenceDate();
  const inputs = options.count === undefined ? generateDemoCity({ now }) : generateResources(options.count, { now });
  // Generated resources (`count`) are in the demo city too: its district table places them all.
  await defineDistricts(models, DEMO_CITY_DISTRICTS);
  const taxonomy = await loadTaxonomy(models);
  const districts = await loadDistrictTable(models);
  const placeOfKey = new Map<string, Types.ObjectId>();
  let inserted = 0;
  for (let start = 0; start < inputs.length; start += SEED_BATCH) {
    const documents = inputs.slice(start, start + SEED_BATCH).map((input, offset) => {
      const built = recordFor(input, taxonomy, now);
      if (!built.ok) throw new Error(`Demo resource ${input.names.official} is invalid: ${JSON.stringify(built.errors)}`);
      const placeKeys = placeKeysOf(input);
      // Ids from the position, so a resource has the same id on every machine.
      const _id = demoObjectId("resource", start + offset);
      const placeId = placeKeys.map((key) => placeOfKey.get(key)).find(Boolean) ?? _id;
      for (const key of placeKeys) if (!placeOfKey.has(key)) placeOfKey.set(key, placeId);
      return { ...districts.assign(built.record), _id, placeId, placeKeys, version: 1, createdAt: now, updatedAt: now };
    });
    // Records built by the domain code go in as they are: hydrating 100,000 mongoose documents takes minutes.
    await models.Resource.collection.insertMany(documents, { ignoreUndefined: true });
    inserted += documents.length;
  }
  return { inserted, skipped: false };
}
