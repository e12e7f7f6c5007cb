// Who a profile is shared with: per-patient grants to professionals and institutions, delegated family, consent given and withdrawn, and reviews; each a logged change.
import { Types } from "mongoose";
import { badUserInput, KEEP_NULLS, notFound, serviceIdentity, validated } from "@tsunagu/service-kit";
import type { AccessGrantInput, EmergencyConsentInput, ProfileDelegateInput, ProfileSection } from "./generated/resolvers-types";
import { isHolder, requireHolder, requireOwner, requireReviewer } from "./access";
import type { ProfileView } from "./access";
import type { EmergencyContext } from "./context";
import { consentInputSchema, delegateInputSchema, grantInputSchema } from "./domain";
import type { ConsentRecord, DelegateRecord, GrantRecord } from "./models";
import { changeProfile } from "./profiles";

const GRANTEE_QUERIES = {
  MEMBER: { subgraph: "groups", query: "query ($id: ID!) { member(id: $id) { id } }", field: "member", label: "メンバー (member)" },
  ORGANIZATION: { subgraph: "resources", query: "query ($id: ID!) { resource(id: $id) { id } }", field: "resource", label: "機関 (institution)" },
} as const;

/**
 * Refuses a grantee that does not exist, asked of the service that owns it (groups for members, resources for
 * institutions) through its API; a subgraph run without those services cannot check and accepts the id as given.
 */
async function requireGrantee(context: EmergencyContext, kind: keyof typeof GRANTEE_QUERIES, granteeId: string): Promise<void> {
  const { peers } = context.settings;
  const owner = GRANTEE_QUERIES[kind];
  if (peers === undefined || !peers.has(owner.subgraph)) return;
  const answer = await peers.query<Record<string, { id: string } | null>>(owner.subgraph, owner.query, { id: granteeId }, serviceIdentity("emergency"));
  if (answer.data?.[owner.field] == null) {
    throw badUserInput(
      `input.granteeId: この${owner.label}は登録されていません (no ${kind === "MEMBER" ? "member" : "institution"} has this id)`,
      "input.granteeId",
    );
  }
}

/** Grants read access to an existing member or institution; the grant in force for the same grantee is returned instead of a second one. */
export async function grantAccess(context: EmergencyContext, id: string, input: AccessGrantInput): Promise<GrantRecord> {
  const grant = validated(grantInputSchema, input, "input", KEEP_NULLS);
  await requireGrantee(context, grant.granteeKind, grant.granteeId);
  const newGrant: GrantRecord = { _id: new Types.ObjectId(), ...grant, grantedAt: context.now, grantedBy: context.identity.subject ?? "", revokedAt: null };
  let result = newGrant;
  await changeProfile(context, id, {
    action: "GRANT",
    authorize: (profile) => requireHolder(profile, context.identity),
    plan: (profile) => {
      const existing = profile.grants.find((g) => g.revokedAt === null && g.granteeKind === grant.granteeKind && g.granteeId === grant.granteeId);
      result = existing ?? newGrant;
      return { update: existing === undefined ? { $set: { grants: [...profile.grants, newGrant] } } : null, sections: ["SHARING"] };
    },
  });
  return result;
}

/** Revokes a grant; revoking a revoked grant changes nothing. */
export async function revokeAccess(context: EmergencyContext, id: string, grantId: string): Promise<GrantRecord> {
  let result: GrantRecord | undefined;
  await changeProfile(context, id, {
    action: "REVOKE",
    authorize: (profile) => requireHolder(profile, context.identity),
    plan: (profile) => {
      const grant = profile.grants.find((g) => g._id.toHexString() === grantId.toLowerCase());
      if (grant === undefined) throw notFound("AccessGrant", grantId);
      result = grant.revokedAt === null ? { ...grant, revokedAt: context.now } : grant;
      const grants = profile.grants.map((g) => (g._id.equals(grant._id) ? (result as GrantRecord) : g));
      return { update: grant.revokedAt === null ? { $set: { grants } } : null, sections: ["SHARING"] };
    },
  });
  return result as GrantRecord;
}

/** Adds a delegate (the resident only); the same account again returns the existing delegate. */
export async function addDelegate(context: EmergencyContext, id: string, input: ProfileDelegateInput): Promise<DelegateRecord> {
  const delegate: DelegateRecord = { ...validated(delegateInputSchema, input, "input", KEEP_NULLS), addedAt: context.now };
  let result = delegate;
  await changeProfile(context, id, {
    action: "DELEGATE",
    authorize: (profile) => requireOwner(profile, context.identity),
    plan: (profile) => {
      const existing = profile.delegates.find((d) => d.subject === delegate.subject);
      result = existing ?? delegate;
      const update = existing === undefined && delegate.subject !== profile.ownerSubject ? { $set: { delegates: [...profile.delegates, delegate] } } : null;
      return { update, sections: ["SHARING"] };
    },
  });
  return result;
}

/** Removes a delegate (the resident only). */
export async function removeDelegate(context: EmergencyContext, id: string, subject: string): Promise<DelegateRecord> {
  let removed: DelegateRecord | undefined;
  await changeProfile(context, id, {
    action: "DELEGATE",
    authorize: (profile) => requireOwner(profile, context.identity),
    plan: (profile) => {
      removed = profile.delegates.find((d) => d.subject === subject);
      if (removed === undefined) throw notFound("ProfileDelegate", subject);
      return { update: { $set: { delegates: profile.delegates.filter((d) => d.subject !== subject) } }, sections: ["SHARING"] };
    },
  });
  return removed as DelegateRecord;
}

/** Records consent with its scope and method, replacing the previous one (a withdrawn consent is given anew this way). */
export async function giveConsent(context: EmergencyContext, id: string, input: EmergencyConsentInput): Promise<ConsentRecord> {
  const consent: ConsentRecord = { ...validated(consentInputSchema, input, "input", KEEP_NULLS), givenAt: context.now, withdrawnAt: null };
  await changeProfile(context, id, {
    action: "CONSENT",
    authorize: (profile) => requireHolder(profile, context.identity),
    plan: () => ({ update: { $set: { consent } }, sections: ["CONSENT"] }),
  });
  return consent;
}

/** Withdraws consent: from then on only the holders can read the profile, and look-ups no longer find it. */
export async function withdrawConsent(context: EmergencyContext, id: string): Promise<ConsentRecord> {
  const changed = await changeProfile(context, id, {
    action: "CONSENT",
    authorize: (profile) => requireHolder(profile, context.identity),
    plan: (profile) => ({
      update: profile.consent.withdrawnAt === null ? { $set: { "consent.withdrawnAt": context.now } } : null,
      sections: ["CONSENT"],
    }),
  });
  return changed.consent;
}

/** Records that the content was reviewed now (holders and granted professionals). */
export async function markReviewed(context: EmergencyContext, id: string, returned: ProfileSection[]): Promise<ProfileView> {
  const changed = await changeProfile(context, id, {
    action: "REVIEW",
    authorize: (profile) => requireReviewer(profile, context.identity),
    returned,
    plan: () => ({ update: { $set: { lastReviewedAt: context.now } }, sections: ["REVIEW_STATUS"] }),
  });
  return { ...changed, access: isHolder(changed, context.identity) ? "HOLDER" : "GRANT" };
}
