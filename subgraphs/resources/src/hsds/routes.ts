// The Open Referral HSDS 3.1 API's read endpoints over the resources (services, service_at_locations, organizations, locations, taxonomies, taxonomy_terms): page-numbered lists with HSDS's filters, public data only.
import express from "express";
import type { Request, Response, Router } from "express";
import type { PipelineStage } from "mongoose";
import { Types } from "mongoose";
import { z } from "zod";
import { toTokyoIso } from "@tsunagu/service-kit";
import type { ResourceDocument, ResourceModels } from "../models";
import { descendantCodes, loadTaxonomy } from "../categories";
import { filterConditions } from "../search";
import type { TaxonomyCategory } from "../taxonomy";
import { hsdsIdOfText, keyOfHsdsId } from "./ids";
import {
  HSDS_VERSION,
  TAXONOMY_NAME,
  locationRecord,
  organizationRecord,
  serviceAtLocationRecord,
  serviceRecord,
  serviceSummary,
  taxonomyRecord,
  taxonomyTermRecord,
} from "./mapping";
import type { HsdsObject } from "./mapping";

export const HSDS_DEFAULT_PAGE_SIZE = 50;
export const HSDS_MAX_PAGE_SIZE = 200;
const MAX_PROXIMITY_METERS = 50_000;

const flag = z.enum(["true", "false"]).transform((value) => value === "true");
const uuid = z.string().regex(/^[0-9a-fA-F-]{36}$/, "UUID形式です (a UUID)");
const listQuerySchema = z.object({
  search: z.string().max(100).optional(),
  page: z.coerce.number().int().min(1, "1以上です (from 1)").default(1),
  per_page: z.coerce
    .number()
    .int()
    .min(1)
    .max(HSDS_MAX_PAGE_SIZE, `${HSDS_MAX_PAGE_SIZE}件までです (at most ${HSDS_MAX_PAGE_SIZE})`)
    .default(HSDS_DEFAULT_PAGE_SIZE),
  format: z.enum(["json"], "json のみです (only json)").optional(),
  taxonomy_term_id: uuid.optional(),
  taxonomy_id: uuid.optional(),
  organization_id: uuid.optional(),
  modified_after: z.iso.datetime({ offset: true, error: "ISO-8601の日時です (ISO-8601 date-time)" }).optional(),
  minimal: flag.optional(),
  full: flag.optional(),
  full_service: flag.optional(),
  postcode: z
    .string()
    .regex(/^\d{3}-?\d{4}$/, "郵便番号は123-4567形式です (postal code 123-4567)")
    .optional(),
  proximity: z.coerce.number().positive().max(MAX_PROXIMITY_METERS).optional(),
  /** Extensions: the point `proximity` is measured from, when no postcode is given. */
  latitude: z.coerce.number().min(-90).max(90).optional(),
  longitude: z.coerce.number().min(-180).max(180).optional(),
  top_only: flag.optional(),
  parent_id: uuid.optional(),
});
type ListQuery = z.output<typeof listQuerySchema>;

/** A request HSDS cannot answer: 400 with a stable code and the parameter, or 404. */
class HsdsRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly code: "BAD_USER_INPUT" | "NOT_FOUND",
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
  }
}

function parseQuery(request: Request): ListQuery {
  const parsed = listQuerySchema.safeParse(request.query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const parameter = String(issue?.path[0] ?? "");
  throw new HsdsRequestError(400, "BAD_USER_INPUT", `${parameter}: ${issue?.message ?? "invalid"}`, parameter);
}

/** HSDS's Page wrapper around one page of `contents`. */
function page(contents: HsdsObject[], total: number, query: ListQuery): HsdsObject {
  const totalPages = Math.max(1, Math.ceil(total / query.per_page));
  return {
    total_items: total,
    total_pages: totalPages,
    page_number: query.page,
    size: contents.length,
    first_page: query.page === 1,
    last_page: query.page >= totalPages,
    empty: contents.length === 0,
    contents,
  };
}

const today = () => toTokyoIso(new Date()).slice(0, 10);

/** The HSDS routes, mounted at `/hsds` on the resources service (the gateway forwards its own `/hsds` here). */
export function hsdsRoutes(models: ResourceModels): Router {
  const { Resource } = models;
  const router = express.Router();

  const taxonomy = () => loadTaxonomy(models) as Promise<TaxonomyCategory[]>;
  const categoryOf = (categories: readonly TaxonomyCategory[], code: string) => categories.find((entry) => entry.code === code);
  const termCode = (categories: readonly TaxonomyCategory[], id: string, parameter: string): string => {
    const found = categories.find((entry) => hsdsIdOfText("taxonomyTerm", entry.code) === id.toLowerCase());
    if (found === undefined) throw new HsdsRequestError(400, "BAD_USER_INPUT", `${parameter}: 未登録の分類です (unknown taxonomy term)`, parameter);
    return found.code;
  };

  /** The match conditions of a list query: text, taxonomy, organisation and modification time, never archived records. */
  async function conditionsOf(query: ListQuery, categories: readonly TaxonomyCategory[]): Promise<Record<string, unknown>[]> {
    if (query.taxonomy_id !== undefined && query.taxonomy_id.toLowerCase() !== hsdsIdOfText("taxonomy", TAXONOMY_NAME)) {
      throw new HsdsRequestError(400, "BAD_USER_INPUT", "taxonomy_id: 未登録の分類体系です (unknown taxonomy)", "taxonomy_id");
    }
    const conditions = await filterConditions(models, {
      text: query.search,
      modifiedAfter: query.modified_after === undefined ? undefined : new Date(new Date(query.modified_after).getTime() - 1),
      includeArchived: false,
    });
    if (query.taxonomy_term_id !== undefined) {
      conditions.push({ category: { $in: descendantCodes([...categories], termCode(categories, query.taxonomy_term_id, "taxonomy_term_id")) } });
    }
    if (query.organization_id !== undefined) {
      const corporate = keyOfHsdsId("corporation", query.organization_id);
      const own = keyOfHsdsId("organization", query.organization_id);
      if (corporate === undefined && own === undefined)
        throw new HsdsRequestError(400, "BAD_USER_INPUT", "organization_id: この組織IDではありません (not an organization id)", "organization_id");
      conditions.push(
        corporate !== undefined ? { "identifiers.corporateNumber": corporate } : { _id: new Types.ObjectId(own), "identifiers.corporateNumber": null },
      );
    }
    return conditions;
  }

  /** Where `proximity` is measured from: the given point, or the centroid of the resources with that postcode. */
  async function proximityPoint(query: ListQuery): Promise<[number, number] | undefined> {
    if (query.proximity === undefined) return undefined;
    if (query.latitude !== undefined && query.longitude !== undefined) return [query.longitude, query.latitude];
    if (query.postcode === undefined)
      throw new HsdsRequestError(
        400,
        "BAD_USER_INPUT",
        "proximity: postcode か latitude/longitude が必要です (needs postcode or latitude and longitude)",
        "proximity",
      );
    const code = query.postcode.replace(/^(\d{3})-?(\d{4})$/, "$1-$2");
    const places = await firstOf({ "address.postalCode": code, location: { $ne: null } }, 500);
    if (places.length === 0)
      throw new HsdsRequestError(400, "BAD_USER_INPUT", "postcode: この郵便番号の位置が分かりません (no known location for this postcode)", "postcode");
    const sum = places.reduce(([lon, lat], place) => [lon + (place.location?.coordinates[0] ?? 0), lat + (place.location?.coordinates[1] ?? 0)], [0, 0]);
    return [sum[0] / places.length, sum[1] / places.length];
  }

  /** One page of resources matching `query`, in id order, or by distance with `proximity`. */
  async function resourcePage(query: ListQuery, categories: readonly TaxonomyCategory[]): Promise<{ items: ResourceDocument[]; total: number }> {
    const conditions = await conditionsOf(query, categories);
    const match = conditions.length === 0 ? {} : { $and: conditions };
    const point = await proximityPoint(query);
    const source: PipelineStage[] =
      point === undefined
        ? [{ $match: match }, { $sort: { _id: 1 } }]
        : [
            {
              $geoNear: {
                near: { type: "Point", coordinates: point },
                key: "location",
                distanceField: "hsdsDistance",
                maxDistance: query.proximity,
                spherical: true,
                query: match,
              },
            },
          ];
    const [items, counted] = await Promise.all([
      Resource.aggregate<ResourceDocument>([...source, { $skip: (query.page - 1) * query.per_page }, { $limit: query.per_page }]),
      // Counting needs no order: only the match (or the radius).
      Resource.aggregate<{ total: number }>([...(point === undefined ? [{ $match: match }] : source), { $count: "total" }]),
    ]);
    return { items, total: counted[0]?.total ?? 0 };
  }

  /**
   * One page of distinct groups (organisations by 法人番号, places by placeId), each represented by its first resource in
   * id order. Only the keys and ids are grouped; the page's records are then read by id, so a page never carries every
   * resource through the pipeline.
   */
  async function groupPage(query: ListQuery, categories: readonly TaxonomyCategory[], key: unknown): Promise<{ items: ResourceDocument[]; total: number }> {
    const conditions = await conditionsOf(query, categories);
    const grouped: PipelineStage[] = [{ $match: conditions.length === 0 ? {} : { $and: conditions } }, { $group: { _id: key, first: { $min: "$_id" } } }];
    const [groups, counted] = await Promise.all([
      Resource.aggregate<{ first: Types.ObjectId }>([
        ...grouped,
        { $sort: { _id: 1 } },
        { $skip: (query.page - 1) * query.per_page },
        { $limit: query.per_page },
      ]),
      Resource.aggregate<{ total: number }>([...grouped, { $count: "total" }]),
    ]);
    const found = await firstOf({ _id: { $in: groups.map((group) => group.first) } }, groups.length);
    const foundById = new Map(found.map((resource) => [String(resource._id), resource]));
    return { items: groups.flatMap((group) => foundById.get(String(group.first)) ?? []), total: counted[0]?.total ?? 0 };
  }

  /** Resources matching `match` (never archived) in id order; through aggregate, whose stages are ours, not a caller's. */
  const firstOf = (match: Record<string, unknown>, limit: number) =>
    Resource.aggregate<ResourceDocument>([{ $match: { $and: [match, { archivedAt: null }] } }, { $sort: { _id: 1 } }, { $limit: limit }]);

  const route = (handler: (request: Request) => Promise<unknown>) => async (request: Request, response: Response) => {
    try {
      response.set("cache-control", "public, max-age=60").json(await handler(request));
    } catch (error) {
      if (!(error instanceof HsdsRequestError)) throw error;
      response
        .status(error.status)
        .json({ code: error.code, message: error.message, ...(error.parameter === undefined ? {} : { parameter: error.parameter }) });
    }
  };
  const notFound = (what: string) => new HsdsRequestError(404, "NOT_FOUND", `${what} が見つかりません (not found)`);
  const byId = async (kind: "service" | "serviceAtLocation" | "location" | "organization", id: string): Promise<ResourceDocument> => {
    const key = keyOfHsdsId(kind, id);
    if (key === undefined) throw notFound(kind);
    const objectId = new Types.ObjectId(key);
    const [found] = await firstOf(kind === "location" ? { $or: [{ placeId: objectId }, { _id: objectId }] } : { _id: objectId }, 1);
    if (found === undefined) throw notFound(kind);
    return found;
  };

  router.get(
    "/hsds",
    route(async (request) => ({
      version: HSDS_VERSION,
      profile: "https://docs.openreferral.org/en/latest/hsds/",
      openapi_url: `${request.protocol}://${request.get("host") ?? "localhost"}/hsds/openapi.json`,
    })),
  );

  router.get(
    "/hsds/services",
    route(async (request) => {
      const query = parseQuery(request);
      const categories = await taxonomy();
      const { items, total } = await resourcePage(query, categories);
      const date = today();
      return page(
        items.map((resource) => {
          if (query.minimal) {
            const { id, last_modified } = serviceSummary(resource, undefined);
            return { id, last_modified };
          }
          return query.full
            ? serviceRecord(resource, categoryOf(categories, resource.category), date)
            : serviceSummary(resource, categoryOf(categories, resource.category));
        }),
        total,
        query,
      );
    }),
  );
  router.get(
    "/hsds/services/:id",
    route(async (request) => {
      const resource = await byId("service", String(request.params.id));
      return serviceRecord(resource, categoryOf(await taxonomy(), resource.category), today());
    }),
  );

  router.get(
    "/hsds/service_at_locations",
    route(async (request) => {
      const query = parseQuery(request);
      const categories = await taxonomy();
      const { items, total } = await resourcePage(query, categories);
      return page(
        items.map((resource) => serviceAtLocationRecord(resource, true, categoryOf(categories, resource.category))),
        total,
        query,
      );
    }),
  );
  router.get(
    "/hsds/service_at_locations/:id",
    route(async (request) => {
      const resource = await byId("serviceAtLocation", String(request.params.id));
      return serviceAtLocationRecord(resource, true, categoryOf(await taxonomy(), resource.category));
    }),
  );

  router.get(
    "/hsds/locations",
    route(async (request) => {
      const query = parseQuery(request);
      const { items, total } = await groupPage(query, await taxonomy(), { $ifNull: ["$placeId", "$_id"] });
      return page(items.map(locationRecord), total, query);
    }),
  );
  router.get(
    "/hsds/locations/:id",
    route(async (request) => locationRecord(await byId("location", String(request.params.id)))),
  );

  const organizationWithServices = async (resource: ResourceDocument, full: boolean): Promise<HsdsObject> => {
    const organization = organizationRecord(resource);
    const corporate = resource.identifiers?.corporateNumber;
    const services = await firstOf(corporate == null ? { _id: resource._id } : { "identifiers.corporateNumber": corporate }, HSDS_MAX_PAGE_SIZE);
    const categories = await taxonomy();
    const date = today();
    return {
      ...organization,
      services: services.map((service) =>
        full ? serviceRecord(service, categoryOf(categories, service.category), date) : serviceSummary(service, categoryOf(categories, service.category)),
      ),
      locations: [...new Map(services.map((service) => [locationRecord(service).id, locationRecord(service)])).values()],
    };
  };
  router.get(
    "/hsds/organizations",
    route(async (request) => {
      const query = parseQuery(request);
      const { items, total } = await groupPage(query, await taxonomy(), { $ifNull: ["$identifiers.corporateNumber", "$_id"] });
      const contents =
        query.full || query.full_service
          ? await Promise.all(items.map((item) => organizationWithServices(item, query.full_service === true)))
          : items.map(organizationRecord);
      return page(contents, total, query);
    }),
  );
  router.get(
    "/hsds/organizations/:id",
    route(async (request) => {
      const id = String(request.params.id);
      const corporate = keyOfHsdsId("corporation", id);
      const resource = corporate === undefined ? await byId("organization", id) : (await firstOf({ "identifiers.corporateNumber": corporate }, 1))[0];
      if (resource === undefined) throw notFound("organization");
      return organizationWithServices(resource, flag.safeParse(request.query.full_service).data === true);
    }),
  );

  router.get(
    "/hsds/taxonomies",
    route(async (request) => {
      const query = parseQuery(request);
      const all = [taxonomyRecord()].filter((record) => query.search === undefined || String(record.name).includes(query.search));
      return page(all.slice((query.page - 1) * query.per_page, query.page * query.per_page), all.length, query);
    }),
  );
  router.get(
    "/hsds/taxonomies/:id",
    route(async (request) => {
      if (String(request.params.id).toLowerCase() !== taxonomyRecord().id) throw notFound("taxonomy");
      return taxonomyRecord();
    }),
  );
  router.get(
    "/hsds/taxonomy_terms",
    route(async (request) => {
      const query = parseQuery(request);
      const categories = await taxonomy();
      if (query.taxonomy_id !== undefined && query.taxonomy_id.toLowerCase() !== taxonomyRecord().id) return page([], 0, query);
      const parent = query.parent_id === undefined ? undefined : termCode(categories, query.parent_id, "parent_id");
      const terms = categories
        .filter((entry) => !query.top_only || entry.parent === undefined || entry.parent === null)
        .filter((entry) => parent === undefined || entry.parent === parent)
        .filter((entry) => query.search === undefined || `${entry.code} ${entry.ja} ${entry.kana} ${entry.en}`.includes(query.search))
        .map(taxonomyTermRecord);
      return page(terms.slice((query.page - 1) * query.per_page, query.page * query.per_page), terms.length, query);
    }),
  );
  router.get(
    "/hsds/taxonomy_terms/:id",
    route(async (request) => {
      const categories = await taxonomy();
      const found = categories.find((entry) => hsdsIdOfText("taxonomyTerm", entry.code) === String(request.params.id).toLowerCase());
      if (found === undefined) throw notFound("taxonomy_term");
      return taxonomyTermRecord(found);
    }),
  );
  return router;
}
