// The per-request DataLoaders of the resources subgraph: resources by id, categories by code and the services of places, each batch one query.
import DataLoader from "dataloader";
import { Types, trusted } from "mongoose";
import type { CategoryDocument, ResourceDocument, ResourceModels } from "./models";

/** Created for each request in `createContext`, never shared, so one caller's reads never serve another's. */
export interface ResourceLoaders {
  /** By id (24 hex characters); null for an unknown or malformed id. Archived resources are returned too. */
  resource: DataLoader<string, ResourceDocument | null>;
  /** By code; null for an unknown code. */
  category: DataLoader<string, CategoryDocument | null>;
  /** Every service of a place (archived too), oldest first, by place id; empty for an unknown id. */
  placeServices: DataLoader<string, ResourceDocument[]>;
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export function createLoaders({ Resource, Category }: ResourceModels): ResourceLoaders {
  return {
    resource: new DataLoader<string, ResourceDocument | null>(
      async (ids) => {
        const wanted = ids.filter((id) => OBJECT_ID.test(id)).map((id) => new Types.ObjectId(id));
        const found = wanted.length === 0 ? [] : await Resource.find({ _id: trusted({ $in: wanted }) }).lean();
        const byId = new Map(found.map((doc) => [doc._id.toHexString(), doc]));
        return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
      },
      { cacheKeyFn: (id) => id.toLowerCase() },
    ),
    category: new DataLoader<string, CategoryDocument | null>(async (codes) => {
      const found = await Category.find({ code: trusted({ $in: [...codes] }) }).lean();
      const byCode = new Map(found.map((doc) => [doc.code, doc]));
      return codes.map((code) => byCode.get(code) ?? null);
    }),
    placeServices: new DataLoader<string, ResourceDocument[]>(
      async (ids) => {
        const wanted = ids.filter((id) => OBJECT_ID.test(id)).map((id) => new Types.ObjectId(id));
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
