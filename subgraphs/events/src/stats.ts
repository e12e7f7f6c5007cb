// The programme's figures for a period: events held by kind, attendances by profession, distinct organisations, multi-profession meetings, satisfaction, and progress against the yearly targets the city stores.
import { Types, trusted } from "mongoose";
import type { QueryFilter } from "mongoose";
import { fiscalYearOf } from "@tsunagu/service-kit";
import { actorName } from "./access";
import type { EventsContext } from "./context";
import {
  EVENT_TYPES,
  EVENT_TYPE_LABELS,
  MULTI_PROFESSION_MIN_PROFESSIONS,
  PROFESSIONS,
  PROFESSION_LABELS,
  SATISFACTIONS,
  TARGET_INDICATORS,
  TARGET_INDICATOR_LABELS,
  TRAINING_TYPES,
} from "./domain";
import type { EventType, Profession, Satisfaction, StatsArgs, TargetIndicator, TargetInput } from "./domain";
import type { EventDocument, TargetDocument } from "./models";
import { occurrencesOf } from "./recurrence";
import { distributionOf } from "./surveys";
import type { SatisfactionDistribution } from "./surveys";

export interface EventStats {
  from: Date;
  to: Date;
  asOf: Date;
  events: number;
  cancelledEvents: number;
  eventsByType: { type: EventType; label: string; events: number; participants: number }[];
  participants: number;
  residentParticipants: number;
  participantsByProfession: { profession: Profession; label: string; participants: number }[];
  distinctOrganizations: number;
  multiProfessionMeetings: number;
  satisfaction: SatisfactionDistribution;
  targets: { fiscalYear: number; indicator: TargetIndicator; label: string; target: number; actual: number | null; percentOfTarget: number | null }[];
}

/** Attendances of one event by profession and organisation (profession null: residents). */
interface AttendanceRow {
  _id: { event: Types.ObjectId; profession: Profession | null; organization: Types.ObjectId | null };
  count: number;
}

/** An event with its sessions held in the period (one for a single event, each held occurrence for a series). */
type HeldEvent = Pick<EventDocument, "_id" | "type" | "startsAt"> & { sessions: Date[] };

/** The most sessions of one series counted in a period (five years of weekly sessions). */
const MAX_SESSIONS = 300;

/** The starts of `event`'s sessions in [from, until): each occurrence for a series, the event itself otherwise. */
function sessionsIn(event: Pick<EventDocument, "startsAt" | "endsAt" | "recurrence">, from: Date, until: Date): Date[] {
  if (event.recurrence === undefined) return event.startsAt >= from && event.startsAt < until ? [event.startsAt] : [];
  return occurrencesOf(event, { from, to: until }, MAX_SESSIONS)
    .map((occurrence) => occurrence.startsAt)
    .filter((start) => start >= from);
}

/** The figures of a set of held events, from their attendance rows and survey answers. */
function figuresOf(events: readonly HeldEvent[], attendance: readonly AttendanceRow[], answers: ReadonlyMap<string, Record<Satisfaction, number>>) {
  const ids = new Set(events.map((event) => event._id.toHexString()));
  const rows = attendance.filter((row) => ids.has(row._id.event.toHexString()));
  const typeOf = new Map(events.map((event) => [event._id.toHexString(), event.type]));
  const byProfession = new Map<Profession, number>();
  const professionsByEvent = new Map<string, Set<Profession>>();
  const organizations = new Set<string>();
  const participantsByType = new Map<EventType, number>();
  let participants = 0;
  let residents = 0;
  for (const row of rows) {
    const event = row._id.event.toHexString();
    participants += row.count;
    const type = typeOf.get(event) as EventType;
    participantsByType.set(type, (participantsByType.get(type) ?? 0) + row.count);
    if (row._id.organization !== null) organizations.add(row._id.organization.toHexString());
    const { profession } = row._id;
    if (profession === null) {
      residents += row.count;
      continue;
    }
    byProfession.set(profession, (byProfession.get(profession) ?? 0) + row.count);
    professionsByEvent.set(event, (professionsByEvent.get(event) ?? new Set()).add(profession));
  }
  const tally = Object.fromEntries(SATISFACTIONS.map((answer) => [answer, 0])) as Record<Satisfaction, number>;
  for (const id of ids) for (const answer of SATISFACTIONS) tally[answer] += answers.get(id)?.[answer] ?? 0;
  const attendedIn = (types: readonly EventType[]) => types.reduce((sum, type) => sum + (participantsByType.get(type) ?? 0), 0);
  const multiProfessionMeetings = [...professionsByEvent.values()].filter((professions) => professions.size >= MULTI_PROFESSION_MIN_PROFESSIONS).length;
  const satisfaction = distributionOf(tally);
  return {
    participants,
    residents,
    byProfession,
    participantsByType,
    organizations: organizations.size,
    multiProfessionMeetings,
    satisfaction,
    indicators: {
      TRAINING_ATTENDEES: attendedIn(TRAINING_TYPES),
      MULTI_PROFESSION_MEETINGS: multiProfessionMeetings,
      RESIDENT_LECTURE_ATTENDEES: attendedIn(["RESIDENT_LECTURE"]),
      SATISFIED_PERCENT: satisfaction.satisfiedPercent,
    } satisfies Record<TargetIndicator, number | null>,
  };
}

/**
 * Figures for sessions held in [from, to) up to now (a period reaching into the future counts what was held to date;
 * a recurring event counts each session), cancelled events apart, with the group and kind filters applied; each stored
 * yearly target of a fiscal year the period touches is compared with the figures of the part of the period inside
 * that fiscal year. Satisfaction without answers is no data (null), never 0%.
 */
export async function eventStats(context: EventsContext, args: StatsArgs): Promise<EventStats> {
  const { models } = context;
  const now = new Date();
  const asOf = new Date(Math.min(args.to.getTime(), now.getTime()));
  const conditions: QueryFilter<EventDocument>[] = [
    { startsAt: trusted({ $lt: args.to }) },
    { $or: [{ seriesEndsAt: null }, { seriesEndsAt: trusted({ $gt: args.from }) }] },
  ];
  if (args.types) conditions.push({ type: trusted({ $in: args.types }) });
  if (args.organiserId) {
    const group = new Types.ObjectId(args.organiserId);
    conditions.push({ $or: [{ organiserIds: group }, { coHostIds: group }] });
  }
  const candidates = await models.Event.find({ $and: conditions }, { type: 1, status: 1, startsAt: 1, endsAt: 1, recurrence: 1 }).lean<
    Pick<EventDocument, "_id" | "type" | "status" | "startsAt" | "endsAt" | "recurrence">[]
  >();
  const events = candidates.filter((event) => sessionsIn(event, args.from, args.to).length > 0);
  const held: HeldEvent[] = events
    .filter((event) => event.status === "SCHEDULED")
    .map((event) => ({ _id: event._id, type: event.type, startsAt: event.startsAt, sessions: sessionsIn(event, args.from, asOf) }))
    .filter((event) => event.sessions.length > 0);
  const heldIds = held.map((event) => event._id);
  const [attendance, answerRows] = await Promise.all([
    models.Registration.aggregate<AttendanceRow>([
      { $match: { eventId: { $in: heldIds }, status: "REGISTERED", attendedAt: { $ne: null } } },
      {
        $group: {
          _id: { event: "$eventId", profession: { $ifNull: ["$profession", null] }, organization: { $ifNull: ["$organizationId", null] } },
          count: { $sum: 1 },
        },
      },
    ]),
    models.SurveyResponse.aggregate<{ _id: { event: Types.ObjectId; answer: Satisfaction }; count: number }>([
      { $match: { eventId: { $in: heldIds } } },
      { $group: { _id: { event: "$eventId", answer: "$satisfaction" }, count: { $sum: 1 } } },
    ]),
  ]);
  const answers = new Map<string, Record<Satisfaction, number>>();
  for (const row of answerRows) {
    const id = row._id.event.toHexString();
    const tally = answers.get(id) ?? (Object.fromEntries(SATISFACTIONS.map((answer) => [answer, 0])) as Record<Satisfaction, number>);
    tally[row._id.answer] += row.count;
    answers.set(id, tally);
  }
  const all = figuresOf(held, attendance, answers);

  const firstYear = fiscalYearOf(args.from);
  const lastYear = fiscalYearOf(new Date(args.to.getTime() - 1));
  const years = Array.from({ length: lastYear - firstYear + 1 }, (_, index) => firstYear + index);
  const targets = await models.Target.find({ fiscalYear: trusted({ $in: years }) })
    .sort({ fiscalYear: 1 })
    .lean<TargetDocument[]>();
  const inYear = (year: number) =>
    held.map((event) => ({ ...event, sessions: event.sessions.filter((start) => fiscalYearOf(start) === year) })).filter((event) => event.sessions.length > 0);
  const byYear = new Map(years.map((year) => [year, figuresOf(inYear(year), attendance, answers)]));
  const sessionsOf = (events: readonly HeldEvent[]) => events.reduce((sum, event) => sum + event.sessions.length, 0);

  return {
    from: args.from,
    to: args.to,
    asOf,
    events: sessionsOf(held),
    cancelledEvents: events.filter((event) => event.status === "CANCELLED").length,
    eventsByType: EVENT_TYPES.map((type) => ({
      type,
      label: EVENT_TYPE_LABELS[type],
      events: sessionsOf(held.filter((event) => event.type === type)),
      participants: all.participantsByType.get(type) ?? 0,
    })).filter((row) => row.events > 0),
    participants: all.participants,
    residentParticipants: all.residents,
    participantsByProfession: PROFESSIONS.filter((profession) => all.byProfession.has(profession))
      .map((profession) => ({ profession, label: PROFESSION_LABELS[profession], participants: all.byProfession.get(profession) ?? 0 }))
      .sort((a, b) => b.participants - a.participants),
    distinctOrganizations: all.organizations,
    multiProfessionMeetings: all.multiProfessionMeetings,
    satisfaction: all.satisfaction,
    targets: targets
      .sort((a, b) => a.fiscalYear - b.fiscalYear || TARGET_INDICATORS.indexOf(a.indicator) - TARGET_INDICATORS.indexOf(b.indicator))
      .map((target) => {
        const actual = byYear.get(target.fiscalYear)?.indicators[target.indicator] ?? null;
        return {
          fiscalYear: target.fiscalYear,
          indicator: target.indicator,
          label: TARGET_INDICATOR_LABELS[target.indicator],
          target: target.target,
          actual,
          percentOfTarget: actual === null ? null : Math.round((actual / target.target) * 1000) / 10,
        };
      }),
  };
}

/** Sets (or replaces) a fiscal year's target for one indicator. */
export async function setTarget(context: EventsContext, input: TargetInput): Promise<TargetDocument> {
  const target = await context.models.Target.findOneAndUpdate(
    { fiscalYear: input.fiscalYear, indicator: input.indicator },
    { $set: { target: input.target, setBy: actorName(context.identity), updatedAt: new Date() } },
    { upsert: true, returnDocument: "after" },
  ).lean<TargetDocument>();
  if (target === null) throw new Error("upsert returned no target");
  return target;
}

/** A fiscal year's targets in indicator order. */
export async function targetsOf(context: EventsContext, fiscalYear: number): Promise<TargetDocument[]> {
  const targets = await context.models.Target.find({ fiscalYear }).lean<TargetDocument[]>();
  return targets.sort((a, b) => TARGET_INDICATORS.indexOf(a.indicator) - TARGET_INDICATORS.indexOf(b.indicator));
}
