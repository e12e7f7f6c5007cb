// The resources subgraph's resolvers: each checks access, validates its arguments, translates ids and delegates to a service.
import { internalError } from "@tsunagu/service-kit";
import type { Resolvers } from "./generated/resolvers-types";
import { actorName, canSeeContactDetails, canWriteResources, requireAvailabilityWriter, requireWriter } from "./access";
import { loadTaxonomy } from "./categories";
import { coverageArgsSchema, resourceCoverage } from "./coverage";
import { parseInstant, parsePage, parseResourceId, parseResourceInput, validated } from "./inputs";
import { openStatusAt } from "./opening-hours";
import { scalarResolvers } from "./scalars";
import { headService, organizationOf, searchPlaces } from "./places";
import type { PlaceView } from "./places";
import { listResources, searchFilterSchema, searchResources, staleResources } from "./search";
import {
  archiveResource,
  availabilitySchema,
  createResource,
  idempotencyKeySchema,
  inputFingerprint,
  updateAvailability,
  updateResource,
  verifyResource,
} from "./writes";

export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    resource: (_root, { id }, { loaders }) => loaders.resource.load(parseResourceId(id, "id").toHexString()),
    resources: (_root, { filter, first, after }, { models }) =>
      searchResources(models, validated(searchFilterSchema, filter ?? {}, "filter"), parsePage({ first, after })),
    resourceCoverage: (_root, args, { models }) => resourceCoverage(models, validated(coverageArgsSchema, args, "")),
    staleResources: (_root, { olderThan, first, after }, { models, identity }) => {
      requireWriter(identity);
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
      requireWriter(identity);
      return listResources(models, "unassigned", { "address.district": null }, parsePage({ first, after }));
    },
    resourcesWithImportIssues: (_root, { first, after }, { models, identity }) => {
      requireWriter(identity);
      return listResources(models, "importIssues", { "importIssues.column": { $exists: true } }, parsePage({ first, after }));
    },
    districts: (_root, { city }, { models }) =>
      models.District.find(city == null ? {} : { city }).sort({ prefecture: 1, city: 1, name: 1 }).lean(),
  },
  Mutation: {
    createResource: (_root, { input, idempotencyKey }, { models, identity }) => {
      requireWriter(identity);
      const now = new Date();
      const request = {
        input: parseResourceInput(input, now, "input"),
        idempotencyKey: validated(idempotencyKeySchema, idempotencyKey, "idempotencyKey"),
        fingerprint: inputFingerprint(input),
      };
      return createResource(models, identity, request, now);
    },
    updateResource: (_root, { id, input, expectedVersion }, { models, identity }) => {
      requireWriter(identity);
      const now = new Date();
      const parsed = parseResourceInput(input, now, "input");
      return updateResource(models, parseResourceId(id, "id"), parsed, expectedVersion ?? undefined, now, actorName(identity));
    },
    verifyResource: (_root, { id }, { models, identity }) => {
      requireWriter(identity);
      return verifyResource(models, parseResourceId(id, "id"), actorName(identity), new Date());
    },
    updateAvailability: async (_root, { id, input }, { models, identity, pubsub }) => {
      const resourceId = parseResourceId(id, "id");
      requireAvailabilityWriter(identity, resourceId.toHexString());
      const updated = await updateAvailability(models, resourceId, validated(availabilitySchema, input, "input"), new Date());
      // Published once stored, so that subscribers looking the resource up see the new vacancy.
      await pubsub?.publish({
        type: "availabilityChanged",
        topic: "availability",
        payload: { resourceId: resourceId.toHexString(), category: updated.category, district: updated.address.district ?? null },
      });
      return updated;
    },
    archiveResource: (_root, { id }, { models, identity }) => {
      requireWriter(identity);
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
  },
  GeoLocation: {
    latitude: (point) => point.coordinates[1],
    longitude: (point) => point.coordinates[0],
  },
  ContactWindow: {
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
