// The events subgraph's collections as mongoose models (events with their seat counter and checklist, registrations, survey answers, yearly targets, calendar feed tokens) and their indexes.
import { Schema } from "mongoose";
import { openedOnce, withCreationStamp } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import type { Connection, Model, Types } from "mongoose";
import {
  CHECKLIST_PHASES,
  EVENT_FORMATS,
  EVENT_STATUSES,
  EVENT_TYPES,
  EVENT_VISIBILITIES,
  PROFESSIONS,
  RECURRENCE_FREQUENCIES,
  REGISTRATION_STATUSES,
  SATISFACTIONS,
  TARGET_INDICATORS,
  WEEKDAYS,
} from "./domain";
import type {
  ChecklistPhase,
  EventFormat,
  EventStatus,
  EventType,
  EventVisibility,
  Profession,
  Recurrence,
  RegistrationStatus,
  Satisfaction,
  TargetIndicator,
} from "./domain";

export interface ChecklistTaskRecord {
  _id: Types.ObjectId;
  phase: ChecklistPhase;
  title: string;
  assigneeId?: Types.ObjectId;
  assigneeName?: string;
  dueAt?: Date;
  done: boolean;
  doneAt?: Date;
  /** Who marked it done (name, subject or role). */
  doneBy?: string;
}

/**
 * The seat counter every registration change updates in the same transaction: two transactions changing the
 * registrations of one event both write this document, so one of them conflicts and is retried (on a MongoDB replica
 * set as in the embedded engine), and capacity holds under any concurrency. Its counts are what lists show, so a page
 * of events needs no query of the registrations.
 */
export interface SeatCounter {
  /** Registrations holding a seat (REGISTERED). */
  registered: number;
  /** Registrations on the waiting list (WAITLISTED). */
  waitlisted: number;
  /** REGISTERED registrations checked in. */
  attended: number;
  /** The last waiting-list number handed out; the smallest waiting number is promoted first. */
  waitlistSequence: number;
  /** Incremented by every registration change (registering, cancelling, promoting, a capacity change). */
  changes: number;
}

/** An event as read with `lean()`. */
export interface EventDocument {
  _id: Types.ObjectId;
  type: EventType;
  title: string;
  description?: string;
  organiserIds: Types.ObjectId[];
  coHostIds: Types.ObjectId[];
  venueId?: Types.ObjectId;
  place?: string;
  onlineUrl?: string;
  format: EventFormat;
  startsAt: Date;
  endsAt: Date;
  recurrence?: Recurrence;
  /** End of the last session: `endsAt`, or the last occurrence's end; null for a series without end. */
  seriesEndsAt: Date | null;
  capacity?: number;
  waitlistEnabled: boolean;
  registrationDeadline?: Date;
  fee: number;
  feeNote?: string;
  targetProfessions: Profession[];
  residentsWelcome: boolean;
  visibility: EventVisibility;
  visibilityGroupId?: Types.ObjectId;
  invitedMemberIds: Types.ObjectId[];
  checklist: ChecklistTaskRecord[];
  status: EventStatus;
  cancelledAt?: Date;
  cancellationReason?: string;
  seats: SeatCounter;
  /** `<authMethod>:<subject>` of the creator, who may manage the event. */
  createdBy: string;
  /** The idempotency stamp of the createEvent that made it. */
  creation?: CreationStamp;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A registration as read with `lean()`. */
export interface RegistrationDocument {
  _id: Types.ObjectId;
  eventId: Types.ObjectId;
  status: RegistrationStatus;
  /** `member:<id>`, `subject:<caller>`, `contact:<e-mail>` or `phone:<number>:<name>` (a shared landline is not one person): one active registration per person and event. */
  personKey: string;
  /** True while REGISTERED or WAITLISTED; the unique (eventId, personKey) index covers active registrations only. */
  active: boolean;
  memberId?: Types.ObjectId;
  name: string;
  kana?: string;
  email?: string;
  phone?: string;
  profession?: Profession;
  organizationId?: Types.ObjectId;
  organizationName?: string;
  /** The waiting-list number while WAITLISTED (and kept afterwards). */
  waitlistSequence?: number;
  /** The event's start and series end, copied so that a member's registrations list by start without a join. */
  eventStartsAt: Date;
  eventSeriesEndsAt: Date | null;
  registeredAt: Date;
  promotedAt?: Date;
  cancelledAt?: Date;
  attendedAt?: Date;
  /** `<authMethod>:<subject>` of whoever registered. */
  createdBy: string;
  /** The idempotency stamp of the registerForEvent that made it. */
  creation?: CreationStamp;
}

export interface SurveyResponseDocument {
  _id: Types.ObjectId;
  eventId: Types.ObjectId;
  /** Absent for a paper answer entered by staff. */
  registrationId?: Types.ObjectId;
  satisfaction: Satisfaction;
  comment?: string;
  profession?: Profession;
  submittedAt: Date;
  enteredBy: string;
  /** The idempotency stamp of the submitSurvey that made it. */
  creation?: CreationStamp;
}

export interface TargetDocument {
  _id: Types.ObjectId;
  fiscalYear: number;
  indicator: TargetIndicator;
  target: number;
  setBy: string;
  updatedAt: Date;
}

/** A member's calendar feed: only the SHA-256 of the secret token is kept. */
export interface CalendarFeedDocument {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  tokenHash: string;
  issuedAt: Date;
}

export interface EventModels {
  connection: Connection;
  Event: Model<EventDocument>;
  Registration: Model<RegistrationDocument>;
  SurveyResponse: Model<SurveyResponseDocument>;
  Target: Model<TargetDocument>;
  CalendarFeed: Model<CalendarFeedDocument>;
}

const optionalText = { type: String, default: undefined };
const requiredText = { type: String, required: true };
const objectId = { type: Schema.Types.ObjectId, required: true };
const optionalObjectId = { type: Schema.Types.ObjectId, default: undefined };
const options = (collection: string) => ({ collection, versionKey: false as const, strict: "throw" as const });

const recurrenceSchema = new Schema<Recurrence>(
  {
    frequency: { type: String, enum: RECURRENCE_FREQUENCIES, required: true },
    interval: { type: Number, required: true },
    byWeekday: [{ type: String, enum: WEEKDAYS }],
    weekOfMonth: { type: Number, default: undefined },
    byMonthDay: { type: Number, default: undefined },
    count: { type: Number, default: undefined },
    until: { type: Date, default: undefined },
  },
  { _id: false },
);

const checklistTaskSchema = new Schema<ChecklistTaskRecord>({
  phase: { type: String, enum: CHECKLIST_PHASES, required: true },
  title: requiredText,
  assigneeId: optionalObjectId,
  assigneeName: optionalText,
  dueAt: { type: Date, default: undefined },
  done: { type: Boolean, required: true },
  doneAt: { type: Date, default: undefined },
  doneBy: optionalText,
});

const eventSchema = new Schema<EventDocument>(
  {
    type: { type: String, enum: EVENT_TYPES, required: true },
    title: requiredText,
    description: optionalText,
    organiserIds: [{ type: Schema.Types.ObjectId }],
    coHostIds: [{ type: Schema.Types.ObjectId }],
    venueId: optionalObjectId,
    place: optionalText,
    onlineUrl: optionalText,
    format: { type: String, enum: EVENT_FORMATS, required: true },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    recurrence: { type: recurrenceSchema, default: undefined },
    seriesEndsAt: { type: Date, default: null },
    capacity: { type: Number, default: undefined },
    waitlistEnabled: { type: Boolean, required: true },
    registrationDeadline: { type: Date, default: undefined },
    fee: { type: Number, required: true },
    feeNote: optionalText,
    targetProfessions: [{ type: String, enum: PROFESSIONS }],
    residentsWelcome: { type: Boolean, required: true },
    visibility: { type: String, enum: EVENT_VISIBILITIES, required: true },
    visibilityGroupId: optionalObjectId,
    invitedMemberIds: [{ type: Schema.Types.ObjectId }],
    checklist: [checklistTaskSchema],
    status: { type: String, enum: EVENT_STATUSES, required: true },
    cancelledAt: { type: Date, default: undefined },
    cancellationReason: optionalText,
    seats: new Schema<SeatCounter>(
      {
        registered: { type: Number, required: true },
        waitlisted: { type: Number, required: true },
        attended: { type: Number, required: true },
        waitlistSequence: { type: Number, required: true },
        changes: { type: Number, required: true },
      },
      { _id: false },
    ),
    createdBy: requiredText,
    version: { type: Number, required: true },
  },
  { ...options("events"), timestamps: true },
);
withCreationStamp(eventSchema);
eventSchema.index({ startsAt: 1, _id: 1 });
eventSchema.index({ organiserIds: 1, startsAt: 1 });
eventSchema.index({ coHostIds: 1, startsAt: 1 });
eventSchema.index({ venueId: 1, startsAt: 1 });
eventSchema.index({ seriesEndsAt: 1 });

const registrationSchema = new Schema<RegistrationDocument>(
  {
    eventId: objectId,
    status: { type: String, enum: REGISTRATION_STATUSES, required: true },
    personKey: requiredText,
    active: { type: Boolean, required: true },
    memberId: optionalObjectId,
    name: requiredText,
    kana: optionalText,
    email: optionalText,
    phone: optionalText,
    profession: { type: String, enum: PROFESSIONS, default: undefined },
    organizationId: optionalObjectId,
    organizationName: optionalText,
    waitlistSequence: { type: Number, default: undefined },
    eventStartsAt: { type: Date, required: true },
    eventSeriesEndsAt: { type: Date, default: null },
    registeredAt: { type: Date, required: true },
    promotedAt: { type: Date, default: undefined },
    cancelledAt: { type: Date, default: undefined },
    attendedAt: { type: Date, default: undefined },
    createdBy: requiredText,
  },
  options("eventRegistrations"),
);
// One active registration per person and event; the partial filter is an equality, which every MongoDB version accepts.
registrationSchema.index({ eventId: 1, personKey: 1 }, { unique: true, partialFilterExpression: { active: true } });
withCreationStamp(registrationSchema);
registrationSchema.index({ eventId: 1, registeredAt: 1, _id: 1 });
registrationSchema.index({ eventId: 1, status: 1, waitlistSequence: 1 });
registrationSchema.index({ memberId: 1, eventStartsAt: 1 });

const surveyResponseSchema = new Schema<SurveyResponseDocument>(
  {
    eventId: objectId,
    registrationId: optionalObjectId,
    satisfaction: { type: String, enum: SATISFACTIONS, required: true },
    comment: optionalText,
    profession: { type: String, enum: PROFESSIONS, default: undefined },
    submittedAt: { type: Date, required: true },
    enteredBy: requiredText,
  },
  options("eventSurveyResponses"),
);
withCreationStamp(surveyResponseSchema);
surveyResponseSchema.index({ eventId: 1, submittedAt: -1 });
surveyResponseSchema.index({ registrationId: 1 }, { unique: true, partialFilterExpression: { registrationId: { $exists: true } } });

const targetSchema = new Schema<TargetDocument>(
  {
    fiscalYear: { type: Number, required: true },
    indicator: { type: String, enum: TARGET_INDICATORS, required: true },
    target: { type: Number, required: true },
    setBy: requiredText,
    updatedAt: { type: Date, required: true },
  },
  options("eventTargets"),
);
targetSchema.index({ fiscalYear: 1, indicator: 1 }, { unique: true });

const calendarFeedSchema = new Schema<CalendarFeedDocument>(
  { memberId: objectId, tokenHash: requiredText, issuedAt: { type: Date, required: true } },
  options("eventCalendarFeeds"),
);
calendarFeedSchema.index({ memberId: 1 }, { unique: true });
calendarFeedSchema.index({ tokenHash: 1 }, { unique: true });

/** The models on `connection`, compiled once per connection, with their collections and indexes created (transactions need the collections to exist). */
export const openEventModels: (connection: Connection) => Promise<EventModels> = openedOnce((connection) => ({
  Event: connection.model<EventDocument>("Event", eventSchema),
  Registration: connection.model<RegistrationDocument>("EventRegistration", registrationSchema),
  SurveyResponse: connection.model<SurveyResponseDocument>("EventSurveyResponse", surveyResponseSchema),
  Target: connection.model<TargetDocument>("EventTarget", targetSchema),
  CalendarFeed: connection.model<CalendarFeedDocument>("EventCalendarFeed", calendarFeedSchema),
}));
