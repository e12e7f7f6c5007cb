// The resources subgraph's resolvers: each checks access, validates its arguments, translates ids and delegates to a service.
import { creationStamp, domainEvent, internalError } from "@tsunagu/service-kit";
import type { Resolvers } from "./generated/resolvers-types";
import { actorName, canSeeContactDetails, canWriteResources, requireAvailabilityWriter, requireTaxonomyEditor, requireWriter } from "./access";
import { addCategory, loadTaxonomy } from "./categories";
import { coverageArgsSchema, resourceCoverage } from "./coverage";
import { parseInstant, parsePage, parseResourceId, parseResourceInput, validated } from "./inputs";
import { openStatusAt } from "./opening-hours";
import { scalarResolvers } from "./scalars";
import { headService, organizationOf, searchPlaces } from "./places";
import type { PlaceView } from "./places";
import { listResources, searchFilterSchema, searchResources, staleResources } from "./search";
import { taxonomyCategorySchema } from "./taxonomy";
import { archiveResource, availabilitySchema, createResource, updateAvailability, updateResource, verifyResource } from "./writes";

export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    resource: (_root, { id }, { loaders }) => loaders.resource.load(parseResourceId(id, "id").toHexString()),
    resources: (_root, { filter, first, after }, { models }) =>
      searchResources(models, validated(searchFilterSchema, filter ?? {}, "filter"), parsePage({ first, after })),
    resourceCoverage: (_root, args, { models }) => resourceCoverage(models, validated(coverageArgsSchema, args, "")),
    staleResources: (_root, { olderThan, first, after }, { models, identity }) => {
      requireWriter(identity, ["確認待ちの一覧（staleResources）を見る", "read the verification queue (staleResources)"]);
      return staleResources(models, parseInstant(olderThan, "olderThan"), parsePage({ first, after }));
    },
    resourceCategories: (_root, _args, { models }) => loadTaxonomy(models),
    place: async (_root, { id }, { loaders }) => {
      const placeId = parseResourceId(id, "id");
      const services = await loaders.placeServices.load(placeId.toHexString());
      return services.length === 0 ? null : { id: placeId, services };
    },
    places: (_root, { filter, first, after }, { models }) =>
      searchPlaces(models, validated(searchFilterSchema, filter ?? {}, "filter"), parsePage({ first, after })),
    unassignedResources: (_root, { first, after }, { models, identity }) => {
      requireWriter(identity, ["圏域に属さない資源の一覧を見る", "read the resources no district claims (unassignedResources)"]);
      return listResources(models, "unassigned", { "address.district": null }, parsePage({ first, after }));
    },
    resourcesWithImportIssues: (_root, { first, after }, { models, identity }) => {
      requireWriter(identity, ["取り込みの警告がある資源の一覧を見る", "read the resources with import issues (resourcesWithImportIssues)"]);
      return listResources(models, "importIssues", { "importIssues.column": { $exists: true } }, parsePage({ first, after }));
    },
    // exec(): a promise; the bare Query is a thenable that refuses a second then ("Query was already executed").
    districts: (_root, { city }, { models }) =>
      models.District.find(city == null ? {} : { city })
        .sort({ prefecture: 1, city: 1, name: 1 })
        .lean()
        .exec(),
  },
  Mutation: {
    createResource: (_root, { input, idempotencyKey }, { models, identity }) => {
      requireWriter(identity, ["資源を登録する", "create resources"]);
      const now = new Date();
      const request = { input: parseResourceInput(input, now, "input"), stamp: creationStamp(identity, idempotencyKey, "idempotencyKey", input, now) };
      return createResource(models, request, now);
    },
    updateResource: (_root, { id, input, expectedVersion }, { models, identity }) => {
      requireWriter(identity, ["資源を更新する", "update resources"]);
      const now = new Date();
      return updateResource(models, parseResourceId(id, "id"), input, expectedVersion ?? undefined, now, actorName(identity));
    },
    verifyResource: (_root, { id }, { models, identity }) => {
      requireWriter(identity, ["資源を確認済みにする", "verify resources"]);
      return verifyResource(models, parseResourceId(id, "id"), actorName(identity), new Date());
    },
    updateAvailability: async (_root, { id, input }, { models, identity, pubsub }) => {
      const resourceId = parseResourceId(id, "id");
      requireAvailabilityWriter(identity, resourceId.toHexString());
      const updated = await updateAvailability(models, resourceId, validated(availabilitySchema, input, "input"), new Date());
      // Published once stored, so that subscribers looking the resource up see the new vacancy.
      await pubsub?.publish(
        domainEvent("availabilityChanged", { resourceId: resourceId.toHexString(), category: updated.category, district: updated.address.district ?? null }),
      );
      return updated;
    },
    addResourceCategory: (_root, { input }, { models, identity }) => {
      requireTaxonomyEditor(identity);
      const { code, labelJa, kana, labelEn, kind, parent } = input;
      return addCategory(models, validated(taxonomyCategorySchema, { code, ja: labelJa, kana, en: labelEn, kind, parent: parent ?? null }, "input"));
    },
    archiveResource: (_root, { id }, { models, identity }) => {
      requireWriter(identity, ["資源をアーカイブする", "archive resources"]);
      return archiveResource(models, parseResourceId(id, "id"), new Date());
    },
  },
  Resource: {
    __resolveReference: ({ id }, { loaders }) => loaders.resource.load(id),
    id: (resource) => resource._id.toHexString(),
    category: async (resource, _args, { loaders }) => {
      const category = await loaders.category.load(resource.category);
      if (category === null) throw internalError(`Category ${resource.category} is missing from the taxonomy`);
      return category;
    },
    location: (resource) => resource.location ?? null,
    openStatus: (resource, { at }) => {
      const moment = at == null ? new Date() : parseInstant(at, "at");
      return resource.openingHours ? openStatusAt(resource.openingHours, moment) : "UNKNOWN";
    },
    archived: (resource) => resource.archivedAt !== null,
    place: async (resource, _args, { loaders }) => {
      const services = await loaders.placeServices.load(resource.placeId.toHexString());
      return { id: resource.placeId, services: services.length === 0 ? [resource] : services };
    },
    organization: (resource) => organizationOf(resource),
    importIssues: (resource, _args, { identity }) => (canWriteResources(identity) ? (resource.importIssues ?? []) : null),
    fieldProvenance: (resource, _args, { identity }) => (canWriteResources(identity) ? (resource.fieldProvenance ?? []) : null),
  },
  Place: {
    id: (place: PlaceView) => place.id.toHexString(),
    names: (place) => {
      const { official, kana, short } = headService(place).names;
      return { official, kana: kana ?? null, short: short ?? null };
    },
    address: (place) => {
      const { postalCode, prefecture, city, district, street, building } = headService(place).address;
      return { postalCode: postalCode ?? null, prefecture, city, district: district ?? null, street: street ?? null, building: building ?? null };
    },
    location: (place) => headService(place).location ?? null,
    organization: (place) => organizationOf(headService(place)),
    services: (place) => place.services.filter((service) => service.archivedAt === null),
  },
  PlaceEdge: {
    node: async (hit, _args, { loaders }) => ({ id: hit.placeId, services: await loaders.placeServices.load(hit.placeId.toHexString()) }),
  },
  PlaceConnection: {
    totalCount: (page) => page.count(),
  },
  District: {
    hasArea: (district) => district.area !== undefined,
    area: ({ area }) => (area === undefined ? null : { type: "MultiPolygon", coordinates: area.type === "Polygon" ? [area.coordinates] : area.coordinates }),
  },
  GeoLocation: {
    latitude: (point) => point.coordinates[1],
    longitude: (point) => point.coordinates[0],
  },
  ContactWindow: {
    name: (window, _args, { identity }) => (canSeeContactDetails(identity) ? window.name : null),
    kana: (window, _args, { identity }) => (canSeeContactDetails(identity) ? (window.kana ?? null) : null),
    photoUrl: (window, _args, { identity }) => (canSeeContactDetails(identity) ? (window.photoUrl ?? null) : null),
    avoidCallingHours: (window, _args, { identity }) =>
      canSeeContactDetails(identity) ? window.avoidCallingHours.map((hours) => ({ ...hours, reason: hours.reason ?? null })) : [],
    phone: (window, _args, { identity }) => (canSeeContactDetails(identity) ? (window.phone ?? null) : null),
    email: (window, _args, { identity }) => (canSeeContactDetails(identity) ? (window.email ?? null) : null),
  },
  ResourceCategory: {
    code: (category) => category.code,
    labelJa: (category) => category.ja,
    labelEn: (category) => category.en,
    parent: (category, _args, { loaders }) => (category.parent === null ? null : loaders.category.load(category.parent)),
  },
  ResourceConnection: {
    totalCount: (page) => page.count(),
  },
};
