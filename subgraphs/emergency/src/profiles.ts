// Reading and changing emergency profiles: every read is authorised and logged before the profile is returned, and every change is committed in one transaction with its access log entry.
import { Types, trusted } from "mongoose";
import type { ClientSession, UpdateQuery } from "mongoose";
import {
  conflict,
  creationStamp,
  duplicateKeyField,
  createOnce,
  findKeysetPage,
  forbidden,
  isObjectIdHex,
  KEEP_NULLS,
  keysetOf,
  notFound,
  parsePage,
  storedStamp,
  toSearchKey,
  validated,
} from "@tsunagu/service-kit";
import type { Page, SortKey } from "@tsunagu/service-kit";
import type { EmergencyItemInput, EmergencyProfileInput, EmergencyProfileUpdateInput, ProfileSection } from "./generated/resolvers-types";
import { isEmergencyStaff, mayEverReadProfiles, readPermission, readRefused, requireConfirmer, requireHolder } from "./access";
import type { ProfileView } from "./access";
import { appendLog, appendLogInTransaction } from "./audit";
import type { AccessEvent } from "./audit";
import { generateCardCode } from "./card-code";
import type { EmergencyContext } from "./context";
import { profileInputSchema, profileUpdateSchema } from "./domain";
import type { AccessActionValue, PersonRecord, ProfileContent } from "./domain";
import { confirmation, confirmingActor, refuseClaimedConfirmation, reportedSource, withSources } from "./item-sources";
import type { ProfileDocument } from "./models";
import { CONTENT_SECTIONS, orderedSections } from "./sections";

const MAX_HELD_PROFILES = 20;

/** The search keys of a person's name and kana reading, for look-ups by name in either script. */
function nameKeysOf(person: PersonRecord): string[] {
  return [...new Set([toSearchKey(person.name), toSearchKey(person.kana)])];
}

/**
 * Authorises a read of `profile` by the caller (using their open access window when they are EMS/ER staff), appends
 * its log entry, and only then returns the profile as the caller may see it; FORBIDDEN when the read is not allowed.
 */
async function readAndLog(context: EmergencyContext, profile: ProfileDocument, action: AccessActionValue, sections: ProfileSection[]): Promise<ProfileView> {
  const { identity, loaders } = context;
  const window = isEmergencyStaff(identity) ? await loaders.openWindow.load(profile._id.toHexString()) : null;
  const permission = readPermission(profile, identity, window);
  if (permission === null) throw readRefused();
  await appendLog(context, {
    action,
    outcome: "ALLOWED",
    profileIds: [profile._id],
    sections,
    reason: permission.window?.reason ?? null,
    incidentNumber: permission.window?.incidentNumber ?? null,
    accessWindowEndsAt: permission.window?.accessWindowEndsAt ?? null,
  });
  return { ...profile, access: permission.basis };
}

/** One profile by id for whoever may read it; FORBIDDEN otherwise, and the same FORBIDDEN when there is no such profile (no existence oracle). */
export async function readProfile(context: EmergencyContext, id: string, sections: ProfileSection[], action: AccessActionValue = "READ"): Promise<ProfileView> {
  if (!mayEverReadProfiles(context.identity)) throw readRefused();
  const profile = await context.loaders.profile.load(id);
  if (profile === null) throw readRefused();
  return readAndLog(context, profile, action, sections);
}

/** The caller's account, or FORBIDDEN: holding a profile needs a signed-in person, never an API key or the public. */
function holderSubject(context: EmergencyContext): string {
  const { identity } = context;
  if (identity.subject === undefined || identity.authMethod !== "jwt" || identity.role === "PUBLIC") {
    throw forbidden("本人としてサインインしてください (sign in as the resident or a delegate)");
  }
  return identity.subject;
}

/** The profiles the caller holds (as the resident or a delegate), each read logged. */
export async function myProfiles(context: EmergencyContext, sections: ProfileSection[]): Promise<ProfileView[]> {
  const subject = holderSubject(context);
  const held = await context.models.Profile.find({ $or: [{ ownerSubject: subject }, { "delegates.subject": subject }] })
    .sort({ _id: 1 })
    .limit(MAX_HELD_PROFILES)
    .lean<ProfileDocument[]>();
  return Promise.all(held.map((profile) => readAndLog(context, profile, "READ", sections)));
}

/** The ids of the profiles the caller holds. */
export async function heldProfileIds(context: EmergencyContext): Promise<Types.ObjectId[]> {
  const subject = holderSubject(context);
  const held = await context.models.Profile.find({ $or: [{ ownerSubject: subject }, { "delegates.subject": subject }] }, { _id: 1 })
    .limit(MAX_HELD_PROFILES)
    .lean<{ _id: Types.ObjectId }[]>();
  return held.map((profile) => profile._id);
}

const BY_ID: readonly SortKey[] = [{ path: "_id", direction: 1 }];

/** Profiles granted to the calling professional or their institution under the residents' consent, each read logged. */
export async function grantedProfiles(
  context: EmergencyContext,
  args: { first?: number | null; after?: string | null },
  sections: ProfileSection[],
): Promise<Page<ProfileView>> {
  const { identity, models } = context;
  if (identity.role !== "PROFESSIONAL") throw forbidden("専門職のみ利用できます (for professionals)");
  const grantees = [identity.memberId, identity.organizationId].filter((id): id is string => id !== undefined);
  const filter = {
    grants: trusted({ $elemMatch: { granteeId: { $in: grantees }, revokedAt: null } }),
    "consent.withdrawnAt": null,
    "consent.scope": "CARE_TEAM",
  };
  const connection = await findKeysetPage(
    keysetOf(BY_ID, ["grantedProfiles", grantees]),
    parsePage(args),
    filter,
    (narrowed, sort, limit) => models.Profile.find(narrowed).sort(sort).limit(limit).lean<ProfileDocument[]>(),
    (profile) => [profile._id],
  );
  const edges = await Promise.all(
    connection.edges.map(async (edge) => ({ cursor: edge.cursor, node: await readAndLog(context, edge.node, "READ", sections) })),
  );
  return { edges, pageInfo: connection.pageInfo };
}

/** What a change does to a profile: the update to apply (null for none), and the sections it concerns. */
interface ChangePlan {
  update: UpdateQuery<ProfileDocument> | null;
  sections: ProfileSection[];
}

export interface ChangeOptions {
  action: AccessActionValue;
  /** Throws unless the caller may make this change. */
  /** Throws unless the caller may make the change; given null for a missing profile, it must refuse exactly as for a profile the caller may not change. */
  authorize: (profile: ProfileDocument | null) => void;
  /** The update, from the profile as it is inside the transaction. */
  plan: (profile: ProfileDocument) => ChangePlan;
  /** Sections the operation returns besides what it changes (logged in the same entry). */
  returned?: ProfileSection[];
  expectedVersion?: number | null;
}

/** The profile once `options.authorize` let the caller change it; it must refuse a missing one (null). */
function authorized(options: ChangeOptions, profile: ProfileDocument | null): ProfileDocument {
  options.authorize(profile);
  if (profile === null) throw new Error("authorize must refuse a missing profile");
  return profile;
}

/**
 * Changes profile `id` in one transaction: read, authorise, check the version, apply the plan (version + 1), and
 * append the access log entry; nothing is committed without its entry. Returns the profile after the change.
 */
export async function changeProfile(context: EmergencyContext, id: string, options: ChangeOptions): Promise<ProfileDocument> {
  const { models, now } = context;
  // A missing profile is refused like one the caller may not change, so refusals never tell what exists.
  if (!isObjectIdHex(id)) authorized(options, null);
  const profileId = new Types.ObjectId(id);
  return models.Profile.db.transaction(async (session: ClientSession) => {
    const profile = authorized(options, await models.Profile.findById(profileId).session(session).lean<ProfileDocument>());
    if (options.expectedVersion != null && options.expectedVersion !== profile.version) {
      throw conflict(
        `expectedVersion: 版${options.expectedVersion}を期待しましたが現在は版${profile.version}です (the profile changed meanwhile; reload it)`,
        "expectedVersion",
      );
    }
    const { update, sections } = options.plan(profile);
    if (update !== null) {
      const { $set, ...rest } = update;
      const written = await models.Profile.updateOne(
        { _id: profileId, version: profile.version },
        { ...rest, $set: { ...$set, version: profile.version + 1, updatedAt: now } },
        { session },
      );
      if (written.matchedCount !== 1) throw conflict("同時に変更されました。再読み込みしてください (changed concurrently; reload)");
    }
    const event: AccessEvent = {
      action: options.action,
      outcome: "ALLOWED",
      profileIds: [profileId],
      sections: orderedSections([...sections, ...(options.returned ?? [])]),
    };
    await appendLogInTransaction(context, event, session);
    const changed = await models.Profile.findById(profileId).session(session).lean<ProfileDocument>();
    if (changed === null) throw notFound("EmergencyProfile", id);
    return changed;
  });
}

/** Replaces the sections given in `input` (the resident or a delegate). */
export async function updateProfile(
  context: EmergencyContext,
  id: string,
  input: EmergencyProfileUpdateInput,
  expectedVersion: number | null | undefined,
  returned: ProfileSection[],
): Promise<ProfileView> {
  refuseClaimedConfirmation(input);
  const update = validated(profileUpdateSchema(context.now), input, "input", KEEP_NULLS);
  const changed = await changeProfile(context, id, {
    action: "UPDATE",
    authorize: (profile) => requireHolder(profile, context.identity),
    expectedVersion,
    returned,
    plan: (profile) => ({
      update: {
        $set: {
          ...withSources(update, profile, reportedSource(profile, context.identity, context.now)),
          ...(update.person === undefined ? {} : { nameKeys: nameKeysOf(update.person) }),
        },
      },
      sections: Object.keys(update).map((key) => CONTENT_SECTIONS[key as keyof ProfileContent]),
    }),
  });
  return { ...changed, access: "HOLDER" };
}

/**
 * Registers the caller's profile (residents only; consent is part of the input). A retry with the same idempotency
 * key returns the first profile; the profile and its CREATE entry are committed together.
 */
export async function createProfile(context: EmergencyContext, input: EmergencyProfileInput, rawKey: string, returned: ProfileSection[]): Promise<ProfileView> {
  const { identity, models, now } = context;
  if (identity.role !== "RESIDENT") throw forbidden("救急医療情報の登録は本人（住民）のみできます (residents register their own profile)");
  const subject = holderSubject(context);
  refuseClaimedConfirmation(input);
  const { consent, ...content } = validated(profileInputSchema(now), input, "input", KEEP_NULLS);
  const creation = creationStamp(identity, rawKey, "idempotencyKey", input, now);

  const insert = async (): Promise<ProfileDocument> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await models.Profile.db.transaction(async (session) => {
          const [document] = await models.Profile.create(
            [
              {
                ...withSources(content, null, reportedSource(null, identity, now)),
                ownerSubject: subject,
                delegates: [],
                grants: [],
                consent: { ...consent, givenAt: now, withdrawnAt: null },
                cardCode: generateCardCode(),
                nameKeys: nameKeysOf(content.person),
                lastReviewedAt: now,
                creation: storedStamp(creation),
                version: 1,
                createdAt: now,
                updatedAt: now,
              },
            ],
            { session },
          );
          if (document === undefined) throw new Error("the profile was not created");
          const sections = orderedSections([
            ...(Object.keys(content) as (keyof ProfileContent)[]).map((k) => CONTENT_SECTIONS[k]),
            "CONSENT",
            "CARD",
            ...returned,
          ]);
          await appendLogInTransaction(context, { action: "CREATE", outcome: "ALLOWED", profileIds: [document._id], sections }, session);
          return document.toObject();
        });
      } catch (error) {
        // A new card code collided with an existing one (about 1 in 3.5e13 per profile): draw again.
        if (duplicateKeyField(error) !== "cardCode" || attempt >= 3) throw error;
      }
    }
  };
  const { document, created } = await createOnce(models.Profile, creation, insert);
  return created ? { ...document, access: "HOLDER" } : readAndLog(context, document, "READ", returned);
}

/** Issues a new card code (the old one stops working at once); retried when the draw collides with an existing code. */
export async function reissueCard(context: EmergencyContext, id: string): Promise<ProfileDocument> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await changeProfile(context, id, {
        action: "CARD_REISSUE",
        authorize: (profile) => requireHolder(profile, context.identity),
        plan: () => ({ update: { $set: { cardCode: generateCardCode() } }, sections: ["CARD"] }),
      });
    } catch (error) {
      if (duplicateKeyField(error) !== "cardCode" || attempt >= 3) throw error;
    }
  }
}

/**
 * Confirms items as a clinician: only a professional the resident granted access (the rule of reading as a professional)
 * may, and anyone else, like a missing profile, gets the same FORBIDDEN. The profile must still be at `expectedVersion`
 * (what the professional checked); the confirmation records who and when and is committed with its CONFIRM log entry.
 */
export async function confirmItems(
  context: EmergencyContext,
  id: string,
  items: readonly EmergencyItemInput[],
  expectedVersion: number,
  returned: ProfileSection[],
): Promise<ProfileView> {
  const changed = await changeProfile(context, id, {
    action: "CONFIRM",
    authorize: (profile) => requireConfirmer(profile, context.identity),
    expectedVersion,
    returned,
    plan: (profile) => {
      const { set, sections } = confirmation(profile, items, confirmingActor(context.identity), context.now);
      return { update: { $set: set }, sections };
    },
  });
  return { ...changed, access: "GRANT" };
}
