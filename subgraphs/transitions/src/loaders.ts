// Per-request DataLoaders of the transitions subgraph: notices by id and access log writes, each batch one database command.
import DataLoader from "dataloader";
import { Types, trusted } from "mongoose";
import { isObjectIdHex } from "@tsunagu/service-kit";
import type { AuditChain } from "@tsunagu/service-kit";
import type { AccessLogDocument, NoticeDocument, TransitionModels } from "./models";

/** An access log entry before the database gave it an id. */
export type NewAccessLogEntry = Omit<AccessLogDocument, "_id">;

/** Created for each request, never shared, so one caller's reads never serve another's. */
export interface TransitionLoaders {
  /** By id (24 hex characters); null for an unknown or malformed id. */
  notice: DataLoader<string, NoticeDocument | null>;
  /** Appends entries to the hash chain; the entries of one tick (e.g. 100 `_entities` representations) are one append. */
  appendLog: DataLoader<NewAccessLogEntry, AccessLogDocument>;
}

/** The entry as the database stores it: given an id, checked against the model's schema, its defaults filled in. */
async function storedLogEntry(models: TransitionModels, entry: NewAccessLogEntry): Promise<AccessLogDocument> {
  const document = new models.AccessLog(entry);
  await document.validate();
  return document.toObject<AccessLogDocument>();
}

export function createLoaders(models: TransitionModels, accessChain: AuditChain): TransitionLoaders {
  return {
    notice: new DataLoader<string, NoticeDocument | null>(
      async (ids) => {
        const wanted = ids.filter(isObjectIdHex).map((id) => new Types.ObjectId(id));
        const found = wanted.length === 0 ? [] : await models.Notice.find({ _id: trusted({ $in: wanted }) }).lean<NoticeDocument[]>();
        const byId = new Map(found.map((notice) => [notice._id.toHexString(), notice]));
        return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
      },
      { cacheKeyFn: (id) => id.toLowerCase() },
    ),
    appendLog: new DataLoader<NewAccessLogEntry, AccessLogDocument>(
      async (entries) => accessChain.append(await Promise.all(entries.map((entry) => storedLogEntry(models, entry)))),
      { cache: false },
    ),
  };
}
