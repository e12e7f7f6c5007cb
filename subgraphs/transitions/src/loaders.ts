// Per-request DataLoaders of the transitions subgraph: notices by id and access log writes, each batch one database command.
import type DataLoader from "dataloader";
import { trusted } from "mongoose";
import { appendLoader, byIdLoader } from "@tsunagu/service-kit";
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

export function createLoaders(models: TransitionModels, accessChain: AuditChain): TransitionLoaders {
  return {
    notice: byIdLoader((ids) => models.Notice.find({ _id: trusted({ $in: ids }) }).lean<NoticeDocument[]>()),
    appendLog: appendLoader<NewAccessLogEntry, AccessLogDocument>(accessChain, models.AccessLog),
  };
}
