// The events subgraph's resolvers, typed by codegen: each validates its arguments, checks access where a field is restricted, and delegates to a service or a per-request loader.
import { z } from "zod";
import { GraphQLDateTime, GraphQLEmailAddress, GraphQLURL } from "graphql-scalars";
import { creationStamp, instantSchema, parseObjectId, parsePage, validated, validatedInResolvers } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import { isStaff, mayManage, refusal, requireManager, requireStaff } from "./access";
import { PUBLIC_FEED_PATH, issueCalendarFeed } from "./calendar";
import type { EventsContext } from "./context";
import {
  EVENT_TYPE_LABELS,
  TARGET_INDICATOR_LABELS,
  attendeeSchema,
  checklistTaskChangeSchema,
  checklistTaskInputSchema,
  createEventInputSchema,
  eventFilterSchema,
  reasonSchema,
  statsArgsSchema,
  surveyInputSchema,
  targetInputSchema,
  tokyoTimeLabel,
  updateEventInputSchema,
} from "./domain";
import { addChecklistTask, cancelEvent, createEvent, listEvents, updateChecklistTask, updateEvent } from "./events";
import { findVisibleEvent } from "./access";
import type { Resolvers } from "./generated/resolvers-types";
import type { ChildPageKey } from "./loaders";
import { occurrencesOf, toRrule } from "./recurrence";
import { cancelRegistration, checkIn, findRegistration, isRegistrationOpen, maySeeContact, registerForEvent, waitlistPosition } from "./registrations";
import { eventStats, setTarget, targetsOf } from "./stats";
import { distributionOf, submitSurvey, surveyComments } from "./surveys";

const countSchema = z.object({
  first: z.number().int().min(1, "1以上です (at least 1)").max(100, "100件までです (at most 100)").default(20),
});

const windowSchema = z.object({ from: instantSchema.optional(), to: instantSchema.optional() });

const id = (raw: string, field: string) => parseObjectId(raw, field).toHexString();

/** The loader key of a child list page: the parent, the validated window and the page. */
function childPage(parentId: string, args: { from?: unknown; to?: unknown; first?: number | null; after?: string | null }): ChildPageKey {
  const window = validated(windowSchema, { from: args.from, to: args.to }, "");
  const page = parsePage(args);
  return { parentId, ...window, first: page.first, ...(page.after === undefined ? {} : { after: page.after }) };
}

/** The idempotency stamp of a create mutation: its key (validated on `field`), scope and input as sent. */
function createRequest(context: EventsContext, rawKey: unknown, field: string, input: unknown): CreationStamp {
  return creationStamp(context.identity, rawKey, field, input, new Date());
}

export const resolvers: Resolvers = {
  DateTime: validatedInResolvers(GraphQLDateTime),
  URL: validatedInResolvers(GraphQLURL),
  EmailAddress: validatedInResolvers(GraphQLEmailAddress),
  Query: {
    event: (_root, args, context) => findVisibleEvent(context, id(args.id, "id")),
    events: (_root, { filter, first, after }, context) =>
      listEvents(context, validated(eventFilterSchema, filter ?? {}, "filter"), parsePage({ first, after })),
    registration: (_root, args, context) => findRegistration(context, id(args.id, "id"), args.accessCode ?? undefined),
    eventStats: (_root, args, context) => {
      requireStaff(context.identity, "実績の集計");
      return eventStats(context, validated(statsArgsSchema, args, ""));
    },
    eventTargets: (_root, { fiscalYear }, context) => {
      requireStaff(context.identity, "年度目標");
      return targetsOf(context, validated(z.object({ fiscalYear: z.number().int().min(2000).max(2100) }), { fiscalYear }, "").fiscalYear);
    },
    publicCalendarUrl: (_root, _args, context) => `${context.calendarOrigin()}${PUBLIC_FEED_PATH}`,
  },
  Mutation: {
    createEvent: (_root, { input, idempotencyKey }, context) =>
      createEvent(context, validated(createEventInputSchema, input, "input"), createRequest(context, idempotencyKey, "idempotencyKey", input)),
    updateEvent: (_root, args, context) =>
      updateEvent(context, id(args.id, "id"), validated(updateEventInputSchema, args.input, "input"), args.expectedVersion ?? undefined),
    cancelEvent: (_root, args, context) => cancelEvent(context, id(args.id, "id"), validated(reasonSchema, args.reason, "reason")),
    addChecklistTask: (_root, args, context) =>
      addChecklistTask(context, id(args.eventId, "eventId"), validated(checklistTaskInputSchema, args.input, "input")),
    updateChecklistTask: (_root, args, context) =>
      updateChecklistTask(context, id(args.eventId, "eventId"), id(args.taskId, "taskId"), validated(checklistTaskChangeSchema, args.input, "input")),
    registerForEvent: (_root, { input }, context) => {
      const eventId = id(input.eventId, "input.eventId");
      const attendee = input.attendee == null ? undefined : validated(attendeeSchema, input.attendee, "input.attendee");
      return registerForEvent(context, { eventId, attendee }, createRequest(context, input.idempotencyKey, "input.idempotencyKey", input));
    },
    cancelRegistration: (_root, args, context) => cancelRegistration(context, id(args.id, "id"), args.accessCode ?? undefined),
    checkIn: (_root, args, context) => checkIn(context, id(args.registrationId, "registrationId")),
    submitSurvey: (_root, { input }, context) => {
      const request = createRequest(context, input.idempotencyKey, "input.idempotencyKey", input);
      return submitSurvey(context, { ...validated(surveyInputSchema, input, "input"), idempotencyKey: request.key }, request);
    },
    setEventTarget: (_root, { input }, context) => {
      requireStaff(context.identity, "年度目標の設定");
      return setTarget(context, validated(targetInputSchema, input, "input"));
    },
    issueCalendarFeed: (_root, _args, context) => issueCalendarFeed(context),
  },
  Event: {
    __resolveReference: (reference, context) => findVisibleEvent(context, reference.id),
    id: (event) => event._id.toHexString(),
    typeLabel: (event) => EVENT_TYPE_LABELS[event.type],
    organisers: (event) => event.organiserIds.map((group) => ({ id: group.toHexString() })),
    coHosts: (event) => event.coHostIds.map((group) => ({ id: group.toHexString() })),
    venue: (event) => (event.venueId === undefined ? null : { id: event.venueId.toHexString() }),
    timeLabel: (event) => tokyoTimeLabel(event.startsAt, event.endsAt),
    recurrence: (event) => event.recurrence ?? null,
    occurrences: (event, args) => {
      const window = validated(windowSchema, { from: args.from, to: args.to }, "");
      const { first } = validated(countSchema, { first: args.first }, "");
      return occurrencesOf(event, { from: window.from ?? new Date(), to: window.to }, first);
    },
    capacity: (event) => event.capacity ?? null,
    registrationOpen: (event) => isRegistrationOpen(event, new Date()),
    visibilityGroup: (event) => (event.visibilityGroupId === undefined ? null : { id: event.visibilityGroupId.toHexString() }),
    checklist: (event, _args, context) => (mayManage(event, context.identity) ? event.checklist : null),
    registrationCounts: ({ capacity, seats }) => ({
      capacity: capacity ?? null,
      registered: seats.registered,
      waitlisted: seats.waitlisted,
      attended: seats.attended,
      remaining: capacity === undefined ? null : Math.max(0, capacity - seats.registered),
    }),
    myRegistration: (event, _args, context) => context.loaders.ownRegistration.load(event._id.toHexString()),
    registrations: (event, args, context) => {
      requireManager(event, context.identity);
      return context.loaders.eventRegistrations.load({ ...childPage(event._id.toHexString(), args), ...(args.status == null ? {} : { status: args.status }) });
    },
    surveySummary: async (event, _args, context) => {
      requireManager(event, context.identity);
      return { eventId: event._id, satisfaction: distributionOf(await context.loaders.satisfaction.load(event._id.toHexString())) };
    },
  },
  EventRecurrence: {
    rrule: (rule) => toRrule(rule),
  },
  ChecklistTask: {
    id: (task) => task._id.toHexString(),
    assignee: (task) => (task.assigneeId === undefined ? null : { id: task.assigneeId.toHexString() }),
  },
  Registration: {
    __resolveReference: (reference, context) => findRegistration(context, reference.id),
    id: (registration) => registration._id.toHexString(),
    event: async (registration, _args, context) => {
      const event = await context.loaders.event.load(registration.eventId.toHexString());
      if (event === null) throw new Error(`Registration ${registration._id.toHexString()} refers to a missing event`);
      return event;
    },
    member: (registration) => (registration.memberId === undefined ? null : { id: registration.memberId.toHexString() }),
    profession: (registration) => registration.profession ?? null,
    resident: (registration) => registration.profession === undefined,
    organization: (registration) => (registration.organizationId === undefined ? null : { id: registration.organizationId.toHexString() }),
    email: async (registration, _args, context) => ((await maySeeContact(context, registration)) ? (registration.email ?? null) : null),
    phone: async (registration, _args, context) => ((await maySeeContact(context, registration)) ? (registration.phone ?? null) : null),
    waitlistPosition: (registration, _args, context) => waitlistPosition(context, registration),
  },
  SurveyResponse: {
    id: (response) => response._id.toHexString(),
    event: async (response, _args, context) => {
      const event = await context.loaders.event.load(response.eventId.toHexString());
      if (event === null) throw new Error(`Survey response ${response._id.toHexString()} refers to a missing event`);
      return event;
    },
  },
  SurveySummary: {
    comments: (summary, args, context) => surveyComments(context, summary.eventId, validated(countSchema, { first: args.first }, "").first),
  },
  YearlyTarget: {
    label: (target) => TARGET_INDICATOR_LABELS[target.indicator],
  },
  Group: {
    __resolveReference: (reference) => ({ id: reference.id }),
    events: (group, args, context) => context.loaders.groupEvents.load(childPage(group.id, args)),
  },
  Resource: {
    __resolveReference: (reference) => ({ id: reference.id }),
    hostedEvents: (resource, args, context) => context.loaders.venueEvents.load(childPage(resource.id, args)),
  },
  Member: {
    __resolveReference: (reference) => ({ id: reference.id }),
    registrations: (member, args, context) => {
      const { identity } = context;
      if (!isStaff(identity) && identity.memberId?.toLowerCase() !== member.id.toLowerCase()) {
        throw refusal(identity, "申込の一覧は本人と調整役・管理者のみ閲覧できます (only the member and staff see a member's registrations)");
      }
      const page = parsePage(args);
      return context.loaders.memberRegistrations.load({
        parentId: member.id,
        includePast: args.includePast ?? false,
        first: page.first,
        ...(page.after === undefined ? {} : { after: page.after }),
      });
    },
  },
};
