// The emergency subgraph's resolvers: each reads which profile sections the operation selected and delegates to a service that authorises, logs and answers.
import { chainReportView, isObjectIdHex } from "@tsunagu/service-kit";
import type { Resolvers } from "./generated/resolvers-types";
import type { ProfileView } from "./access";
import { issuedCard, printedCardCode } from "./card-code";
import { ageOn } from "./domain";
import { FHIR_SECTIONS, emergencyProfileBundle } from "./fhir";
import { emergencyLookup } from "./lookup";
import { hasCareTeam, itemSource } from "./item-sources";
import type { StoredSource } from "./item-sources";
import { confirmItems, createProfile, grantedProfiles, myProfiles, readProfile, reissueCard, updateProfile } from "./profiles";
import { accessLogReview, myAccessLog, profilesNeedingReview, requireCoordinator, reviewEntries } from "./review";
import { scalarResolvers } from "./scalars";
import { selectedSections } from "./sections";
import { addDelegate, giveConsent, grantAccess, markReviewed, removeDelegate, revokeAccess, withdrawConsent } from "./sharing";

/** A reference to another subgraph's entity, when `id` is one of its ids. */
const entity = (id: string | null) => (id !== null && isObjectIdHex(id) ? { id } : null);

/** Only the holders see the card, the grants and the delegates. */
const forHolders = <T>(profile: ProfileView, value: () => T): T | null => (profile.access === "HOLDER" ? value() : null);

/** Every item's `source`, read with the default for items stored before sources were recorded. */
const sourced = { source: (item: { source?: StoredSource }) => itemSource(item.source) };

const THROUGH_CONNECTION = [
  { typeName: "EmergencyProfileConnection", field: "edges" },
  { typeName: "EmergencyProfileEdge", field: "node" },
];

export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    myEmergencyProfiles: (_root, _args, context, info) => myProfiles(context, selectedSections(info)),
    emergencyProfile: (_root, { id }, context, info) => readProfile(context, id, selectedSections(info)),
    grantedEmergencyProfiles: (_root, args, context, info) => grantedProfiles(context, args, selectedSections(info, THROUGH_CONNECTION)),
    emergencyProfileFhir: async (_root, { id }, context) => {
      const profile = await readProfile(context, id, FHIR_SECTIONS, "EXPORT");
      return emergencyProfileBundle(profile, context.now, context.settings.fhir) as unknown as Readonly<Record<string, unknown>>;
    },
    myAccessLog: (_root, { profileId, first, after }, context) => myAccessLog(context, profileId, { first, after }),
    accessLogReview: (_root, { from, to }, context) => accessLogReview(context, from, to),
    emergencyAccessLogIntegrity: async (_root, _args, context) => {
      requireCoordinator(context, "監査記録の改ざん検査");
      return chainReportView(await context.accessChain.verify());
    },
    profilesNeedingReview: (_root, { olderThan, first, after }, context) => profilesNeedingReview(context, olderThan, { first, after }),
  },
  Mutation: {
    emergencyLookup: (_root, { input }, context, info) =>
      emergencyLookup(context, input, selectedSections(info, [{ typeName: "EmergencyLookupResult", field: "profile" }])),
    createEmergencyProfile: (_root, { input, idempotencyKey }, context, info) => createProfile(context, input, idempotencyKey, selectedSections(info)),
    updateEmergencyProfile: (_root, { id, input, expectedVersion }, context, info) =>
      updateProfile(context, id, input, expectedVersion, selectedSections(info)),
    markEmergencyProfileReviewed: (_root, { id }, context, info) => markReviewed(context, id, selectedSections(info)),
    confirmEmergencyItems: (_root, { id, items, expectedVersion }, context, info) => confirmItems(context, id, items, expectedVersion, selectedSections(info)),
    grantEmergencyProfileAccess: (_root, { id, input }, context) => grantAccess(context, id, input),
    revokeEmergencyProfileAccess: (_root, { id, grantId }, context) => revokeAccess(context, id, grantId),
    addEmergencyProfileDelegate: (_root, { id, input }, context) => addDelegate(context, id, input),
    removeEmergencyProfileDelegate: (_root, { id, subject }, context) => removeDelegate(context, id, subject),
    giveEmergencyConsent: (_root, { id, input }, context) => giveConsent(context, id, input),
    withdrawEmergencyConsent: (_root, { id }, context) => withdrawConsent(context, id),
    reissueEmergencyCard: async (_root, { id }, context) => issuedCard((await reissueCard(context, id)).cardCode, context.settings.cardUrlBase),
  },
  EmergencyProfile: {
    __resolveReference: ({ id }, context, info) => readProfile(context, id, selectedSections(info)),
    id: (profile) => profile._id.toHexString(),
    primaryHospital: (profile) => entity(profile.careTeam.primaryHospitalId),
    visitingNursingStation: (profile) => entity(profile.careTeam.visitingNursingStationId),
    primaryPhysician: (profile) => entity(profile.careTeam.primaryPhysicianId),
    careManager: (profile) => entity(profile.careTeam.careManagerId),
    careTeamSource: (profile) => (hasCareTeam(profile.careTeam) ? itemSource(profile.careTeam.source) : null),
    careLevelSource: (profile) => (profile.careLevel === null ? null : itemSource(profile.careLevelSource)),
    emergencyContacts: (profile) =>
      profile.emergencyContacts.map((contact, index) => ({ ...contact, priority: index + 1, source: itemSource(contact.source) })),
    card: (profile, _args, { settings }) => forHolders(profile, () => issuedCard(profile.cardCode, settings.cardUrlBase)),
    accessGrants: (profile) => forHolders(profile, () => profile.grants),
    delegates: (profile) => forHolders(profile, () => profile.delegates),
  },
  EmergencyPerson: {
    age: (person, _args, { now }) => ageOn(person.dateOfBirth, now),
  },
  BloodType: sourced,
  MedicalCondition: sourced,
  Medication: sourced,
  Allergy: sourced,
  ImplantedDevice: sourced,
  LivingSituation: sourced,
  AdvanceCarePlan: sourced,
  ItemSourceActor: {
    member: (actor) => entity(actor.memberId),
    organization: (actor) => entity(actor.organizationId),
  },
  EmergencyConsent: {
    active: (consent) => consent.withdrawnAt === null,
  },
  EmergencyCard: {
    printed: (card) => printedCardCode(card.code),
  },
  AccessGrant: {
    id: (grant) => grant._id.toHexString(),
    member: (grant) => (grant.granteeKind === "MEMBER" ? entity(grant.granteeId) : null),
    organization: (grant) => (grant.granteeKind === "ORGANIZATION" ? entity(grant.granteeId) : null),
    active: (grant) => grant.revokedAt === null,
  },
  AccessActor: {
    organization: (actor) => entity(actor.organizationId),
    member: (actor) => entity(actor.memberId),
  },
  AccessLogEntry: {
    id: (entry) => entry._id.toHexString(),
    profileIds: (entry) => entry.profileIds.map((id) => id.toHexString()),
  },
  AccessLogFlag: {
    entryIds: (flag) => flag.entryIds.map((id) => id.toHexString()),
  },
  AccessLogReview: {
    entries: (period, { first, after }, context) => reviewEntries(context, period, { first, after }),
  },
  EmergencyLookupResult: {
    accessLogEntryId: (result) => result.accessLogEntryId.toHexString(),
  },
};
