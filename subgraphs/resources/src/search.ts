// Searching resources and the verification queue: filters as MongoDB conditions, distance order with $geoNear, open-at, and keyset cursors that stay correct in each order.
import { createHash } from "node:crypto";
import { Types } from "mongoose";
import type { PipelineStage } from "mongoose";
import { z } from "zod";
import { badUserInput, escapeRegExp, searchTerms } from "@tsunagu/service-kit";
import { ACCEPT_CODES, RESOURCE_KINDS, geoLocationSchema, instantSchema } from "./domain";
import { isOpenAt, toTokyoTime } from "./opening-hours";
import { descendantCodes, loadTaxonomy } from "./categories";
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
  return z
    .array(item)
    .min(1, "1件以上指定してください (at least one value)")
    .max(max, `${max}件までです (at most ${max} values)`);
}

const boundedText = (max: number) =>
  z.string().trim().min(1, "空にできません (must not be empty)").max(max, `${max}文字以内です (at most ${max} characters)`);

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

/** Relay page information. */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
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
  /** Identifies the query, so a cursor is refused on another one. */
  queryHash: string;
  /** Reads only the opening hours, so counting needs no more of each document. */
  accept?: (doc: Pick<ResourceDocument, "openingHours">) => boolean;
}

const SORT_FIELD: Readonly<Record<OrderName, string | undefined>> = {
  id: undefined,
  distance: DISTANCE_FIELD,
  verification: VERIFIED_AT,
};

/** Where a page ends: the sort value of its last document (null sorts first) and its id. */
interface Position {
  value?: number | Date | null;
  id: Types.ObjectId;
}

const cursorSchema = z.object({
  o: z.enum(["id", "distance", "verification"]),
  q: z.string(),
  v: z.union([z.number(), z.string(), z.null()]).optional(),
  id: z.string().regex(/^[0-9a-f]{24}$/),
});

function hashQuery(order: OrderName, query: unknown): string {
  return createHash("sha256").update(JSON.stringify([order, query])).digest("base64url").slice(0, 16);
}

function encodeCursor(plan: ListPlan, position: Position): string {
  const value = position.value instanceof Date ? position.value.toISOString() : position.value;
  return Buffer.from(JSON.stringify({ o: plan.order, q: plan.queryHash, v: value, id: position.id.toHexString() })).toString("base64url");
}

/** The sort value a cursor carries, when it fits the order: none by id, metres by distance, a date or null by verification. */
function readSortValue(order: OrderName, value: number | string | null | undefined): { value: Position["value"] } | undefined {
  if (order === "id") return value === undefined ? { value } : undefined;
  if (order === "distance") return typeof value === "number" ? { value } : undefined;
  if (value === null) return { value };
  const date = typeof value === "string" ? new Date(value) : undefined;
  return date !== undefined && !Number.isNaN(date.getTime()) ? { value: date } : undefined;
}

function decodeCursor(cursor: string, plan: ListPlan): Position {
  const refuse = (why: string) => badUserInput(`after: ${why}`, "after");
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse("カーソルが不正です (not a cursor from this list)");
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw refuse("カーソルが不正です (not a cursor from this list)");
  const { o, q, v, id } = parsed.data;
  if (o !== plan.order || q !== plan.queryHash) {
    throw refuse("別の検索条件のカーソルです (the cursor belongs to another query; start again without after)");
  }
  const read = readSortValue(plan.order, v);
  if (read === undefined) throw refuse("カーソルが不正です (not a cursor from this list)");
  return { value: read.value, id: new Types.ObjectId(id) };
}

/** Documents after `position` in (sort field ascending, nulls first; then `_id`) order. */
function after(field: string | undefined, { value, id }: Position): Record<string, unknown> {
  if (field === undefined) return { _id: { $gt: id } };
  if (value === null || value === undefined) {
    return { $or: [{ [field]: null, _id: { $gt: id } }, { [field]: { $ne: null } }] };
  }
  return { $or: [{ [field]: { $gt: value } }, { [field]: value, _id: { $gt: id } }] };
}

export function sortOf(plan: ListPlan): Record<string, 1> {
  const field = SORT_FIELD[plan.order];
  return field === undefined ? { _id: 1 } : { [field]: 1, _id: 1 };
}

type ListedDocument = ResourceDocument & { [DISTANCE_FIELD]?: number };

/** Up to `limit` documents of the list after `position`, in order, that pass the plan's test. */
async function collect(models: ResourceModels, plan: ListPlan, position: Position | undefined, limit: number): Promise<ListedDocument[]> {
  const pipeline: PipelineStage[] = [
    ...plan.source,
    ...(position === undefined ? [] : [{ $match: after(SORT_FIELD[plan.order], position) }]),
    { $sort: sortOf(plan) },
  ];
  const { accept } = plan;
  if (accept === undefined) {
    return models.Resource.aggregate<ListedDocument>([...pipeline, { $limit: limit }]);
  }
  const found: ListedDocument[] = [];
  const cursor = models.Resource.aggregate<ListedDocument>(pipeline).allowDiskUse(true).cursor({ batchSize: SCAN_BATCH_SIZE });
  for await (const doc of cursor) {
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
  for await (const doc of cursor) if (accept(doc)) count += 1;
  return count;
}

/** One page of a list: `first` documents after the `after` cursor, and whether more follow. */
async function listPage(models: ResourceModels, plan: ListPlan, page: PageRequest): Promise<ResourcePage> {
  const position = page.after === undefined ? undefined : decodeCursor(page.after, plan);
  const found = await collect(models, plan, position, page.first + 1);
  const sortField = SORT_FIELD[plan.order];
  const edges = found.slice(0, page.first).map(({ [DISTANCE_FIELD]: distance, ...node }): ResourceHit => {
    const value = sortField === undefined ? undefined : sortField === DISTANCE_FIELD ? distance : (node.provenance.verifiedAt ?? null);
    return { cursor: encodeCursor(plan, { value, id: node._id }), node, distanceMeters: distance ?? null };
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: found.length > page.first,
      hasPreviousPage: position !== undefined,
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
async function expandCategories(models: ResourceModels, codes: readonly string[]): Promise<string[]> {
  const taxonomy = await loadTaxonomy(models);
  const unknown = codes.flatMap((code, index) =>
    taxonomy.some((entry) => entry.code === code)
      ? []
      : [{ field: `filter.categories.${index}`, reason: `未登録の分類です (unknown category): ${code}` }],
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
  for (const term of searchTerms(filter.text ?? "")) conditions.push({ searchKeys: { $regex: escapeRegExp(term) } });
  if (filter.categories) conditions.push({ category: { $in: await expandCategories(models, filter.categories) } });
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
    queryHash: hashQuery(order, filter),
    accept: openAt && ((doc) => doc.openingHours !== undefined && isOpenAt(doc.openingHours, openAt)),
  };
}

/** Resources in operation matching `match` (a coordinator's work list), in creation order; `name` tells lists' cursors apart. */
export function listResources(models: ResourceModels, name: string, match: Record<string, unknown>, page: PageRequest): Promise<ResourcePage> {
  return listPage(models, { order: "id", source: [{ $match: { $and: [{ archivedAt: null }, match] } }], queryHash: hashQuery("id", name) }, page);
}

/** The verification queue: resources never verified, or verified before `olderThan`; never verified first, then oldest. */
export function staleResources(models: ResourceModels, olderThan: Date, page: PageRequest): Promise<ResourcePage> {
  const source: PipelineStage[] = [
    { $match: { $and: [{ archivedAt: null }, { $or: [{ [VERIFIED_AT]: null }, { [VERIFIED_AT]: { $lt: olderThan } }] }] } },
  ];
  return listPage(models, { order: "verification", source, queryHash: hashQuery("verification", olderThan) }, page);
}
