// The emergency subgraph's collections: profiles, the append-only access log (whose look-up entries are also the incident access windows) and look-up rate counters, with their indexes.
import { compiledOnce, withCreationStamp } from "@tsunagu/service-kit";
import type { ChainLink, CreationStamp } from "@tsunagu/service-kit";
import { Schema } from "mongoose";
import type { Connection, Model, Types } from "mongoose";
import type { ConsentScope, GranteeKind, ProfileSection } from "./generated/resolvers-types";
import type { AccessActionValue, AccessOutcomeValue, ConsentMethodValue, LookupMethodValue, ProfileContent } from "./domain";

/** Who did something, as the gateway vouched for them (copied into every log entry, never looked up later). */
export interface ActorRecord {
  subject: string | null;
  role: string;
  authMethod: string;
  displayName: string | null;
  profession: string | null;
  organizationId: string | null;
  memberId: string | null;
}

/** A per-patient read grant to one professional (Member) or one institution (Resource). */
export interface GrantRecord {
  _id: Types.ObjectId;
  granteeKind: GranteeKind;
  granteeId: string;
  note: string | null;
  grantedAt: Date;
  grantedBy: string;
  revokedAt: Date | null;
}

/** A family member who holds the profile with the resident. */
export interface DelegateRecord {
  subject: string;
  name: string;
  relation: string;
  addedAt: Date;
}

export interface ConsentRecord {
  givenAt: Date;
  scope: ConsentScope[];
  method: ConsentMethodValue;
  withdrawnAt: Date | null;
}

/** A stored emergency profile: the content the resident entered plus search keys, sharing and bookkeeping. */
export interface ProfileDocument extends ProfileContent {
  _id: Types.ObjectId;
  /** The account (JWT sub) of the resident who registered it. */
  ownerSubject: string;
  delegates: DelegateRecord[];
  grants: GrantRecord[];
  consent: ConsentRecord;
  cardCode: string;
  /** toSearchKey of the name and of the kana reading, for look-ups by name. */
  nameKeys: string[];
  lastReviewedAt: Date;
  creation: CreationStamp;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The collection of the access log, which is also the name of its hash chain. */
export const ACCESS_LOG_COLLECTION = "emergencyAccessLog";

/** A crew's retry key of a look-up and a digest of what was asked, so a retry with other criteria is refused. */
export interface LookupRequestRecord {
  key: string;
  fingerprint: string;
}

/** One access log entry; inserted once, never updated or deleted (see `guardAppendOnly`), each linked to the one before by its hash. */
export interface AccessLogDocument {
  _id: Types.ObjectId;
  at: Date;
  action: AccessActionValue;
  outcome: AccessOutcomeValue;
  actor: ActorRecord;
  profileIds: Types.ObjectId[];
  reason: string | null;
  incidentNumber: string | null;
  lookupMethod: LookupMethodValue | null;
  sections: ProfileSection[];
  accessWindowEndsAt: Date | null;
  requestId: string;
  /** Present on look-ups sent with a request key. */
  lookupRequest?: LookupRequestRecord | null;
  /** Written by the audit chain (service-kit) when the entry is appended. */
  chain?: ChainLink;
}

/** Look-ups of one user in one fixed window; shared by every replica of the subgraph through the database. */
export interface LookupCounterDocument {
  _id: string;
  count: number;
  expiresAt: Date;
}

export interface EmergencyModels {
  Profile: Model<ProfileDocument>;
  AccessLog: Model<AccessLogDocument>;
  LookupCounter: Model<LookupCounterDocument>;
}

/** The query middleware names mongoose runs for updates and deletes; every one is refused on the access log. */
const CHANGING_QUERIES = [
  "updateOne",
  "updateMany",
  "replaceOne",
  "findOneAndUpdate",
  "findOneAndReplace",
  "findOneAndDelete",
  "deleteOne",
  "deleteMany",
] as const;

/**
 * Makes a model insert-only inside this code base: saving an existing document, any update, replace or delete
 * through the model throws. (In production the database user should also hold only insert and find on it.)
 */
function guardAppendOnly(schema: Schema): void {
  const refuse = () => {
    throw new Error("The access log is append-only: entries are never changed or deleted");
  };
  for (const operation of CHANGING_QUERIES) schema.pre(operation, refuse);
  schema.pre("save", function refuseResave() {
    if (!this.isNew) refuse();
  });
  schema.pre("bulkWrite", refuse);
}

const optional = { type: String, default: null };
const since = optional;
const source = { type: String, required: true };

const actorSchema = new Schema<ActorRecord>(
  {
    subject: optional,
    role: { type: String, required: true },
    authMethod: { type: String, required: true },
    displayName: optional,
    profession: optional,
    organizationId: optional,
    memberId: optional,
  },
  { _id: false },
);

const profileSchema = new Schema<ProfileDocument>(
  {
    ownerSubject: { type: String, required: true },
    person: {
      type: new Schema(
        {
          name: { type: String, required: true },
          kana: { type: String, required: true },
          dateOfBirth: { type: String, required: true },
          sex: { type: String, required: true },
          address: {
            type: new Schema(
              { postalCode: optional, prefecture: String, city: String, district: optional, street: String, building: optional },
              { _id: false },
            ),
            required: true,
          },
          phone: optional,
          photoUrl: optional,
        },
        { _id: false },
      ),
      required: true,
    },
    bloodType: { type: new Schema({ abo: String, rh: String }, { _id: false }), default: null },
    conditions: [new Schema({ name: String, icd10: optional, since, note: optional, source }, { _id: false })],
    medications: [new Schema({ name: String, dosage: optional, since, note: optional, source }, { _id: false })],
    allergies: [new Schema({ substance: String, reaction: optional, severity: optional, since, note: optional, source }, { _id: false })],
    implantedDevices: [new Schema({ kind: String, description: optional, since, note: optional }, { _id: false })],
    careTeam: {
      type: new Schema(
        { primaryHospitalId: optional, visitingNursingStationId: optional, primaryPhysicianId: optional, careManagerId: optional },
        { _id: false },
      ),
      required: true,
    },
    careLevel: optional,
    livingSituation: {
      type: new Schema(
        {
          livesAlone: Boolean,
          keyPerson: { type: new Schema({ name: String, relation: String, phone: optional }, { _id: false }), default: null },
          familyCareCapacity: String,
          note: optional,
        },
        { _id: false },
      ),
      default: null,
    },
    emergencyContacts: [new Schema({ name: String, kana: optional, relation: String, phone: String, reachableHours: optional }, { _id: false })],
    advanceCare: {
      type: new Schema({ resuscitation: String, preferredPlaceOfCare: String, notes: optional, discussedWith: [String], recordedAt: Date }, { _id: false }),
      default: null,
    },
    delegates: [new Schema({ subject: String, name: String, relation: String, addedAt: Date }, { _id: false })],
    grants: [
      new Schema({ granteeKind: String, granteeId: String, note: optional, grantedAt: Date, grantedBy: String, revokedAt: { type: Date, default: null } }),
    ],
    consent: {
      type: new Schema({ givenAt: Date, scope: [String], method: String, withdrawnAt: { type: Date, default: null } }, { _id: false }),
      required: true,
    },
    cardCode: { type: String, required: true },
    nameKeys: [String],
    lastReviewedAt: { type: Date, required: true },
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: "emergencyProfiles", versionKey: false },
);
profileSchema.index({ cardCode: 1 }, { unique: true });
profileSchema.index({ nameKeys: 1 });
profileSchema.index({ ownerSubject: 1 });
profileSchema.index({ "delegates.subject": 1 });
profileSchema.index({ "grants.granteeId": 1 });
withCreationStamp(profileSchema);
profileSchema.index({ lastReviewedAt: 1, _id: 1 });
profileSchema.index({ "careTeam.careManagerId": 1, lastReviewedAt: 1 });

const accessLogSchema = new Schema<AccessLogDocument>(
  {
    at: { type: Date, required: true },
    action: { type: String, required: true },
    outcome: { type: String, required: true },
    actor: { type: actorSchema, required: true },
    profileIds: [Schema.Types.ObjectId],
    reason: optional,
    incidentNumber: optional,
    lookupMethod: optional,
    sections: [String],
    accessWindowEndsAt: { type: Date, default: null },
    requestId: { type: String, required: true },
    lookupRequest: { type: new Schema({ key: String, fingerprint: String }, { _id: false }), default: undefined },
    chain: { type: new Schema({ seq: Number, prev: String, hash: String }, { _id: false }), default: undefined },
  },
  { collection: ACCESS_LOG_COLLECTION, versionKey: false },
);
accessLogSchema.index({ profileIds: 1, at: -1, _id: -1 });
accessLogSchema.index({ at: -1, _id: -1 });
/** A retried look-up finds its first answer by who sent it and its request key. */
accessLogSchema.index({ "actor.subject": 1, "lookupRequest.key": 1 });
/** A successful look-up's entry is its access window: found by who looked up which profile, until when. */
accessLogSchema.index({ "actor.subject": 1, profileIds: 1, accessWindowEndsAt: -1 });
guardAppendOnly(accessLogSchema);

const lookupCounterSchema = new Schema<LookupCounterDocument>(
  { _id: String, count: { type: Number, required: true }, expiresAt: { type: Date, required: true } },
  { collection: "emergencyLookupCounters", versionKey: false },
);
lookupCounterSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

/** The models on `connection`, compiled once per connection (`ensureEmergencyIndexes` creates their collections and indexes). */
export const emergencyModels: (connection: Connection) => EmergencyModels = compiledOnce((connection) => ({
  Profile: connection.model<ProfileDocument>("EmergencyProfile", profileSchema),
  AccessLog: connection.model<AccessLogDocument>("EmergencyAccessLogEntry", accessLogSchema),
  LookupCounter: connection.model<LookupCounterDocument>("EmergencyLookupCounter", lookupCounterSchema),
}));

/** Builds every declared index (the unique card code and idempotency indexes are relied on for correctness). */
export async function ensureEmergencyIndexes(models: EmergencyModels): Promise<void> {
  for (const model of Object.values(models) as Model<unknown>[]) {
    await model.createCollection();
    await model.syncIndexes();
  }
}
