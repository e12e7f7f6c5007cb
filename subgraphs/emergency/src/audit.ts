// The access log: who did what to which profiles, stamped with the request's server time and id, appended to its hash chain through the request's batching loader or inside a transaction with the change it records.
import type { ClientSession, Types } from "mongoose";
import { storedEntry } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { ProfileSection } from "./generated/resolvers-types";
import type { EmergencyContext } from "./context";
import type { AccessActionValue, AccessOutcomeValue, LookupMethodValue } from "./domain";
import type { NewAccessLogEntry } from "./loaders";
import type { AccessLogDocument, ActorRecord, LookupRequestRecord } from "./models";

/** What one access log entry says besides who and when. */
export interface AccessEvent {
  action: AccessActionValue;
  outcome: AccessOutcomeValue;
  profileIds: Types.ObjectId[];
  sections: ProfileSection[];
  reason?: string | null;
  incidentNumber?: string | null;
  lookupMethod?: LookupMethodValue | null;
  accessWindowEndsAt?: Date | null;
  lookupRequest?: LookupRequestRecord | null;
}

/** The caller as the log keeps them: a copy of what the gateway vouched for, so later changes elsewhere never rewrite history. */
export function actorOf(identity: Identity): ActorRecord {
  return {
    subject: identity.subject ?? null,
    role: identity.role,
    authMethod: identity.authMethod,
    displayName: identity.displayName ?? null,
    profession: identity.profession ?? null,
    organizationId: identity.organizationId ?? null,
    memberId: identity.memberId ?? null,
  };
}

/** The entry for `event` by the caller of `context`, at the request's moment. */
export function logEntry(context: EmergencyContext, event: AccessEvent): NewAccessLogEntry {
  return {
    at: context.now,
    action: event.action,
    outcome: event.outcome,
    actor: actorOf(context.identity),
    profileIds: event.profileIds,
    reason: event.reason ?? null,
    incidentNumber: event.incidentNumber ?? null,
    lookupMethod: event.lookupMethod ?? null,
    sections: event.sections,
    accessWindowEndsAt: event.accessWindowEndsAt ?? null,
    requestId: context.requestId,
    ...(event.lookupRequest == null ? {} : { lookupRequest: event.lookupRequest }),
  };
}

/** Appends one entry; entries appended in the same tick of a request go to the database as one insert. */
export function appendLog(context: EmergencyContext, event: AccessEvent): Promise<AccessLogDocument> {
  return context.loaders.appendLog.load(logEntry(context, event));
}

/** Appends one entry to the hash chain inside `session`'s transaction, so that it is committed together with the change it records, or not at all. */
export async function appendLogInTransaction(context: EmergencyContext, event: AccessEvent, session: ClientSession): Promise<AccessLogDocument> {
  const [created] = await context.accessChain.chain.append([await storedEntry<AccessLogDocument>(context.models.AccessLog, logEntry(context, event))], session);
  if (created === undefined) throw new Error("the access log entry was not created");
  return created;
}
