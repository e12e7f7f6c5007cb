// Per-request DataLoaders of the emergency subgraph: profiles by id, the caller's open access windows by profile, and access log writes; each batch is one database command.
import DataLoader from "dataloader";
import { Types, trusted } from "mongoose";
import { appendLoader, byIdLoader, isObjectIdHex } from "@tsunagu/service-kit";
import type { AuditChain, Identity } from "@tsunagu/service-kit";
import type { AccessLogDocument, EmergencyModels, ProfileDocument } from "./models";

/** An access log entry before the database gave it an id. */
export type NewAccessLogEntry = Omit<AccessLogDocument, "_id">;

/** The look-up entry whose access window is still open: its reason and incident number carry over to re-reads. */
export type OpenWindow = Pick<AccessLogDocument, "_id" | "profileIds" | "reason" | "incidentNumber" | "accessWindowEndsAt">;

/** Created for each request, never shared, so one caller's reads never serve another's. */
export interface EmergencyLoaders {
  /** By id (24 hex characters); null for an unknown or malformed id. */
  profile: DataLoader<string, ProfileDocument | null>;
  /** The caller's access window on a profile (by profile id) still open at the request's moment: their latest successful look-up of it. */
  openWindow: DataLoader<string, OpenWindow | null>;
  /** Appends entries to the hash chain; the entries of one tick (e.g. 100 `_entities` representations) are one append. */
  appendLog: DataLoader<NewAccessLogEntry, AccessLogDocument>;
}

function objectIds(ids: readonly string[]): Types.ObjectId[] {
  return ids.filter(isObjectIdHex).map((id) => new Types.ObjectId(id));
}

export function createLoaders(models: EmergencyModels, accessChain: AuditChain, identity: Identity, now: Date): EmergencyLoaders {
  return {
    profile: byIdLoader((ids) => models.Profile.find({ _id: trusted({ $in: ids }) }).lean<ProfileDocument[]>()),
    openWindow: new DataLoader<string, OpenWindow | null>(async (profileIds) => {
      const wanted = objectIds(profileIds);
      if (identity.subject === undefined || wanted.length === 0) return profileIds.map(() => null);
      const open = await models.AccessLog.find(
        {
          "actor.subject": identity.subject,
          profileIds: trusted({ $in: wanted }),
          accessWindowEndsAt: trusted({ $gt: now }),
          action: "LOOKUP",
          outcome: "ALLOWED",
        },
        { profileIds: 1, reason: 1, incidentNumber: 1, accessWindowEndsAt: 1 },
      )
        .sort({ accessWindowEndsAt: -1 })
        .lean<OpenWindow[]>();
      const byProfile = new Map<string, OpenWindow>();
      for (const window of open) {
        for (const id of window.profileIds) if (!byProfile.has(id.toHexString())) byProfile.set(id.toHexString(), window);
      }
      return profileIds.map((id) => byProfile.get(id.toLowerCase()) ?? null);
    }),
    appendLog: appendLoader<NewAccessLogEntry, AccessLogDocument>(accessChain, models.AccessLog),
  };
}
