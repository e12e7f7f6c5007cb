// Who may see and do what in the groups subgraph: staff, contact details, board reading and writing, officers of a group.
import { forbidden, hasScope, unauthenticated } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { GroupDocument } from "./models";
import type { GroupRole } from "./domain";

/** The scope a vendor key needs to read contact details (phone, e-mail) in the directory. */
export const CONTACTS_SCOPE = "groups:contacts";

const ROLES_SEEING_CONTACTS: ReadonlySet<Identity["role"]> = new Set(["PROFESSIONAL", "COORDINATOR", "EMS", "ER", "ADMIN"]);

/** Coordinators (city or centre staff) and administrators: the consultation log, every board, group administration. */
export function isStaff(identity: Identity): boolean {
  return identity.role === "COORDINATOR" || identity.role === "ADMIN";
}

/** Professionals and staff see phone numbers and e-mail addresses; the public sees names, roles, photos and organisations. */
export function maySeeContacts(identity: Identity): boolean {
  return ROLES_SEEING_CONTACTS.has(identity.role) || (identity.role === "VENDOR" && hasScope(identity, CONTACTS_SCOPE));
}

/** The caller's role in `group`, or undefined when the caller is not one of its members. */
export function roleIn(group: GroupDocument, identity: Identity): GroupRole | undefined {
  const { memberId } = identity;
  if (memberId === undefined) return undefined;
  return group.members.find((member) => member.memberId.toHexString() === memberId)?.role;
}

/** 代表, 世話人 and 事務局 run a group: they pin posts, edit others' posts and manage its members. */
export function isOfficer(role: GroupRole | undefined): boolean {
  return role !== undefined && role !== "MEMBER";
}

/** True when the caller may read the group's board: a public board, a member of the group, or staff. */
export function mayReadBoard(group: GroupDocument, identity: Identity): boolean {
  return group.board.visibility === "PUBLIC" || isStaff(identity) || roleIn(group, identity) !== undefined;
}

/** The refusal for a caller: UNAUTHENTICATED without credentials (signing in may help), FORBIDDEN otherwise. */
export function refusal(identity: Identity, message: string) {
  return identity.role === "PUBLIC" ? unauthenticated(`${message}; sign in first`) : forbidden(message);
}

/**
 * The refusal of a board, post or comment the caller may not read. It names nothing of the record, and a missing id
 * gets the very same refusal, so it never tells an outsider what exists.
 */
export function boardReadRefused(identity: Identity) {
  return refusal(identity, "この掲示板は団体のメンバーのみ閲覧できます (this board is for its group's members only)");
}

/** The refusal of a write to a board or post the caller is not a member for; a missing board or post gets the same. */
export function boardWriteRefused(identity: Identity) {
  return refusal(identity, "この掲示板には団体のメンバーのみ書き込めます (only the group's members may write here)");
}

/** Throws unless the caller may read the group's board. */
export function assertMayReadBoard(group: GroupDocument, identity: Identity): void {
  if (!mayReadBoard(group, identity)) throw boardReadRefused(identity);
}

/** The caller's member id and role in the group, or a refusal: posting, commenting and acknowledging need membership. */
export function assertMemberOf(group: GroupDocument, identity: Identity): { memberId: string; role: GroupRole } {
  const role = roleIn(group, identity);
  if (role === undefined || identity.memberId === undefined) throw boardWriteRefused(identity);
  return { memberId: identity.memberId, role };
}

/** Throws unless the caller is a coordinator or an administrator. */
export function assertStaff(identity: Identity, what: string): void {
  if (!isStaff(identity)) throw refusal(identity, `${what}は調整役・管理者のみ利用できます (coordinators and administrators only)`);
}
