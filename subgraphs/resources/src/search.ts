// Searching resources and the verification queue: filters as MongoDB conditions, distance order with $geoNear, open-at, and keyset cursors that stay correct in each order.
import type { PipelineStage } from "mongoose";
import { z } from "zod";
import { encodeCursor, keysetOf, resumeAfter, sortDocument } from "@tsunagu/service-kit";
import type { Keyset, PageInfo, SortKey } from "@tsunagu/service-kit";
import { ACCEPT_CODES, RESOURCE_KINDS, geoLocationSchema, instantSchema } from "./domain";
import { isOpenAt, toTokyoTime } from "./opening-hours";
import { categoryLabels, descendantCodes, loadTaxonomy } from "./categories";
import { textConditions } from "./search-keys";
import type { TaxonomyCategory } from "./taxonomy";
import { invalidInput } from "./inputs";
import type { PageRequest } from "./inputs";
import type { ResourceDocument, ResourceModels } from "./models";

/** The largest `near.radiusMeters`: a city and its neighbours, not a prefecture. */
const MAX_RADIUS_METERS = 50_000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Where `$geoNear` writes each document's distance; never stored. */
export const DISTANCE_FIELD = "_distanceMeters";
const VERIFIED_AT = "provenance.verifiedAt";
/** Documents read per round trip while a filter is applied in the service (open-at). */
const SCAN_BATCH_SIZE = 200;

function nonEmptyList<T extends z.ZodType>(item: T, max: number) {
  return z.array(item).min(1, "1件以上指定してください (at least one value)").max(max, `${max}件までです (at most ${max} values)`);
}

const boundedText = (max: number) => z.string().trim().min(1, "空にできません (must not be empty)").max(max, `${max}文字以内です (at most ${max} characters)`);

export const searchFilterSchema = z.object({
  text: z.string().max(100, "100文字以内です (at most 100 characters)").optional(),
  categories: nonEmptyList(boundedText(63), 50).optional(),
  kinds: nonEmptyList(z.enum(RESOURCE_KINDS), RESOURCE_KINDS.length).optional(),
  districts: nonEmptyList(boundedText(50), 50).optional(),
  near: geoLocationSchema
    .extend({
      radiusMeters: z
        .number("半径は数値です (a number of metres)")
        .positive("半径は正の数です (must be positive)")
        .max(MAX_RADIUS_METERS, `半径は${MAX_RADIUS_METERS}m以内です (at most ${MAX_RADIUS_METERS} m)`),
    })
    .optional(),
  openAt: instantSchema.optional(),
  accepts: nonEmptyList(z.enum(ACCEPT_CODES), ACCEPT_CODES.length).optional(),
  hasVacancy: z.boolean().optional(),
  modifiedAfter: instantSchema.optional(),
  includeArchived: z.boolean().default(false),
});

/** A validated `ResourceFilter`. */
export type SearchFilter = z.output<typeof searchFilterSchema>;

/** One edge of a page. */
export interface ResourceHit {
  cursor: string;
  node: ResourceDocument;
  /** From the `near` point; null without `near`. */
  distanceMeters: number | null;
}

/** A page of a list; the total is counted only when asked for. */
export interface ResourcePage {
  edges: ResourceHit[];
  pageInfo: PageInfo;
  count(): Promise<number>;
}

/** The orders lists come in: creation (`_id`), distance from a point, and verification date (never verified first). */
type OrderName = "id" | "distance" | "verification";

/** A list to page through: the documents it holds in its order, and a test applied in the service when there is one. */
export interface ListPlan {
  order: OrderName;
  /** The stages yielding every document of the list (unordered but for $geoNear). */
  source: PipelineStage[];
  /** The order bound to the query, so a cursor is refused on another one. */
  keyset: Keyset;
  /** Reads only the opening hours, so counting needs no more of each document. */
  accept?: (doc: Pick<ResourceDocument, "openingHours">) => boolean;
}

const BY_ID: SortKey = { path: "_id", direction: 1 };

/** Each order's sort keys: by id; by distance then id; by verification date (never verified first) then id. */
const SORT_KEYS: Readonly<Record<OrderName, readonly SortKey[]>> = {
  id: [BY_ID],
  distance: [{ path: DISTANCE_FIELD, direction: 1 }, BY_ID],
  verification: [{ path: VERIFIED_AT, direction: 1 }, BY_ID],
};

function planKeyset(order: OrderName, query: unknown): Keyset {
  return keysetOf(SORT_KEYS[order], [order, query]);
}

/** The order of a plan as a sort document ($sort), for lists built on the same plan (places). */
export function sortOf(plan: ListPlan): Record<string, 1 | -1> {
  return sortDocument(plan.keyset.sort);
}

type ListedDocument = ResourceDocument & { [DISTANCE_FIELD]?: number };

/** Up to `limit` documents of the list after the `resume` filter, in order, that pass the plan's test. */
async function collect(models: ResourceModels, plan: ListPlan, resume: Record<string, unknown> | undefined, limit: number): Promise<ListedDocument[]> {
  const pipeline: PipelineStage[] = [...plan.source, ...(resume === undefined ? [] : [{ $match: resume }]), { $sort: sortDocument(plan.keyset.sort) }];
  const { accept } = plan;
  if (accept === undefined) {
    return models.Resource.aggregate<ListedDocument>([...pipeline, { $limit: limit }]);
  }
  const found: ListedDocument[] = [];
  const cursor = models.Resource.aggregate<ListedDocument>(pipeline).allowDiskUse(true).cursor({ batchSize: SCAN_BATCH_SIZE });
  for await (const doc of cursor as AsyncIterable<ListedDocument>) {
    if (accept(doc)) found.push(doc);
    if (found.length === limit) break;
  }
  await cursor.close();
  return found;
}

async function countAll(models: ResourceModels, plan: ListPlan): Promise<number> {
  const { accept } = plan;
  if (accept === undefined) {
    const [result] = await models.Resource.aggregate<{ count: number }>([...plan.source, { $count: "count" }]);
    return result?.count ?? 0;
  }
  let count = 0;
  const hours: PipelineStage[] = [...plan.source, { $project: { openingHours: 1 } }];
  const cursor = models.Resource.aggregate<Pick<ResourceDocument, "openingHours">>(hours).cursor({ batchSize: SCAN_BATCH_SIZE });
  for await (const doc of cursor as AsyncIterable<Pick<ResourceDocument, "openingHours">>) if (accept(doc)) count += 1;
  return count;
}

/** One page of a list: `first` documents after the `after` cursor, and whether more follow. */
async function listPage(models: ResourceModels, plan: ListPlan, page: PageRequest): Promise<ResourcePage> {
  const found = await collect(models, plan, resumeAfter(plan.keyset, page.after), page.first + 1);
  const edges = found.slice(0, page.first).map(({ [DISTANCE_FIELD]: distance, ...node }): ResourceHit => {
    const sortValue = { id: [], distance: [distance], verification: [node.provenance.verifiedAt ?? null] }[plan.order];
    return { cursor: encodeCursor(plan.keyset, [...sortValue, node._id]), node, distanceMeters: distance ?? null };
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: found.length > page.first,
      hasPreviousPage: page.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    count: () => countAll(models, plan),
  };
}

/**
 * Conditions that every document open at `at` meets: an interval on its Tokyo weekday or the day before (an
 * overnight interval), or a dated exception on either date. The exact answer is `isOpenAt`, applied in the service.
 */
function openCandidates(at: Date): Record<string, unknown> {
  const today = toTokyoTime(at);
  const yesterday = toTokyoTime(new Date(at.getTime() - DAY_MS));
  return {
    $or: [
      { "openingHours.weekly.day": { $in: [today.weekday, yesterday.weekday] } },
      { "openingHours.exceptions.date": { $in: [today.date, yesterday.date] } },
    ],
  };
}

/** The categories a filter names, each with the categories under it; an unknown code is BAD_USER_INPUT. */
function expandCategories(taxonomy: readonly TaxonomyCategory[], codes: readonly string[]): string[] {
  const unknown = codes.flatMap((code, index) =>
    taxonomy.some((entry) => entry.code === code) ? [] : [{ field: `filter.categories.${index}`, reason: `未登録の分類です (unknown category): ${code}` }],
  );
  if (unknown.length > 0) throw invalidInput(unknown);
  return [...new Set(codes.flatMap((code) => descendantCodes(taxonomy, code)))];
}

function matchAll(conditions: readonly Record<string, unknown>[]): Record<string, unknown> {
  return conditions.length === 0 ? {} : { $and: conditions };
}

/** The conditions a resource must meet for `filter`, but for `near` and `openAt` (which need a point and a clock). */
export async function filterConditions(models: ResourceModels, filter: Omit<SearchFilter, "near" | "openAt">): Promise<Record<string, unknown>[]> {
  const conditions: Record<string, unknown>[] = [];
  if (!filter.includeArchived) conditions.push({ archivedAt: null });
  const taxonomy = filter.text || filter.categories ? await loadTaxonomy(models) : [];
  if (filter.text) conditions.push(...textConditions(filter.text, categoryLabels(taxonomy)));
  if (filter.categories) conditions.push({ category: { $in: expandCategories(taxonomy, filter.categories) } });
  if (filter.kinds) conditions.push({ kind: { $in: filter.kinds } });
  if (filter.districts) {
    conditions.push({ $or: [{ "address.district": { $in: filter.districts } }, { servedDistricts: { $in: filter.districts } }] });
  }
  if (filter.accepts) conditions.push({ accepts: { $all: filter.accepts } });
  if (filter.hasVacancy !== undefined) conditions.push({ "capacity.available": filter.hasVacancy ? { $gt: 0 } : 0 });
  if (filter.modifiedAfter) conditions.push({ "provenance.modifiedAt": { $gt: filter.modifiedAfter } });
  return conditions;
}

/** Resources matching `filter`: by distance with `near` (distance on each edge), otherwise in creation order. */
export async function searchResources(models: ResourceModels, filter: SearchFilter, page: PageRequest): Promise<ResourcePage> {
  return listPage(models, await planSearch(models, filter), page);
}

/** The list a filter describes: its source stages, its order, and the open-at test applied in the service. */
export async function planSearch(models: ResourceModels, filter: SearchFilter): Promise<ListPlan> {
  const conditions = await filterConditions(models, filter);
  const { openAt, near } = filter;
  if (openAt) conditions.push(openCandidates(openAt));

  const source: PipelineStage[] = near
    ? [
        {
          $geoNear: {
            near: { type: "Point", coordinates: [near.longitude, near.latitude] },
            key: "location",
            distanceField: DISTANCE_FIELD,
            maxDistance: near.radiusMeters,
            spherical: true,
            query: matchAll(conditions),
          },
        },
      ]
    : [{ $match: matchAll(conditions) }];
  const order: OrderName = near ? "distance" : "id";
  return {
    order,
    source,
    keyset: planKeyset(order, filter),
    accept: openAt && ((doc) => doc.openingHours !== undefined && isOpenAt(doc.openingHours, openAt)),
  };
}

/** Resources in operation matching `match` (a coordinator's work list), in creation order; `name` tells lists' cursors apart. */
export function listResources(models: ResourceModels, name: string, match: Record<string, unknown>, page: PageRequest): Promise<ResourcePage> {
  return listPage(models, { order: "id", source: [{ $match: { $and: [{ archivedAt: null }, match] } }], keyset: planKeyset("id", name) }, page);
}

/** The verification queue: resources never verified, or verified before `olderThan`; never verified first, then oldest. */
export function staleResources(models: ResourceModels, olderThan: Date, page: PageRequest): Promise<ResourcePage> {
  const source: PipelineStage[] = [{ $match: { $and: [{ archivedAt: null }, { $or: [{ [VERIFIED_AT]: null }, { [VERIFIED_AT]: { $lt: olderThan } }] }] } }];
  return listPage(models, { order: "verification", source, keyset: planKeyset("verification", olderThan) }, page);
}
