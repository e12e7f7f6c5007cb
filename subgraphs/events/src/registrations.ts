// Registrations: registering under concurrency (a seat or a waiting-list number taken on the event's seat counter in the same transaction), cancelling with promotion of the first waitlisted, check-in, and who may see a registration.
import { Types, trusted } from "mongoose";
import type { ClientSession } from "mongoose";
import { codedError, domainEvent, idempotencyCaller, isObjectIdHex, notFound, storedStamp, toSearchKey } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import { callerOf, mayManage, ownsRegistration, refusal, requireVisibleEvent } from "./access";
import type { EventsContext } from "./context";
import { createOnceInTransaction } from "./create-once";
import { professionOf } from "./domain";
import type { Attendee, Profession } from "./domain";
import type { EventDocument, EventModels, RegistrationDocument } from "./models";

/** The person a registration is for, as stored. */
interface Person {
  personKey: string;
  memberId?: Types.ObjectId;
  name: string;
  kana?: string;
  email?: string;
  phone?: string;
  profession?: Profession;
  organizationId?: Types.ObjectId;
  organizationName?: string;
}

/** A registration that moved from the waiting list to a seat. */
export interface Promotion {
  registrationId: Types.ObjectId;
  eventId: Types.ObjectId;
  memberId?: Types.ObjectId;
}

/** A refusal of a registration, CONFLICT with a stable `reason` (REGISTRATION_CLOSED, EVENT_FULL, EVENT_CANCELLED, ALREADY_REGISTERED). */
function registrationRefused(reason: string, message: string) {
  return codedError("CONFLICT", message, { reason, field: "input.eventId" });
}

/**
 * Who an attendee is, for "one active registration per person": the e-mail address when given (it is personal), else
 * the phone number together with the name, because a household's landline is shared (two people of one home may both come).
 */
function attendeeKey(attendee: Attendee): string {
  if (attendee.email !== undefined) return `contact:${attendee.email.toLowerCase()}`;
  return `phone:${attendee.phone ?? ""}:${toSearchKey(attendee.name)}`;
}

/** The person from the attendee given, or the signed-in member registering themselves. */
function personOf(context: EventsContext, attendee: Attendee | undefined): Person {
  const { identity } = context;
  if (attendee !== undefined) {
    return {
      personKey: attendeeKey(attendee),
      name: attendee.name,
      kana: attendee.kana,
      email: attendee.email,
      phone: attendee.phone,
      profession: attendee.profession,
      organizationName: attendee.organizationName,
    };
  }
  if (identity.memberId === undefined || !isObjectIdHex(identity.memberId)) {
    throw codedError(
      "BAD_USER_INPUT",
      "input.attendee: 参加者の氏名と連絡先を指定してください (give the attendee's name and contact, or sign in as a member)",
      {
        field: "input.attendee",
      },
    );
  }
  return {
    personKey: `member:${identity.memberId.toLowerCase()}`,
    memberId: new Types.ObjectId(identity.memberId),
    name: identity.displayName ?? identity.subject ?? "メンバー",
    // A member is a professional; a token without a (recognised) profession claim counts as OTHER, never as a resident.
    profession: professionOf(identity.profession) ?? "OTHER",
    organizationId: identity.organizationId !== undefined && isObjectIdHex(identity.organizationId) ? new Types.ObjectId(identity.organizationId) : undefined,
  };
}

/** The last moment registrations are taken: the deadline, else the first session's start (a series: its end, or always). */
function registrationClosesAt(event: EventDocument): Date | null {
  if (event.registrationDeadline !== undefined) return event.registrationDeadline;
  return event.recurrence === undefined ? event.startsAt : event.seriesEndsAt;
}

export function isRegistrationOpen(event: EventDocument, now: Date): boolean {
  const closes = registrationClosesAt(event);
  return event.status === "SCHEDULED" && (closes === null || now.getTime() <= closes.getTime());
}

/** Why this person cannot register for this event now, thrown; nothing when they can. */
function checkAdmission(event: EventDocument, person: Person, now: Date): void {
  if (event.status === "CANCELLED") throw registrationRefused("EVENT_CANCELLED", `「${event.title}」は中止されました (the event was cancelled)`);
  if (!isRegistrationOpen(event, now)) {
    throw registrationRefused(
      "REGISTRATION_CLOSED",
      `「${event.title}」の申込は締め切りました (registration closed at ${registrationClosesAt(event)?.toISOString()})`,
    );
  }
  if (person.profession === undefined && !event.residentsWelcome) {
    throw codedError(
      "FORBIDDEN",
      `「${event.title}」は専門職向けです。住民の方は参加できません (this event is for professionals; give the attendee's profession)`,
      {
        reason: "RESIDENTS_NOT_ACCEPTED",
        field: "input.attendee.profession",
      },
    );
  }
}

/**
 * Takes a seat, or the next waiting-list number, on the event's seat counter inside `session`. The seat is taken by
 * a conditional update (`registered < capacity`), and every change writes the same counter document, so concurrent
 * registrations are serialised by the database (a write conflict is retried by the transaction).
 */
async function claimPlace(
  models: EventModels,
  event: EventDocument,
  session: ClientSession,
): Promise<{ status: "REGISTERED" } | { status: "WAITLISTED"; sequence: number }> {
  const seatFilter = event.capacity === undefined ? { _id: event._id } : { _id: event._id, "seats.registered": trusted({ $lt: event.capacity }) };
  const seated = await models.Event.updateOne(seatFilter, { $inc: { "seats.registered": 1, "seats.changes": 1 } }, { session });
  if (seated.modifiedCount === 1) return { status: "REGISTERED" };
  if (!event.waitlistEnabled) {
    throw registrationRefused("EVENT_FULL", `「${event.title}」は満席です（キャンセル待ちなし） (the event is full and takes no waiting list)`);
  }
  const numbered = await models.Event.findOneAndUpdate(
    { _id: event._id },
    { $inc: { "seats.waitlistSequence": 1, "seats.waitlisted": 1, "seats.changes": 1 } },
    { session, returnDocument: "after", projection: { seats: 1 } },
  ).lean<Pick<EventDocument, "seats">>();
  if (numbered === null) throw notFound("Event", event._id.toHexString());
  return { status: "WAITLISTED", sequence: numbered.seats.waitlistSequence };
}

/**
 * Registers the signed-in member, or the attendee given, once per idempotency key: REGISTERED while seats are left,
 * WAITLISTED after (or EVENT_FULL without a waiting list). Returns the registration and its access code.
 */
export async function registerForEvent(
  context: EventsContext,
  input: { eventId: string; attendee?: Attendee },
  stamp: CreationStamp,
): Promise<{ registration: RegistrationDocument; accessCode: string }> {
  const { models } = context;
  const event = await requireVisibleEvent(context, input.eventId, "input.eventId");
  const person = personOf(context, input.attendee);
  const now = new Date();
  const eventKey = event._id.toHexString();
  const { document: registration } = await context.seatChanges.run(eventKey, () =>
    createOnceInTransaction(models, models.Registration, stamp, async (session) => {
      const current = await models.Event.findById(event._id).session(session).lean<EventDocument>();
      if (current === null) throw notFound("Event", event._id.toHexString());
      checkAdmission(current, person, now);
      const existing = await models.Registration.exists({ eventId: current._id, personKey: person.personKey, active: true }).session(session);
      if (existing !== null) {
        throw registrationRefused(
          "ALREADY_REGISTERED",
          `「${current.title}」には申込済みです (this person is already registered; registration ${existing._id.toHexString()})`,
        );
      }
      const place = await claimPlace(models, current, session);
      const _id = new Types.ObjectId();
      const record: Omit<RegistrationDocument, "_id"> & { _id: Types.ObjectId } = {
        _id,
        eventId: current._id,
        status: place.status,
        active: true,
        ...person,
        ...(place.status === "WAITLISTED" ? { waitlistSequence: place.sequence } : {}),
        eventStartsAt: current.startsAt,
        eventSeriesEndsAt: current.seriesEndsAt,
        registeredAt: now,
        createdBy: callerOf(context.identity) ?? idempotencyCaller(context.identity),
        creation: storedStamp(stamp),
      };
      await models.Registration.create([record], { session });
      return _id;
    }),
  );
  return { registration, accessCode: context.accessCodes.codeFor(registration._id) };
}

/**
 * Moves up to `seats` of the event's waitlisted registrations (smallest waiting number first) to REGISTERED inside
 * `session`, counting the seats they take. Nothing moves once the event is cancelled or over.
 */
export async function promoteFromWaitlist(
  models: EventModels,
  eventId: Types.ObjectId,
  seats: number,
  now: Date,
  session: ClientSession,
): Promise<Promotion[]> {
  if (seats <= 0) return [];
  const event = await models.Event.findById(eventId).session(session).lean<EventDocument>();
  if (event === null || event.status === "CANCELLED" || (event.seriesEndsAt !== null && event.seriesEndsAt.getTime() <= now.getTime())) return [];
  const waiting = await models.Registration.find({ eventId, status: "WAITLISTED" })
    .sort({ waitlistSequence: 1 })
    .limit(Number.isFinite(seats) ? seats : 0)
    .session(session)
    .lean<RegistrationDocument[]>();
  if (waiting.length === 0) return [];
  const ids = waiting.map((registration) => registration._id);
  await models.Registration.updateMany({ _id: trusted({ $in: ids }), status: "WAITLISTED" }, { $set: { status: "REGISTERED", promotedAt: now } }, { session });
  await models.Event.updateOne(
    { _id: eventId },
    { $inc: { "seats.registered": waiting.length, "seats.waitlisted": -waiting.length, "seats.changes": 1 } },
    { session },
  );
  return waiting.map((registration) => ({ registrationId: registration._id, eventId, memberId: registration.memberId }));
}

/** Tells subscribers (gateway subscription registrationPromoted) that a person on the waiting list got a seat. */
export async function publishPromotions(context: EventsContext, promotions: readonly Promotion[]): Promise<void> {
  for (const promotion of promotions) {
    await context.pubsub?.publish(
      domainEvent("registrationPromoted", {
        registrationId: promotion.registrationId.toHexString(),
        eventId: promotion.eventId.toHexString(),
        memberId: promotion.memberId?.toHexString() ?? null,
      }),
    );
  }
}

/** The registration when the caller may see it: the person (or the access code's holder), the event's manager, or staff. */
export async function findRegistration(context: EventsContext, id: string, accessCode?: string): Promise<RegistrationDocument | null> {
  const registration = await context.loaders.registration.load(id);
  if (registration === null) return null;
  if (ownsRegistration(registration, context.identity, context.accessCodes, accessCode)) return registration;
  const event = await context.loaders.event.load(registration.eventId.toHexString());
  return event !== null && mayManage(event, context.identity) ? registration : null;
}

/**
 * Cancels a registration (the person, the holder of its access code, the event's manager or staff). A freed seat goes
 * to the first waitlisted person in the same transaction. Cancelling twice returns the cancelled registration.
 */
export async function cancelRegistration(context: EventsContext, id: string, accessCode: string | undefined): Promise<RegistrationDocument> {
  const { models, identity } = context;
  const registration = await findRegistration(context, id, accessCode);
  // A missing registration is refused like someone else's, so the refusal never tells whether the id exists.
  if (registration === null) {
    throw refusal(
      identity,
      "この申込を取り消せるのは本人・主催者・職員、またはアクセスコードを持つ人です (only the person, the organiser, staff or the access code's holder may cancel it)",
    );
  }
  const now = new Date();
  const promoted = await context.seatChanges.run(registration.eventId.toHexString(), () =>
    models.connection.transaction(async (session) => {
      const current = await models.Registration.findOneAndUpdate(
        { _id: registration._id, active: true },
        { $set: { status: "CANCELLED", active: false, cancelledAt: now } },
        { session, returnDocument: "before" },
      ).lean<RegistrationDocument>();
      if (current === null) return [];
      if (current.status !== "REGISTERED") {
        await models.Event.updateOne({ _id: current.eventId }, { $inc: { "seats.waitlisted": -1, "seats.changes": 1 } }, { session });
        return [];
      }
      const attended = current.attendedAt === undefined ? 0 : 1;
      await models.Event.updateOne(
        { _id: current.eventId },
        { $inc: { "seats.registered": -1, "seats.attended": -attended, "seats.changes": 1 } },
        { session },
      );
      return promoteFromWaitlist(models, current.eventId, 1, now, session);
    }),
  );
  await publishPromotions(context, promoted);
  const cancelled = await models.Registration.findById(registration._id).lean<RegistrationDocument>();
  if (cancelled === null) throw notFound("Registration", id);
  return cancelled;
}

/** Records attendance of a registered person (the event's manager or staff); checking in twice keeps the first time. */
export async function checkIn(context: EventsContext, registrationId: string): Promise<RegistrationDocument> {
  const { models, identity } = context;
  const registration = await context.loaders.registration.load(registrationId);
  const event = registration === null ? null : await context.loaders.event.load(registration.eventId.toHexString());
  // A missing registration is refused like one of an event the caller does not manage, naming neither.
  if (registration === null || event === null || !mayManage(event, identity)) {
    throw refusal(identity, "受付は催しの登録者と調整役・管理者のみできます (only the event's creator and staff check people in)");
  }
  if (registration.status !== "REGISTERED") {
    throw codedError("CONFLICT", `参加確定の申込のみ受付できます（現在: ${registration.status}） (only a registered person can be checked in)`, {
      reason: "NOT_REGISTERED",
      field: "registrationId",
    });
  }
  if (registration.attendedAt !== undefined) return registration;
  await models.connection.transaction(async (session) => {
    const checkedIn = await models.Registration.updateOne(
      { _id: registration._id, status: "REGISTERED", attendedAt: null },
      { $set: { attendedAt: new Date() } },
      { session },
    );
    if (checkedIn.modifiedCount === 1) await models.Event.updateOne({ _id: registration.eventId }, { $inc: { "seats.attended": 1 } }, { session });
  });
  const current = await models.Registration.findById(registration._id).lean<RegistrationDocument>();
  if (current === null) throw notFound("Registration", registrationId);
  return current;
}

/** Place on the waiting list (1 is promoted next) of a WAITLISTED registration; null otherwise. */
export async function waitlistPosition(context: EventsContext, registration: RegistrationDocument): Promise<number | null> {
  if (registration.status !== "WAITLISTED" || registration.waitlistSequence === undefined) return null;
  const sequences = await context.loaders.waitlist.load(registration.eventId.toHexString());
  return sequences.indexOf(registration.waitlistSequence) + 1;
}

/** Contact details of a registration go to the person, the event's manager and staff. */
export async function maySeeContact(context: EventsContext, registration: RegistrationDocument): Promise<boolean> {
  if (ownsRegistration(registration, context.identity, context.accessCodes)) return true;
  const event = await context.loaders.event.load(registration.eventId.toHexString());
  return event !== null && mayManage(event, context.identity);
}
