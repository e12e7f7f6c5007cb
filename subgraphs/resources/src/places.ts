// Places (HSDS locations) and their services: a place's view from its services, and search answers that show each place once with the services matching the filter.
import type { Types } from "mongoose";
import type { PipelineStage } from "mongoose";
import { badUserInput, decodeCursor, encodeCursor, keysetOf } from "@tsunagu/service-kit";
import type { Keyset, PageInfo, SortKey } from "@tsunagu/service-kit";
import type { PageRequest } from "./inputs";
import type { ResourceDocument, ResourceModels, ResourceView } from "./models";
import type { SearchFilter } from "./search";
import { DISTANCE_FIELD, planSearch, sortOf } from "./search";

/** A place as answered: its id and every service recorded there (archived ones too), oldest first. */
export interface PlaceView {
  id: Types.ObjectId;
  services: ResourceView[];
}

/** The service a place takes its names, address and location from: the one whose id is the place's, else the oldest. */
export function headService(place: PlaceView): ResourceView {
  return place.services.find((service) => service._id.equals(place.id)) ?? place.services[0];
}

/** HSDS organization, from a service's operator fields. */
export interface OrganizationView {
  corporateNumber: string | null;
  name: string | null;
}

export function organizationOf(service: ResourceView): OrganizationView | null {
  const corporateNumber = service.identifiers.corporateNumber ?? null;
  const name = service.operatorName ?? null;
  return corporateNumber === null && name === null ? null : { corporateNumber, name };
}

/** One place in a page, with the services that matched. */
export interface PlaceHit {
  cursor: string;
  placeId: Types.ObjectId;
  matchingServices: ResourceDocument[];
  distanceMeters: number | null;
}

export interface PlacePage {
  edges: PlaceHit[];
  pageInfo: PageInfo;
  count(): Promise<number>;
}

/**
 * Places are paged by position, since a place is listed once however many of its services match: the cursor (the
 * shared format, bound to the search) holds how many places came before the next page.
 */
const BY_POSITION: SortKey[] = [{ path: "position", direction: 1 }];

function placesBefore(keyset: Keyset, after: string | undefined): number {
  if (after === undefined) return 0;
  const [position] = decodeCursor(keyset, after);
  if (typeof position !== "number" || !Number.isInteger(position) || position < 1)
    throw badUserInput("after: カーソルが不正です (not a cursor from this list)", "after");
  return position;
}

type Listed = Pick<ResourceDocument, "_id" | "placeId" | "openingHours"> & { [DISTANCE_FIELD]?: number };

/**
 * Places with services matching `filter`, each once, in the order of their first matching service (by distance with
 * `near`, else by creation). The places of a page come from one pass over the matching services (ids and place ids
 * only); their matching services are then read in one query.
 */
export async function searchPlaces(models: ResourceModels, filter: SearchFilter, page: PageRequest): Promise<PlacePage> {
  const plan = await planSearch(models, filter);
  const keyset = keysetOf(BY_POSITION, plan.keyset.hash);
  const skip = placesBefore(keyset, page.after);
  const projection = { placeId: 1, [DISTANCE_FIELD]: 1, ...(plan.accept ? { openingHours: 1 } : {}) };
  /** Walks the matching services in order, calling `visit` with each new place; stops when it returns false. */
  const walk = async (visit: (placeId: Types.ObjectId, distance: number | undefined) => boolean) => {
    const seen = new Set<string>();
    const cursor = models.Resource.aggregate<Listed>([...plan.source, { $sort: sortOf(plan) }, { $project: projection }])
      .allowDiskUse(true)
      .cursor({ batchSize: 500 });
    try {
      for await (const doc of cursor as AsyncIterable<Listed>) {
        if (plan.accept && !plan.accept(doc)) continue;
        const key = doc.placeId.toHexString();
        if (seen.has(key)) continue;
        seen.add(key);
        if (!visit(doc.placeId, doc[DISTANCE_FIELD])) break;
      }
    } finally {
      await cursor.close();
    }
  };
  const found: Array<{ placeId: Types.ObjectId; distance?: number }> = [];
  let index = 0;
  await walk((placeId, distance) => {
    if (index >= skip) found.push({ placeId, distance });
    index += 1;
    return found.length <= page.first;
  });
  const pagePlaces = found.slice(0, page.first);
  const matching = new Map<string, ResourceDocument[]>();
  if (pagePlaces.length > 0) {
    const stages: PipelineStage[] = [...plan.source, { $match: { placeId: { $in: pagePlaces.map((place) => place.placeId) } } }, { $sort: { _id: 1 } }];
    for (const service of await models.Resource.aggregate<ResourceDocument>(stages)) {
      if (plan.accept && !plan.accept(service)) continue;
      const key = service.placeId.toHexString();
      const { [DISTANCE_FIELD]: _distance, ...stored } = service as ResourceDocument & { [DISTANCE_FIELD]?: number };
      matching.set(key, [...(matching.get(key) ?? []), stored]);
    }
  }
  const edges = pagePlaces.map(({ placeId, distance }, offset): PlaceHit => ({
    cursor: encodeCursor(keyset, [skip + offset + 1]),
    placeId,
    matchingServices: matching.get(placeId.toHexString()) ?? [],
    distanceMeters: distance ?? null,
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: found.length > page.first,
      hasPreviousPage: skip > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    count: async () => {
      let places = 0;
      await walk(() => {
        places += 1;
        return true;
      });
      return places;
    },
  };
}
