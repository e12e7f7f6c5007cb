// Who may see and change an emergency profile: its holders (the resident and delegated family), professionals and institutions the resident granted, vendors with the emergency scope under consent, and EMS/ER staff only through a look-up and its access window.
import { forbidden, hasScope } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { ConsentScope } from "./generated/resolvers-types";
import type { OpenWindow } from "./loaders";
import type { GrantRecord, ProfileDocument } from "./models";

/** The API-key scope a vendor (a connected regional platform) needs, on top of the resident's CONNECTED_SYSTEMS consent. */
export const EMERGENCY_READ_SCOPE = "emergency:read";

/** On what grounds a profile is being read; decides the holder-only fields (card, grants, delegates). */
export type AccessBasis = "HOLDER" | "GRANT" | "VENDOR" | "LOOKUP" | "ACCESS_WINDOW";

/** A profile as one caller may see it: the stored document and the grounds of access. */
export interface ProfileView extends ProfileDocument {
  access: AccessBasis;
}

/** A read that was allowed, with the window it used when it came through one. */
export interface ReadPermission {
  basis: AccessBasis;
  window: OpenWindow | null;
}

/** Ambulance crews and emergency-room staff: the break-glass roles. */
export function isEmergencyStaff(identity: Identity): boolean {
  return identity.role === "EMS" || identity.role === "ER";
}

/** The resident who registered the profile or a family member they delegated; signed in with a token of their own. */
export function isHolder(profile: ProfileDocument, identity: Identity): boolean {
  const { subject } = identity;
  if (subject === undefined || identity.authMethod !== "jwt") return false;
  return profile.ownerSubject === subject || profile.delegates.some((delegate) => delegate.subject === subject);
}

export function consentCovers(profile: ProfileDocument, scope: ConsentScope): boolean {
  return profile.consent.withdrawnAt === null && profile.consent.scope.includes(scope);
}

/** The grant in force for this professional or their institution, if any. */
export function activeGrantFor(profile: ProfileDocument, identity: Identity): GrantRecord | undefined {
  if (identity.role !== "PROFESSIONAL") return undefined;
  return profile.grants.find(
    (grant) =>
      grant.revokedAt === null &&
      ((grant.granteeKind === "MEMBER" && grant.granteeId === identity.memberId) ||
        (grant.granteeKind === "ORGANIZATION" && grant.granteeId === identity.organizationId)),
  );
}

/** Roles that may, in some circumstance, read a profile by id; everyone else is refused before anything is loaded. */
export function mayEverReadProfiles(identity: Identity): boolean {
  return (
    identity.role === "RESIDENT" ||
    identity.role === "PROFESSIONAL" ||
    isEmergencyStaff(identity) ||
    (identity.role === "VENDOR" && hasScope(identity, EMERGENCY_READ_SCOPE))
  );
}

/** The refusal of every read that is not allowed; it says how access is obtained, never whether the profile exists. */
export function readRefused(): Error {
  return forbidden(
    "この救急医療情報を閲覧する権限がありません。救急隊・救急外来は救急照会（emergencyLookup）を、専門職は本人の閲覧許可を使ってください " +
      "(no access: emergency staff use emergencyLookup, professionals need the resident's grant)",
  );
}

/**
 * Whether `identity` may read `profile` now (`window` is the caller's open access window on it, if any), and on
 * what grounds. A withdrawn consent stops every read but the holders'.
 */
export function readPermission(profile: ProfileDocument, identity: Identity, window: OpenWindow | null): ReadPermission | null {
  if (isHolder(profile, identity)) return { basis: "HOLDER", window: null };
  if (activeGrantFor(profile, identity) !== undefined && consentCovers(profile, "CARE_TEAM")) return { basis: "GRANT", window: null };
  if (identity.role === "VENDOR" && hasScope(identity, EMERGENCY_READ_SCOPE) && consentCovers(profile, "CONNECTED_SYSTEMS")) {
    return { basis: "VENDOR", window: null };
  }
  if (isEmergencyStaff(identity) && window !== null && consentCovers(profile, "EMERGENCY_SERVICES")) return { basis: "ACCESS_WINDOW", window };
  return null;
}

/** Throws FORBIDDEN unless the caller holds the profile (the resident or a delegate); a missing profile (null) is refused alike. */
export function requireHolder(profile: ProfileDocument | null, identity: Identity): void {
  if (profile === null || !isHolder(profile, identity))
    throw forbidden("本人または代理人のみ変更できます (only the resident or a delegate may change this profile)");
}

/** Throws FORBIDDEN unless the caller registered the profile: delegates are added and removed by the resident alone. A missing profile (null) is refused alike. */
export function requireOwner(profile: ProfileDocument | null, identity: Identity): void {
  if (profile === null || !(identity.authMethod === "jwt" && identity.subject === profile.ownerSubject)) {
    throw forbidden("代理人の追加・削除は本人のみできます (only the resident may add or remove delegates)");
  }
}

/** Holders and granted professionals may record a review (a care manager checking the content with the resident); a missing profile (null) is refused alike. */
export function requireReviewer(profile: ProfileDocument | null, identity: Identity): void {
  if (profile !== null && isHolder(profile, identity)) return;
  if (profile !== null && activeGrantFor(profile, identity) !== undefined && consentCovers(profile, "CARE_TEAM")) return;
  throw forbidden("本人・代理人・閲覧を許可された専門職のみ見直しを記録できます (only holders and granted professionals may record a review)");
}

/**
 * Throws FORBIDDEN unless the caller is a professional the resident granted access under a care-team consent (the rule
 * of reading as a professional); residents, delegates, other professionals and a missing profile (null) are refused alike.
 */
export function requireConfirmer(profile: ProfileDocument | null, identity: Identity): void {
  if (profile !== null && activeGrantFor(profile, identity) !== undefined && consentCovers(profile, "CARE_TEAM")) return;
  throw forbidden("項目の確認は、本人が閲覧を許可した専門職のみできます (only a professional the resident granted access may confirm items)");
}
