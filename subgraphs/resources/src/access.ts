// Who may do what with resources: reads are public, direct contact details are for professionals and staff, writes for coordinators, admins and vendors with resources:write.
import { forbidden, hasScope, unauthenticated } from "@tsunagu/service-kit";
import type { Identity, Role } from "@tsunagu/service-kit";

/** The scope a vendor key needs to create and change resources. */
const WRITE_SCOPE = "resources:write";

/** Roles that see contact windows' direct phone numbers and e-mail addresses (平時の連絡窓口). */
const CONTACT_DETAIL_ROLES: ReadonlySet<Role> = new Set(["PROFESSIONAL", "COORDINATOR", "ADMIN", "ER", "EMS"]);

/** Roles that may write any resource. */
const WRITER_ROLES: ReadonlySet<Role> = new Set(["COORDINATOR", "ADMIN"]);

export function canSeeContactDetails(identity: Identity): boolean {
  return CONTACT_DETAIL_ROLES.has(identity.role);
}

export function canWriteResources(identity: Identity): boolean {
  return WRITER_ROLES.has(identity.role) || (identity.role === "VENDOR" && hasScope(identity, WRITE_SCOPE));
}

/** Throws UNAUTHENTICATED for the public and FORBIDDEN for anyone else who may not write resources. */
export function requireWriter(identity: Identity): void {
  if (canWriteResources(identity)) return;
  if (identity.role === "PUBLIC") throw unauthenticated("Sign in as a coordinator, or use a vendor key with resources:write, to change resources");
  throw forbidden(`The ${identity.role} role cannot change resources; coordinators, admins and vendor keys with ${WRITE_SCOPE} can`);
}

/** Availability may also be updated by the staff of that resource (their identity's organizationId is its id). */
export function requireAvailabilityWriter(identity: Identity, resourceId: string): void {
  if (identity.role !== "PUBLIC" && identity.organizationId === resourceId) return;
  requireWriter(identity);
}

/** Who a verification or change is recorded as: the person's name, else their subject, else the role. */
export function actorName(identity: Identity): string {
  return (identity.displayName ?? identity.subject ?? identity.role).slice(0, 100);
}
