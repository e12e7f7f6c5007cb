// Events: finding the ones a caller may see, listing them by start, creating (idempotent), changing (capacity changes settle the waiting list), cancelling, and the preparation checklist.
import { Types, trusted } from "mongoose";
import type { ClientSession, QueryFilter } from "mongoose";
import { codedError, conflict, findKeysetPage, idempotencyCaller, invalidInput, keysetOf, notFound, storedStamp } from "@tsunagu/service-kit";
import type { CreationStamp, Page, PageRequest, SortKey } from "@tsunagu/service-kit";
import { actorName, callerOf, requireEventCreator, requireManager, requireVisibleEvent, visibleEventsFilter } from "./access";
import type { EventsContext } from "./context";
import { createOnceInTransaction } from "./create-once";
import { STANDARD_CHECKLIST, eventDraftSchema } from "./domain";
import type { ChecklistTaskChange, ChecklistTaskInput, CreateEventInput, EventChange, EventDraft, EventFilter } from "./domain";
import { eventWindowFilter } from "./loaders";
import type { ChecklistTaskRecord, EventDocument, EventModels } from "./models";
import { normaliseRecurrence, seriesEnd } from "./recurrence";
import { promoteFromWaitlist, publishPromotions } from "./registrations";

const oid = (id: string) => new Types.ObjectId(id);

/** Events by start, then id. */
const EVENTS_BY_START: SortKey[] = [
  { path: "startsAt", direction: 1 },
  { path: "_id", direction: 1 },
];

/**
 * Events the caller may see matching `filter`, by start; from now on unless `filter.from` says otherwise. For a sync
 * (`modifiedAfter`), only events changed after that moment, past ones and cancelled ones included unless `from` is given.
 */
export async function listEvents(context: EventsContext, filter: EventFilter, page: PageRequest): Promise<Page<EventDocument>> {
  const syncing = filter.modifiedAfter !== undefined;
  const from = filter.from ?? (syncing ? new Date(0) : new Date());
  const window = eventWindowFilter(from, filter.to);
  const conditions: QueryFilter<EventDocument>[] = [
    filter.includeCancelled || syncing ? { ...window, status: trusted({ $in: ["SCHEDULED", "CANCELLED"] }) } : window,
  ];
  if (filter.modifiedAfter !== undefined) conditions.push({ updatedAt: trusted({ $gt: filter.modifiedAfter }) });
  conditions.push(visibleEventsFilter(context.identity));
  if (filter.types) conditions.push({ type: trusted({ $in: filter.types }) });
  if (filter.organiserIds) {
    const ids = filter.organiserIds.map(oid);
    conditions.push({ $or: [{ organiserIds: trusted({ $in: ids }) }, { coHostIds: trusted({ $in: ids }) }] });
  }
  if (filter.venueIds) conditions.push({ venueId: trusted({ $in: filter.venueIds.map(oid) }) });
  if (filter.profession) conditions.push({ $or: [{ targetProfessions: filter.profession }, { targetProfessions: trusted({ $size: 0 }) }] });
  if (filter.residentsWelcome !== undefined) conditions.push({ residentsWelcome: filter.residentsWelcome });
  const keyset = keysetOf(EVENTS_BY_START, ["events", filter]);
  return findKeysetPage(
    keyset,
    page,
    { $and: conditions },
    (query, sort, limit) => context.models.Event.find(query).sort(sort).limit(limit).lean<EventDocument[]>(),
    (event) => [event.startsAt, event._id],
  );
}

function checklistRecords(tasks: readonly ChecklistTaskInput[]): ChecklistTaskRecord[] {
  return tasks.map((task) => ({
    _id: new Types.ObjectId(),
    phase: task.phase,
    title: task.title,
    ...(task.assigneeId === undefined ? {} : { assigneeId: oid(task.assigneeId) }),
    ...(task.assigneeName === undefined ? {} : { assigneeName: task.assigneeName }),
    ...(task.dueAt === undefined ? {} : { dueAt: task.dueAt }),
    done: false,
  }));
}

/** The stored fields of a validated draft: ids as ObjectIds, the recurrence checked against the start, the series' end. */
function storedFields(draft: EventDraft, field: string) {
  let recurrence = draft.recurrence;
  if (recurrence !== undefined) {
    const checked = normaliseRecurrence(recurrence, draft.startsAt);
    if ("reason" in checked) throw invalidInput([{ field: `${field}.${checked.field}`, reason: checked.reason }]);
    recurrence = checked.rule;
  }
  const { organiserIds, coHostIds, venueId, visibilityGroupId, invitedMemberIds, ...rest } = draft;
  return {
    ...rest,
    recurrence,
    organiserIds: organiserIds.map(oid),
    coHostIds: coHostIds.map(oid),
    venueId: venueId === undefined ? undefined : oid(venueId),
    visibilityGroupId: visibilityGroupId === undefined ? undefined : oid(visibilityGroupId),
    invitedMemberIds: invitedMemberIds.map(oid),
    seriesEndsAt: seriesEnd({ startsAt: draft.startsAt, endsAt: draft.endsAt, recurrence }),
  };
}

/** Creates an event once per idempotency key (see service-kit createOnce); the creator may manage it afterwards. */
export async function createEvent(context: EventsContext, input: CreateEventInput, stamp: CreationStamp): Promise<EventDocument> {
  requireEventCreator(context.identity);
  const { checklist, useStandardChecklist, ...draft } = input;
  const fields = storedFields(draft, "input");
  const tasks = checklistRecords([...(useStandardChecklist ? STANDARD_CHECKLIST : []), ...checklist]);
  const { models } = context;
  const { document } = await createOnceInTransaction(models, models.Event, stamp, async (session) => {
    const _id = new Types.ObjectId();
    const record = {
      ...fields,
      _id,
      checklist: tasks,
      status: "SCHEDULED" as const,
      seats: { registered: 0, waitlisted: 0, attended: 0, waitlistSequence: 0, changes: 0 },
      createdBy: callerOf(context.identity) ?? idempotencyCaller(context.identity),
      creation: storedStamp(stamp),
      version: 1,
    };
    await models.Event.create([record], { session });
    return _id;
  });
  return document;
}

async function loadEvent(models: EventModels, id: Types.ObjectId, session?: ClientSession): Promise<EventDocument> {
  const event = await models.Event.findById(id)
    .session(session ?? null)
    .lean<EventDocument>();
  if (event === null) throw notFound("Event", id.toHexString());
  return event;
}

/** The event as a draft: its stored fields in input form, to merge a change into and validate as a whole. */
function draftOf(event: EventDocument): Record<string, unknown> {
  const hexOf = (id: Types.ObjectId | undefined) => id?.toHexString();
  return {
    type: event.type,
    title: event.title,
    description: event.description,
    organiserIds: event.organiserIds.map((id) => id.toHexString()),
    coHostIds: event.coHostIds.map((id) => id.toHexString()),
    venueId: hexOf(event.venueId),
    place: event.place,
    onlineUrl: event.onlineUrl,
    format: event.format,
    startsAt: event.startsAt,
    endsAt: event.endsAt,
    recurrence: event.recurrence,
    capacity: event.capacity,
    waitlistEnabled: event.waitlistEnabled,
    registrationDeadline: event.registrationDeadline,
    fee: event.fee,
    feeNote: event.feeNote,
    targetProfessions: event.targetProfessions,
    residentsWelcome: event.residentsWelcome,
    visibility: event.visibility,
    visibilityGroupId: hexOf(event.visibilityGroupId),
    invitedMemberIds: event.invitedMemberIds.map((id) => id.toHexString()),
  };
}

/**
 * Applies `change` to the event (the creator or staff), checked as a whole. Capacity cannot go below the seats taken;
 * raising it promotes people from the waiting list in the same transaction. Registrations follow a change of dates.
 */
export async function updateEvent(context: EventsContext, id: string, change: EventChange, expectedVersion: number | undefined): Promise<EventDocument> {
  const { models, identity } = context;
  const existing = await requireVisibleEvent(context, id, "id");
  requireManager(existing, identity);
  const merged = eventDraftSchema.safeParse({ ...draftOf(existing), ...change });
  if (!merged.success)
    throw invalidInput(merged.error.issues.map((issue) => ({ field: ["input", ...issue.path.map(String)].join("."), reason: issue.message })));
  const fields = storedFields(merged.data, "input");
  const now = new Date();
  const { event, promoted } = await context.seatChanges.run(existing._id.toHexString(), () =>
    models.connection.transaction(async (session) => {
      const current = await loadEvent(models, existing._id, session);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw conflict(
          `expectedVersion: 版${current.version}に更新されています (the event is at version ${current.version}, not ${expectedVersion}; reload it)`,
          "expectedVersion",
        );
      }
      if (current.status === "CANCELLED")
        throw codedError("CONFLICT", "中止された催しは変更できません (a cancelled event cannot be changed)", { reason: "EVENT_CANCELLED", field: "id" });
      if (fields.capacity !== undefined && fields.capacity < current.seats.registered) {
        throw codedError(
          "CONFLICT",
          `input.capacity: 参加確定が${current.seats.registered}人います (${current.seats.registered} people hold seats; cancel some first)`,
          {
            field: "input.capacity",
            reason: "CAPACITY_BELOW_REGISTERED",
          },
        );
      }
      const unset = Object.fromEntries(
        Object.entries(fields)
          .filter(([, value]) => value === undefined)
          .map(([key]) => [key, 1]),
      );
      const set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
      await models.Event.updateOne(
        { _id: current._id },
        { $set: set, ...(Object.keys(unset).length === 0 ? {} : { $unset: unset }), $inc: { version: 1, "seats.changes": 1 } },
        { session },
      );
      await models.Registration.updateMany(
        { eventId: current._id },
        { $set: { eventStartsAt: fields.startsAt, eventSeriesEndsAt: fields.seriesEndsAt } },
        { session },
      );
      const free = fields.capacity === undefined ? Number.POSITIVE_INFINITY : fields.capacity - current.seats.registered;
      const moved = await promoteFromWaitlist(models, current._id, free, now, session);
      return { event: await loadEvent(models, current._id, session), promoted: moved };
    }),
  );
  await publishPromotions(context, promoted);
  return event;
}

/** Cancels the event (the creator or staff): it stays listed with status CANCELLED so that calendars drop it. */
export async function cancelEvent(context: EventsContext, id: string, reason: string): Promise<EventDocument> {
  const existing = await requireVisibleEvent(context, id, "id");
  requireManager(existing, context.identity);
  if (existing.status === "CANCELLED") return existing;
  const now = new Date();
  const cancelled = await context.models.Event.findOneAndUpdate(
    { _id: existing._id, status: "SCHEDULED" },
    { $set: { status: "CANCELLED", cancelledAt: now, cancellationReason: reason }, $inc: { version: 1 } },
    { returnDocument: "after" },
  ).lean<EventDocument>();
  return cancelled ?? loadEvent(context.models, existing._id);
}

/** Adds a preparation task (the creator or staff). */
export async function addChecklistTask(context: EventsContext, eventId: string, task: ChecklistTaskInput): Promise<EventDocument> {
  const existing = await requireVisibleEvent(context, eventId, "eventId");
  requireManager(existing, context.identity);
  const [record] = checklistRecords([task]);
  const updated = await context.models.Event.findOneAndUpdate(
    { _id: existing._id },
    { $push: { checklist: record }, $inc: { version: 1 } },
    { returnDocument: "after" },
  ).lean<EventDocument>();
  return updated ?? loadEvent(context.models, existing._id);
}

/** Changes or completes a preparation task: the creator, staff, or the member it is assigned to. The list is rewritten whole, guarded by the event's version. */
export async function updateChecklistTask(context: EventsContext, eventId: string, taskId: string, change: ChecklistTaskChange): Promise<EventDocument> {
  const { identity, models } = context;
  const existing = await requireVisibleEvent(context, eventId, "eventId");
  const task = existing.checklist.find((item) => item._id.toHexString() === taskId.toLowerCase());
  if (task === undefined) throw codedError("NOT_FOUND", `Checklist task ${taskId} was not found`, { what: "ChecklistTask", id: taskId, field: "taskId" });
  const assignee = task.assigneeId !== undefined && identity.memberId !== undefined && task.assigneeId.toHexString() === identity.memberId.toLowerCase();
  if (!assignee) requireManager(existing, identity);
  let current = existing;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const now = new Date();
    const checklist = current.checklist.map((item) => (item._id.equals(task._id) ? changedTask(item, change, actorName(identity), now) : item));
    const updated = await models.Event.findOneAndUpdate(
      { _id: current._id, version: current.version },
      { $set: { checklist }, $inc: { version: 1 } },
      { returnDocument: "after" },
    ).lean<EventDocument>();
    if (updated !== null) return updated;
    current = await loadEvent(models, current._id);
  }
  throw conflict("同時に変更されました。再度お試しください (the event changed meanwhile; try again)");
}

/** How often a write that lost a race with another is tried again before CONFLICT. */
const ATTEMPTS = 3;

function changedTask(task: ChecklistTaskRecord, change: ChecklistTaskChange, actor: string, now: Date): ChecklistTaskRecord {
  const { doneAt, doneBy, ...rest } = task;
  const done = change.done ?? task.done;
  return {
    ...rest,
    ...(change.title === undefined ? {} : { title: change.title }),
    ...(change.assigneeId === undefined ? {} : { assigneeId: oid(change.assigneeId) }),
    ...(change.assigneeName === undefined ? {} : { assigneeName: change.assigneeName }),
    ...(change.dueAt === undefined ? {} : { dueAt: change.dueAt }),
    done,
    ...(done ? (task.done ? { doneAt, doneBy } : { doneAt: now, doneBy: actor }) : {}),
  };
}
