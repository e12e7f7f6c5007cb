// Who may do what with resources: reads are public, direct contact details are for professionals and staff, writes for coordinators, admins and vendors with resources:write.
import { forbidden, hasScope, unauthenticated } from "@tsunagu/service-kit";
import type { Identity, Role } from "@tsunagu/service-kit";

/** The scope a vendor key needs to create and change resources. */
const WRITE_SCOPE = "resources:write";
/** The scope a vendor key needs to see contact windows' people and direct contacts (the same as for the member directory). */
const CONTACTS_SCOPE = "groups:contacts";

/** Roles that see contact windows' direct phone numbers and e-mail addresses (平時の連絡窓口). */
const CONTACT_DETAIL_ROLES: ReadonlySet<Role> = new Set(["PROFESSIONAL", "COORDINATOR", "ADMIN", "ER", "EMS"]);

/** Roles that may write any resource. */
const WRITER_ROLES: ReadonlySet<Role> = new Set(["COORDINATOR", "ADMIN"]);

/** Who sees a contact window's person (name, reading, photo), direct phone and e-mail, and hours not to call. */
export function canSeeContactDetails(identity: Identity): boolean {
  return CONTACT_DETAIL_ROLES.has(identity.role) || (identity.role === "VENDOR" && hasScope(identity, CONTACTS_SCOPE));
}

export function canWriteResources(identity: Identity): boolean {
  return WRITER_ROLES.has(identity.role) || (identity.role === "VENDOR" && hasScope(identity, WRITE_SCOPE));
}

/** What a caller tried to do, as refusals name it: Japanese and English (e.g. ["確認待ちの一覧を見る", "read the verification queue"]). */
export type ResourceAction = readonly [ja: string, en: string];

/** Throws UNAUTHENTICATED for the public and FORBIDDEN for anyone else who may not write resources, naming `action`. */
export function requireWriter(identity: Identity, [ja, en]: ResourceAction): void {
  if (canWriteResources(identity)) return;
  const who = `コーディネーター・管理者・${WRITE_SCOPE} のベンダーキーのみ (coordinators, admins and vendor keys with ${WRITE_SCOPE} only)`;
  if (identity.role === "PUBLIC") throw unauthenticated(`${ja}にはサインインが必要です。${who} (sign in to ${en})`);
  throw forbidden(`${identity.role} は${ja}ことができません。${who} (the ${identity.role} role cannot ${en})`);
}

/** Only coordinators and admins change the taxonomy (a city's own categories); vendor keys never do. */
export function requireTaxonomyEditor(identity: Identity): void {
  if (WRITER_ROLES.has(identity.role)) return;
  const message = "分類の追加はコーディネーター・管理者のみ (only coordinators and admins add categories to the taxonomy)";
  if (identity.role === "PUBLIC") throw unauthenticated(`サインインが必要です。${message}`);
  throw forbidden(`${identity.role} は分類を追加できません。${message}`);
}

/** Availability may also be updated by the staff of that resource (their identity's organizationId is its id). */
export function requireAvailabilityWriter(identity: Identity, resourceId: string): void {
  if (identity.role !== "PUBLIC" && identity.organizationId === resourceId) return;
  requireWriter(identity, ["空き状況を更新する", "update this resource's availability"]);
}

/** Who a verification or change is recorded as: the person's name, else their subject, else the role. */
export function actorName(identity: Identity): string {
  return (identity.displayName ?? identity.subject ?? identity.role).slice(0, 100);
}
