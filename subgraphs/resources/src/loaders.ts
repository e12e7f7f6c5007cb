// The per-request DataLoaders of the resources subgraph: resources by id, categories by code and the services of places, each batch one query.
import DataLoader from "dataloader";
import { Types, trusted } from "mongoose";
import { byIdLoader, isObjectIdHex } from "@tsunagu/service-kit";
import { INDEX_ONLY_FIELDS } from "./models";
import type { CategoryDocument, ResourceDocument, ResourceModels, ResourceView } from "./models";

/** Created for each request in `createContext`, never shared, so one caller's reads never serve another's. */
export interface ResourceLoaders {
  /** By id (24 hex characters); null for an unknown or malformed id. Archived resources are returned too. Read without INDEX_ONLY_FIELDS. */
  resource: DataLoader<string, ResourceView | null>;
  /** By code; null for an unknown code. */
  category: DataLoader<string, CategoryDocument | null>;
  /** Every service of a place (archived too), oldest first, by place id; empty for an unknown id. */
  placeServices: DataLoader<string, ResourceDocument[]>;
}

/** The projection leaving out INDEX_ONLY_FIELDS: about a third of a resource's bytes, decoded for nothing on every read by id. */
const WITHOUT_INDEX_ONLY_FIELDS = Object.fromEntries(INDEX_ONLY_FIELDS.map((field) => [field, 0]));

export function createLoaders({ Resource, Category }: ResourceModels): ResourceLoaders {
  return {
    resource: byIdLoader((ids) => Resource.find({ _id: trusted({ $in: ids }) }, WITHOUT_INDEX_ONLY_FIELDS).lean<ResourceView[]>()),
    category: new DataLoader<string, CategoryDocument | null>(async (codes) => {
      const found = await Category.find({ code: trusted({ $in: [...codes] }) }).lean();
      const byCode = new Map(found.map((doc) => [doc.code, doc]));
      return codes.map((code) => byCode.get(code) ?? null);
    }),
    placeServices: new DataLoader<string, ResourceDocument[]>(
      async (ids) => {
        const wanted = ids.filter(isObjectIdHex).map((id) => new Types.ObjectId(id));
        const found =
          wanted.length === 0
            ? []
            : await Resource.find({ placeId: trusted({ $in: wanted }) })
                .sort({ _id: 1 })
                .lean();
        const byPlace = new Map<string, ResourceDocument[]>();
        for (const doc of found) byPlace.set(doc.placeId.toHexString(), [...(byPlace.get(doc.placeId.toHexString()) ?? []), doc]);
        return ids.map((id) => byPlace.get(id.toLowerCase()) ?? []);
      },
      { cacheKeyFn: (id) => id.toLowerCase() },
    ),
  };
}
