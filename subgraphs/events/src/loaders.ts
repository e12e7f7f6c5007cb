// Per-request DataLoaders of the events subgraph: events and registrations by id, waiting lists, own registrations and survey tallies by event, and the pages of events per group or venue and of registrations per member or event, each batch one query.
import DataLoader from "dataloader";
import { Types, trusted } from "mongoose";
import type { QueryFilter } from "mongoose";
import { byIdLoader, isObjectIdHex, keysetOf, keysetPage, resumeAfter, sortDocument } from "@tsunagu/service-kit";
import type { CursorValue, Identity, Page, SortKey } from "@tsunagu/service-kit";
import { visibleEventsFilter } from "./access";
import { SATISFACTIONS } from "./domain";
import type { RegistrationStatus, Satisfaction } from "./domain";
import type { EventDocument, EventModels, RegistrationDocument } from "./models";

/** An entity another subgraph owns (Group, Member, Resource), as this subgraph knows it: its key. */
export interface EntityReference {
  id: string;
}

/** Survey answers of one event: count per answer. */
export type SatisfactionTally = Readonly<Record<Satisfaction, number>>;

/** Which page of which parent's list: the parent's id, the time window and the page. */
export interface ChildPageKey {
  parentId: string;
  from?: Date;
  to?: Date;
  includePast?: boolean;
  /** Only registrations in this state (an event's registrations). */
  status?: RegistrationStatus;
  first: number;
  after?: string;
}

/** Created for each request in `createContext`, never shared: one caller's reads (and visibility) never serve another's. */
export interface EventLoaders {
  event: DataLoader<string, EventDocument | null>;
  registration: DataLoader<string, RegistrationDocument | null>;
  /** Waiting-list numbers of an event's WAITLISTED registrations, smallest (next to be promoted) first. */
  waitlist: DataLoader<string, number[]>;
  /** The caller's active registration for an event, when the caller is a member. */
  ownRegistration: DataLoader<string, RegistrationDocument | null>;
  satisfaction: DataLoader<string, SatisfactionTally>;
  /** Events a group organises or co-hosts that the caller may see. */
  groupEvents: DataLoader<ChildPageKey, Page<EventDocument>, string>;
  /** Events held at a venue that the caller may see. */
  venueEvents: DataLoader<ChildPageKey, Page<EventDocument>, string>;
  /** A member's active registrations by event start. */
  memberRegistrations: DataLoader<ChildPageKey, Page<RegistrationDocument>, string>;
  /** An event's registrations in the order they were made. */
  eventRegistrations: DataLoader<ChildPageKey, Page<RegistrationDocument>, string>;
}

export interface LoaderOptions {
  /** False sends one query per key: the baseline of the DataLoader benchmark, never used to serve requests. */
  batch?: boolean;
}

/** Everything a page depends on but its parent. */
const windowOf = (key: ChildPageKey) => [key.from?.toISOString(), key.to?.toISOString(), key.includePast, key.status];
const keyOf = (key: ChildPageKey) => JSON.stringify([key.parentId.toLowerCase(), ...windowOf(key), key.first, key.after]);

/** How one kind of child list is read: which rows belong to which parents, their order, and the rest of the filter. */
interface ChildList<T> {
  name: string;
  /** The filter for these parents and this window (visibility included). */
  filter(parentIds: Types.ObjectId[], key: ChildPageKey): QueryFilter<T>;
  /** The parents (hex ids) a row belongs to. */
  parentsOf(row: T): string[];
  /** The date the list is ordered by (then `_id`). */
  sortField: string;
  valuesOf(row: T): CursorValue[];
  find(filter: QueryFilter<T>, sort: Record<string, 1 | -1>): Promise<T[]>;
}

/**
 * A loader of one page per parent: keys asking for the same window and page size share one query over all their
 * parents (rows split afterwards); a key with a cursor is read on its own, since a cursor belongs to one parent's list.
 */
function childPagesLoader<T>(list: ChildList<T>, batch: boolean): DataLoader<ChildPageKey, Page<T>, string> {
  return new DataLoader<ChildPageKey, Page<T>, string>(
    async (keys) => {
      const groups = new Map<string, ChildPageKey[]>();
      for (const key of keys) {
        const signature = JSON.stringify([...windowOf(key), key.first, key.after === undefined ? undefined : [key.after, key.parentId]]);
        groups.set(signature, [...(groups.get(signature) ?? []), key]);
      }
      const pages = new Map<string, Page<T>>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const first = group[0];
          const order: SortKey[] = [
            { path: list.sortField, direction: 1 },
            { path: "_id", direction: 1 },
          ];
          const keyset = (key: ChildPageKey) => keysetOf(order, [list.name, key.parentId.toLowerCase(), ...windowOf(key)]);
          const parentIds = group.filter((key) => isObjectIdHex(key.parentId)).map((key) => new Types.ObjectId(key.parentId));
          const conditions: QueryFilter<T>[] = [list.filter(parentIds, first)];
          const resume = resumeAfter(keyset(first), first.after);
          if (resume !== undefined) conditions.push(resume);
          const rows = parentIds.length === 0 ? [] : await list.find({ $and: conditions }, sortDocument(order));
          for (const key of group) {
            const parent = key.parentId.toLowerCase();
            const own = rows.filter((row) => list.parentsOf(row).includes(parent)).slice(0, key.first + 1);
            pages.set(
              keyOf(key),
              keysetPage(keyset(key), own, key.first, (row) => list.valuesOf(row), key.after !== undefined),
            );
          }
        }),
      );
      return keys.map((key) => pages.get(keyOf(key)) as Page<T>);
    },
    { batch, cacheKeyFn: keyOf },
  );
}

/** Events of a time window: sessions ending at or after `from` (default now) and starting before `to`; cancelled ones left out. */
export function eventWindowFilter(from: Date, to: Date | undefined): Record<string, unknown> {
  return {
    status: "SCHEDULED",
    $or: [{ seriesEndsAt: null }, { seriesEndsAt: trusted({ $gte: from }) }],
    ...(to === undefined ? {} : { startsAt: trusted({ $lt: to }) }),
  };
}

const hex = (ids: readonly Types.ObjectId[]) => ids.map((id) => id.toHexString());

export function createLoaders(models: EventModels, identity: Identity, { batch = true }: LoaderOptions = {}): EventLoaders {
  const { Event, Registration, SurveyResponse } = models;
  const visible = visibleEventsFilter(identity);
  const eventValues = (event: EventDocument): CursorValue[] => [event.startsAt, event._id];
  const findEvents = (filter: QueryFilter<EventDocument>, sort: Record<string, 1 | -1>) => Event.find(filter).sort(sort).lean<EventDocument[]>();
  const findRegistrations = (filter: QueryFilter<RegistrationDocument>, sort: Record<string, 1 | -1>) =>
    Registration.find(filter).sort(sort).lean<RegistrationDocument[]>();
  const memberId = identity.memberId !== undefined && isObjectIdHex(identity.memberId) ? new Types.ObjectId(identity.memberId) : undefined;

  return {
    event: byIdLoader((ids) => Event.find({ _id: trusted({ $in: ids }) }).lean<EventDocument[]>(), batch),
    registration: byIdLoader((ids) => Registration.find({ _id: trusted({ $in: ids }) }).lean<RegistrationDocument[]>(), batch),
    waitlist: new DataLoader<string, number[]>(
      async (eventIds) => {
        const rows = await Registration.find(
          { eventId: trusted({ $in: eventIds.map((id) => new Types.ObjectId(id)) }), status: "WAITLISTED" },
          { eventId: 1, waitlistSequence: 1 },
        )
          .sort({ waitlistSequence: 1 })
          .lean<Pick<RegistrationDocument, "eventId" | "waitlistSequence">[]>();
        return eventIds.map((id) => rows.filter((row) => row.eventId.toHexString() === id).map((row) => row.waitlistSequence ?? 0));
      },
      { batch },
    ),
    ownRegistration: new DataLoader<string, RegistrationDocument | null>(
      async (eventIds) => {
        if (memberId === undefined) return eventIds.map(() => null);
        const rows = await Registration.find({
          eventId: trusted({ $in: eventIds.map((id) => new Types.ObjectId(id)) }),
          memberId,
          active: true,
        }).lean<RegistrationDocument[]>();
        return eventIds.map((id) => rows.find((row) => row.eventId.toHexString() === id) ?? null);
      },
      { batch },
    ),
    satisfaction: new DataLoader<string, SatisfactionTally>(
      async (eventIds) => {
        const rows = await SurveyResponse.aggregate<{ _id: { event: Types.ObjectId; answer: Satisfaction }; count: number }>([
          { $match: { eventId: { $in: eventIds.map((id) => new Types.ObjectId(id)) } } },
          { $group: { _id: { event: "$eventId", answer: "$satisfaction" }, count: { $sum: 1 } } },
        ]);
        return eventIds.map((id) => {
          const own = rows.filter((row) => row._id.event.toHexString() === id);
          return Object.fromEntries(SATISFACTIONS.map((answer) => [answer, own.find((row) => row._id.answer === answer)?.count ?? 0])) as SatisfactionTally;
        });
      },
      { batch },
    ),
    groupEvents: childPagesLoader<EventDocument>(
      {
        name: "group",
        filter: (ids, key) => ({
          $and: [
            { $or: [{ organiserIds: trusted({ $in: ids }) }, { coHostIds: trusted({ $in: ids }) }] },
            eventWindowFilter(key.from ?? new Date(), key.to),
            visible,
          ],
        }),
        parentsOf: (event) => [...hex(event.organiserIds), ...hex(event.coHostIds)],
        sortField: "startsAt",
        valuesOf: eventValues,
        find: findEvents,
      },
      batch,
    ),
    venueEvents: childPagesLoader<EventDocument>(
      {
        name: "venue",
        filter: (ids, key) => ({ $and: [{ venueId: trusted({ $in: ids }) }, eventWindowFilter(key.from ?? new Date(), key.to), visible] }),
        parentsOf: (event) => (event.venueId === undefined ? [] : [event.venueId.toHexString()]),
        sortField: "startsAt",
        valuesOf: eventValues,
        find: findEvents,
      },
      batch,
    ),
    memberRegistrations: childPagesLoader<RegistrationDocument>(
      {
        name: "member",
        filter: (ids, key) => ({
          memberId: trusted({ $in: ids }),
          active: true,
          ...(key.includePast ? {} : { $or: [{ eventSeriesEndsAt: null }, { eventSeriesEndsAt: trusted({ $gte: new Date() }) }] }),
        }),
        parentsOf: (registration) => (registration.memberId === undefined ? [] : [registration.memberId.toHexString()]),
        sortField: "eventStartsAt",
        valuesOf: (registration) => [registration.eventStartsAt, registration._id],
        find: findRegistrations,
      },
      batch,
    ),
    eventRegistrations: childPagesLoader<RegistrationDocument>(
      {
        name: "event",
        filter: (ids, key) => ({ eventId: trusted({ $in: ids }), ...(key.status === undefined ? {} : { status: key.status }) }),
        parentsOf: (registration) => [registration.eventId.toHexString()],
        sortField: "registeredAt",
        valuesOf: (registration) => [registration.registeredAt, registration._id],
        find: findRegistrations,
      },
      batch,
    ),
  };
}
