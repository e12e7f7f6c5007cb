// The transitions subgraph's collections as mongoose models (notices with their create-once stamp and first visit, the append-only access log) and their indexes.
import { openedOnce, withCreationStamp } from "@tsunagu/service-kit";
import type { ChainLink, CreationStamp } from "@tsunagu/service-kit";
import { Schema } from "mongoose";
import type { Connection, Model, Types } from "mongoose";
import type {
  FamilyCareCapacity,
  HomeProcedure,
  HomeServiceKind,
  ReferralCriterion,
  TransitionNoticeStatus,
  TransitionNoticeType,
} from "./generated/resolvers-types";

/** An entity another subgraph owns (Member, Resource, EmergencyProfile), as this subgraph knows it: its key. */
export interface EntityReference {
  id: string;
}

/** The patient: an emergency profile id when they have one, and/or minimal identification. */
export interface PatientRecord {
  emergencyProfileId: string | null;
  name: string | null;
  kana: string | null;
  /** YYYY-MM-DD. */
  dateOfBirth: string | null;
}

/** The sender as the recipient sees them on the notice and its printed sheet, copied when the notice is written. */
export interface SenderContactRecord {
  name: string;
  /** The sender's office (their organisation's official name). */
  office: string | null;
  /** Their work phone, else the office's. */
  phone: string | null;
}

export interface AdmissionRecord {
  servicesInUse: string[];
  familyCareCapacity: FamilyCareCapacity | null;
  keyPerson: string | null;
  livingSituation: string | null;
  adl: string | null;
  familyWishes: string | null;
  notes: string | null;
}

export interface DischargeRecord {
  /** YYYY-MM-DD (Asia/Tokyo calendar day). */
  plannedDischargeDate: string | null;
  adlChange: string | null;
  homeProcedures: HomeProcedure[];
  referralCriteria: ReferralCriterion[];
  conferenceDate: string | null;
  notes: string | null;
}

/** The first home service after a discharge. */
export interface VisitRecord {
  /** YYYY-MM-DD. */
  date: string;
  service: HomeServiceKind;
  providerId: string | null;
  recordedById: string | null;
  recordedAt: Date;
  /** The discharge date it is measured from, copied for the resolver of withinFortyEightHours. */
  plannedDischargeDate: string | null;
}

/** A notice as read with `lean()`. */
export interface NoticeDocument {
  _id: Types.ObjectId;
  type: TransitionNoticeType;
  status: TransitionNoticeStatus;
  patient: PatientRecord;
  senderId: string;
  senderResourceId: string | null;
  /** Null on notices written before senders were recorded. */
  senderContact: SenderContactRecord | null;
  recipientId: string;
  recipientResourceId: string | null;
  careTeamIds: string[];
  admission: AdmissionRecord | null;
  discharge: DischargeRecord | null;
  firstServiceVisit: VisitRecord | null;
  creation: CreationStamp;
  createdAt: Date;
  sentAt: Date | null;
  receivedAt: Date | null;
  acknowledgedAt: Date | null;
}

export const ACCESS_ACTIONS = ["CREATE", "READ", "SEND", "RECEIVE", "ACKNOWLEDGE", "RECORD_VISIT", "PRINT"] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];
export const ACCESS_OUTCOMES = ["ALLOWED", "DENIED"] as const;
export type AccessOutcome = (typeof ACCESS_OUTCOMES)[number];

/** The collection of the access log, which is also the name of its hash chain. */
export const ACCESS_LOG_COLLECTION = "transitionAccessLog";

/** One access log entry: never updated or deleted, linked to the one before by its hash. */
export interface AccessLogDocument {
  _id: Types.ObjectId;
  at: Date;
  noticeId: Types.ObjectId;
  action: AccessAction;
  outcome: AccessOutcome;
  actor: { subject: string | null; role: string; memberId: string | null; organizationId: string | null; profession: string | null };
  requestId: string;
  /** Written by the audit chain (service-kit) when the entry is appended. */
  chain?: ChainLink;
}

export interface TransitionModels {
  connection: Connection;
  Notice: Model<NoticeDocument>;
  AccessLog: Model<AccessLogDocument>;
}

const text = { type: String, default: null };
const options = (collection: string) => ({ collection, versionKey: false as const, strict: "throw" as const });

const noticeSchema = new Schema<NoticeDocument>(
  {
    type: { type: String, required: true },
    status: { type: String, required: true },
    patient: { type: new Schema({ emergencyProfileId: text, name: text, kana: text, dateOfBirth: text }, { _id: false }), required: true },
    senderId: { type: String, required: true },
    senderResourceId: text,
    senderContact: { type: new Schema({ name: { type: String, required: true }, office: text, phone: text }, { _id: false }), default: null },
    recipientId: { type: String, required: true },
    recipientResourceId: text,
    careTeamIds: { type: [String], default: [] },
    admission: {
      type: new Schema(
        { servicesInUse: [String], familyCareCapacity: text, keyPerson: text, livingSituation: text, adl: text, familyWishes: text, notes: text },
        { _id: false },
      ),
      default: null,
    },
    discharge: {
      type: new Schema(
        { plannedDischargeDate: text, adlChange: text, homeProcedures: [String], referralCriteria: [String], conferenceDate: text, notes: text },
        { _id: false },
      ),
      default: null,
    },
    firstServiceVisit: {
      type: new Schema({ date: String, service: String, providerId: text, recordedById: text, recordedAt: Date, plannedDischargeDate: text }, { _id: false }),
      default: null,
    },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    receivedAt: { type: Date, default: null },
    acknowledgedAt: { type: Date, default: null },
  },
  options("transitionNotices"),
);
withCreationStamp(noticeSchema);
noticeSchema.index({ recipientId: 1, status: 1, sentAt: -1 });
noticeSchema.index({ type: 1, "discharge.plannedDischargeDate": 1 });
noticeSchema.index({ type: 1, sentAt: 1 });

const accessLogSchema = new Schema<AccessLogDocument>(
  {
    at: { type: Date, required: true },
    noticeId: { type: Schema.Types.ObjectId, required: true },
    action: { type: String, enum: ACCESS_ACTIONS, required: true },
    outcome: { type: String, enum: ACCESS_OUTCOMES, required: true },
    actor: {
      type: new Schema({ subject: text, role: String, memberId: text, organizationId: text, profession: text }, { _id: false }),
      required: true,
    },
    requestId: { type: String, required: true },
    chain: { type: new Schema({ seq: Number, prev: String, hash: String }, { _id: false }), default: undefined },
  },
  options(ACCESS_LOG_COLLECTION),
);
accessLogSchema.index({ noticeId: 1, at: 1 });

/** Append-only: the model refuses every update and delete, so no code path can rewrite the log. */
for (const operation of ["updateOne", "updateMany", "findOneAndUpdate", "replaceOne", "deleteOne", "deleteMany", "findOneAndDelete"] as const) {
  accessLogSchema.pre(operation, () => {
    throw new Error("the transitions access log is append-only");
  });
}

/** The models on `connection`, compiled once per connection, with their collections and indexes created (transactions need the collections to exist). */
export const openTransitionModels: (connection: Connection) => Promise<TransitionModels> = openedOnce((connection) => ({
  Notice: connection.model<NoticeDocument>("TransitionNotice", noticeSchema),
  AccessLog: connection.model<AccessLogDocument>("TransitionAccessLog", accessLogSchema),
}));
