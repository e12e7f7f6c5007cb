// Who may see and do what with events: visibility (public, professionals, a group's invited members) as a rule and as a MongoDB filter, the visible event by id, managing an event, a person's own registrations, and the refusals.
import { createHmac, timingSafeEqual } from "node:crypto";
import { Types } from "mongoose";
import { codedError, forbidden, hasScope, idempotencyCaller, unauthenticated } from "@tsunagu/service-kit";
import type { Identity, Role } from "@tsunagu/service-kit";
import type { EventsContext } from "./context";
import type { EventDocument, RegistrationDocument } from "./models";

/** Scopes a vendor key needs: reading professionals' events, and creating events. */
export const READ_SCOPE = "events:read";
export const WRITE_SCOPE = "events:write";

/** Roles that see events for professionals (PROFESSIONALS visibility). */
const PROFESSIONAL_ROLES: ReadonlySet<Role> = new Set(["PROFESSIONAL", "COORDINATOR", "ADMIN", "EMS", "ER"]);

/** Coordinators (city or centre staff) and administrators see and manage every event. */
export function isStaff(identity: Identity): boolean {
  return identity.role === "COORDINATOR" || identity.role === "ADMIN";
}

function seesProfessionalEvents(identity: Identity): boolean {
  return PROFESSIONAL_ROLES.has(identity.role) || (identity.role === "VENDOR" && hasScope(identity, READ_SCOPE));
}

/** The caller as events record it (`<authMethod>:<subject>`); undefined without credentials, so that nobody anonymous owns anything. */
export function callerOf(identity: Identity): string | undefined {
  return identity.authMethod === "none" ? undefined : idempotencyCaller(identity);
}

/** Who a change is recorded as: the person's name, else their subject, else the role. */
export function actorName(identity: Identity): string {
  return (identity.displayName ?? identity.subject ?? identity.role).slice(0, 100);
}

/** The creator of the event, or staff. */
export function mayManage(event: Pick<EventDocument, "createdBy">, identity: Identity): boolean {
  return isStaff(identity) || (callerOf(identity) !== undefined && event.createdBy === callerOf(identity));
}

/** Whether the caller may see the event at all. */
export function maySee(event: Pick<EventDocument, "visibility" | "invitedMemberIds" | "createdBy">, identity: Identity): boolean {
  if (event.visibility === "PUBLIC" || mayManage(event, identity)) return true;
  if (event.visibility === "PROFESSIONALS") return seesProfessionalEvents(identity);
  const { memberId } = identity;
  return memberId !== undefined && event.invitedMemberIds.some((id) => id.toHexString() === memberId.toLowerCase());
}

/** The same rule as `maySee`, as a condition on the events collection (safe under sanitizeFilter). */
export function visibleEventsFilter(identity: Identity): Record<string, unknown> {
  if (isStaff(identity)) return {};
  const alternatives: Record<string, unknown>[] = [{ visibility: "PUBLIC" }];
  if (seesProfessionalEvents(identity)) alternatives.push({ visibility: "PROFESSIONALS" });
  const caller = callerOf(identity);
  if (caller !== undefined) alternatives.push({ createdBy: caller });
  if (identity.memberId !== undefined && Types.ObjectId.isValid(identity.memberId)) {
    alternatives.push({ visibility: "GROUP", invitedMemberIds: new Types.ObjectId(identity.memberId) });
  }
  return { $or: alternatives };
}

/** UNAUTHENTICATED without credentials (signing in may help), FORBIDDEN otherwise. */
export function refusal(identity: Identity, message: string) {
  return identity.role === "PUBLIC" ? unauthenticated(`${message}; sign in first`) : forbidden(message);
}

/** Coordinators, admins and vendors with events:write create events. */
export function requireEventCreator(identity: Identity): void {
  if (isStaff(identity) || (identity.role === "VENDOR" && hasScope(identity, WRITE_SCOPE))) return;
  throw refusal(
    identity,
    `催しの登録は調整役・管理者、または${WRITE_SCOPE}を持つベンダーのみです (coordinators, admins and vendor keys with ${WRITE_SCOPE} create events)`,
  );
}

export function requireManager(event: EventDocument, identity: Identity): void {
  if (!mayManage(event, identity)) {
    throw refusal(identity, `「${event.title}」の管理は登録者と調整役・管理者のみです (only the event's creator and staff manage it)`);
  }
}

export function requireStaff(identity: Identity, what: string): void {
  if (!isStaff(identity)) throw refusal(identity, `${what}は調整役・管理者のみ利用できます (coordinators and administrators only)`);
}

/** Access codes are an HMAC of the registration id under a key derived from the subgraph's secret, so none is stored. */
export class AccessCodes {
  private readonly key: Buffer;

  /** `localKey` is the events subgraph's own secret (`SubgraphKeys.local`). */
  constructor(localKey: Buffer) {
    this.key = createHmac("sha256", localKey).update("tsunagu-events:registration-access-code").digest();
  }

  codeFor(registrationId: Types.ObjectId): string {
    return createHmac("sha256", this.key).update(registrationId.toHexString()).digest("base64url");
  }

  matches(registrationId: Types.ObjectId, code: string | undefined): boolean {
    if (code === undefined) return false;
    const expected = Buffer.from(this.codeFor(registrationId));
    const given = Buffer.from(code);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The person registered (the member, or whoever registered signed in) or someone holding the access code. */
export function ownsRegistration(registration: RegistrationDocument, identity: Identity, codes: AccessCodes, accessCode?: string): boolean {
  if (identity.memberId !== undefined && registration.memberId?.toHexString() === identity.memberId.toLowerCase()) return true;
  const caller = callerOf(identity);
  if (caller !== undefined && registration.createdBy === caller) return true;
  return codes.matches(registration._id, accessCode);
}

/** The event when the caller may see it; null when it does not exist or is hidden from the caller. */
export async function findVisibleEvent(context: EventsContext, id: string): Promise<EventDocument | null> {
  const event = await context.loaders.event.load(id);
  return event !== null && maySee(event, context.identity) ? event : null;
}

/** The event the caller may see, or NOT_FOUND naming `field` (a hidden event is reported as missing). */
export async function requireVisibleEvent(context: EventsContext, id: string, field: string): Promise<EventDocument> {
  const event = await findVisibleEvent(context, id);
  if (event === null) throw codedError("NOT_FOUND", `Event ${id} was not found`, { what: "Event", id, field });
  return event;
}
