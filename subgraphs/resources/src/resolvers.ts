// The resources subgraph's resolvers: each checks access, validates its arguments, translates ids and delegates to a service.
import { internalError } from "@tsunagu/service-kit";
import type { Resolvers } from "./generated/resolvers-types";
import { actorName, canSeeContactDetails, requireAvailabilityWriter, requireTaxonomyEditor, requireWriter } from "./access";
import { addCategory, loadTaxonomy } from "./categories";
import { coverageArgsSchema, resourceCoverage } from "./coverage";
import { parseInstant, parsePage, parseResourceId, parseResourceInput, validated } from "./inputs";
import { openStatusAt } from "./opening-hours";
import { scalarResolvers } from "./scalars";
import { searchFilterSchema, searchResources, staleResources } from "./search";
import { taxonomyCategorySchema } from "./taxonomy";
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
      requireWriter(identity, ["確認待ちの一覧（staleResources）を見る", "read the verification queue (staleResources)"]);
      return staleResources(models, parseInstant(olderThan, "olderThan"), parsePage({ first, after }));
    },
    resourceCategories: (_root, _args, { models }) => loadTaxonomy(models),
  },
  Mutation: {
    createResource: (_root, { input, idempotencyKey }, { models, identity }) => {
      requireWriter(identity, ["資源を登録する", "create resources"]);
      const now = new Date();
      const request = {
        input: parseResourceInput(input, now, "input"),
        idempotencyKey: validated(idempotencyKeySchema, idempotencyKey, "idempotencyKey"),
        fingerprint: inputFingerprint(input),
      };
      return createResource(models, identity, request, now);
    },
    updateResource: (_root, { id, input, expectedVersion }, { models, identity }) => {
      requireWriter(identity, ["資源を更新する", "update resources"]);
      const now = new Date();
      return updateResource(models, parseResourceId(id, "id"), input, expectedVersion ?? undefined, now);
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
      await pubsub?.publish({
        type: "availabilityChanged",
        topic: "availability",
        payload: { resourceId: resourceId.toHexString(), category: updated.category, district: updated.address.district ?? null },
      });
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
