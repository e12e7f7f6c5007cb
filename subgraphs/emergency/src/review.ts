// Reading the access log and the review reminders: a resident's own log, the coordinators' review with flags for unusual look-up patterns, and profiles not reviewed for six months.
import type { Types } from "mongoose";
import { trusted } from "mongoose";
import { badUserInput, findKeysetPage, forbidden, keysetOf, parseInstant, parsePage } from "@tsunagu/service-kit";
import type { Page, SortKey } from "@tsunagu/service-kit";
import type { AccessLogFlagKind } from "./generated/resolvers-types";
import { appendLog } from "./audit";
import type { EmergencyContext } from "./context";
import type { AccessLogDocument, ActorRecord, ProfileDocument } from "./models";
import { heldProfileIds } from "./profiles";

/** Look-ups by one user within this window count together for MANY_LOOKUPS and REPEATED_NO_MATCH. */
export const FLAG_WINDOW_MINUTES = 60;
/** MANY_LOOKUPS: at least this many look-ups by one user within FLAG_WINDOW_MINUTES. */
export const MANY_LOOKUPS_THRESHOLD = 10;
/** REPEATED_NO_MATCH: at least this many look-ups matching no one by one user within FLAG_WINDOW_MINUTES. */
export const REPEATED_NO_MATCH_THRESHOLD = 3;
/** The longest period one review covers. */
export const MAX_REVIEW_DAYS = 93;
/** A profile not reviewed for this long is stale. */
export const STALE_AFTER_MONTHS = 6;
const MAX_FLAG_ENTRY_IDS = 100;

const NEWEST_FIRST: readonly SortKey[] = [
  { path: "at", direction: -1 },
  { path: "_id", direction: -1 },
];
/** Page size of the access log and the review lists when `first` is not given. */
const LOG_PAGE_SIZE = 50;

type PageArgs = { first?: number | null; after?: string | null };

function logPage(context: EmergencyContext, filter: Record<string, unknown>, args: PageArgs): Promise<Page<AccessLogDocument>> {
  return findKeysetPage(
    keysetOf(NEWEST_FIRST, ["accessLog", filter]),
    parsePage(args, LOG_PAGE_SIZE),
    filter,
    (narrowed, sort, limit) => context.models.AccessLog.find(narrowed).sort(sort).limit(limit).lean<AccessLogDocument[]>(),
    (entry) => [entry.at, entry._id],
  );
}

/** Who accessed the caller's profiles (or the one given, which the caller must hold), newest first. */
export async function myAccessLog(context: EmergencyContext, profileId: string | null | undefined, args: PageArgs): Promise<Page<AccessLogDocument>> {
  const held = await heldProfileIds(context);
  let wanted = held;
  if (profileId != null) {
    wanted = held.filter((id) => id.toHexString() === profileId.toLowerCase());
    if (wanted.length === 0) throw forbidden("profileId: 自分または代理で管理しているプロフィールのみ指定できます (not a profile you hold)");
  }
  return logPage(context, { profileIds: trusted({ $in: wanted }) }, args);
}

/** Throws FORBIDDEN unless the caller is a coordinator or an administrator. */
export function requireCoordinator(context: EmergencyContext, what: string): void {
  const { role } = context.identity;
  if (role !== "COORDINATOR" && role !== "ADMIN") throw forbidden(`${what}はコーディネーター・管理者のみ利用できます (coordinators and administrators only)`);
}

/** An unusual pattern of one user's look-ups. */
export interface AccessFlag {
  kind: AccessLogFlagKind;
  actor: ActorRecord;
  count: number;
  firstAt: Date;
  lastAt: Date;
  entryIds: Types.ObjectId[];
}

/** The period under review and what was found in it; its entries are paged by their own resolver. */
export interface ReviewPeriod {
  from: Date;
  to: Date;
  entryCount: number;
  lookupCount: number;
  flags: AccessFlag[];
}

type LookupRow = Pick<AccessLogDocument, "_id" | "at" | "actor" | "outcome" | "incidentNumber">;

/** The densest run of `rows` (sorted by time) within `windowMs`, or null when it has fewer than `threshold`. */
function densestRun(rows: readonly LookupRow[], windowMs: number, threshold: number): LookupRow[] | null {
  let best: LookupRow[] = [];
  let start = 0;
  rows.forEach((row, end) => {
    while (row.at.getTime() - rows[start].at.getTime() > windowMs) start++;
    if (end - start + 1 > best.length) best = rows.slice(start, end + 1);
  });
  return best.length >= threshold ? best : null;
}

function flagOf(kind: AccessLogFlagKind, rows: readonly LookupRow[]): AccessFlag {
  const first = rows[0];
  const last = rows[rows.length - 1];
  return { kind, actor: first.actor, count: rows.length, firstAt: first.at, lastAt: last.at, entryIds: rows.slice(0, MAX_FLAG_ENTRY_IDS).map((r) => r._id) };
}

/** Flags per user: many look-ups in a window, look-ups without an incident number, repeated look-ups that matched no one. */
export function flagLookups(lookups: readonly LookupRow[]): AccessFlag[] {
  const byUser = new Map<string, LookupRow[]>();
  for (const row of lookups) {
    const key = `${row.actor.authMethod}:${row.actor.subject ?? row.actor.role}`;
    byUser.set(key, [...(byUser.get(key) ?? []), row]);
  }
  const windowMs = FLAG_WINDOW_MINUTES * 60_000;
  const flags: AccessFlag[] = [];
  for (const rows of byUser.values()) {
    const many = densestRun(rows, windowMs, MANY_LOOKUPS_THRESHOLD);
    if (many !== null) flags.push(flagOf("MANY_LOOKUPS", many));
    const withoutIncident = rows.filter((row) => row.incidentNumber === null);
    if (withoutIncident.length > 0) flags.push(flagOf("WITHOUT_INCIDENT_NUMBER", withoutIncident));
    const noMatch = densestRun(
      rows.filter((row) => row.outcome === "NO_MATCH"),
      windowMs,
      REPEATED_NO_MATCH_THRESHOLD,
    );
    if (noMatch !== null) flags.push(flagOf("REPEATED_NO_MATCH", noMatch));
  }
  return flags.sort((a, b) => b.count - a.count || a.firstAt.getTime() - b.firstAt.getTime() || a.kind.localeCompare(b.kind));
}

/** The coordinators' review of [from, to): counts and flags (entries are paged by `reviewEntries`). */
export async function accessLogReview(context: EmergencyContext, rawFrom: unknown, rawTo: unknown): Promise<ReviewPeriod> {
  requireCoordinator(context, "監査記録の点検");
  const from = parseInstant(rawFrom, "from");
  const to = parseInstant(rawTo, "to");
  if (to <= from) throw badUserInput("to: 終了は開始より後です (to must be after from)", "to");
  if (to.getTime() - from.getTime() > MAX_REVIEW_DAYS * 86_400_000) {
    throw badUserInput(`to: 期間は${MAX_REVIEW_DAYS}日以内です (at most ${MAX_REVIEW_DAYS} days)`, "to");
  }
  const period = { at: trusted({ $gte: from, $lt: to }) };
  const [entryCount, lookups] = await Promise.all([
    context.models.AccessLog.countDocuments(period),
    context.models.AccessLog.find({ ...period, action: "LOOKUP" }, { at: 1, actor: 1, outcome: 1, incidentNumber: 1 })
      .sort({ at: 1, _id: 1 })
      .lean<LookupRow[]>(),
  ]);
  return { from, to, entryCount, lookupCount: lookups.length, flags: flagLookups(lookups) };
}

/** The entries of a review period, newest first. */
export function reviewEntries(context: EmergencyContext, period: ReviewPeriod, args: PageArgs): Promise<Page<AccessLogDocument>> {
  return logPage(context, { at: trusted({ $gte: period.from, $lt: period.to }) }, args);
}

/** What a reminder shows: enough to find the person, never medical content. */
export interface ReviewReminder {
  profileId: string;
  name: string;
  district: string | null;
  lastReviewedAt: Date;
  careManager: { id: string } | null;
}

const OLDEST_REVIEW_FIRST: readonly SortKey[] = [
  { path: "lastReviewedAt", direction: 1 },
  { path: "_id", direction: 1 },
];

/** The moment six months before `now`. */
export function staleBefore(now: Date): Date {
  const moment = new Date(now);
  moment.setUTCMonth(moment.getUTCMonth() - STALE_AFTER_MONTHS);
  return moment;
}

/**
 * Profiles last reviewed before `olderThan` (default six months ago): every one for coordinators, their own clients
 * for a professional who is the care manager. Listing them is logged (one entry naming every profile listed).
 */
export async function profilesNeedingReview(context: EmergencyContext, olderThan: unknown, args: PageArgs): Promise<Page<ReviewReminder>> {
  const { identity, models, now } = context;
  const coordinator = identity.role === "COORDINATOR" || identity.role === "ADMIN";
  if (!coordinator && !(identity.role === "PROFESSIONAL" && identity.memberId !== undefined)) {
    throw forbidden("見直しリマインダーはコーディネーターと担当ケアマネジャーのみ利用できます (coordinators and care managers only)");
  }
  const before = olderThan == null ? staleBefore(now) : parseInstant(olderThan, "olderThan");
  const filter = {
    lastReviewedAt: trusted({ $lt: before }),
    ...(coordinator ? {} : { "careTeam.careManagerId": identity.memberId }),
  };
  const keyset = keysetOf(OLDEST_REVIEW_FIRST, ["reviewReminders", olderThan ?? null, coordinator ? null : identity.memberId]);
  const page = await findKeysetPage(
    keyset,
    parsePage(args, LOG_PAGE_SIZE),
    filter,
    (narrowed, sort, limit) =>
      models.Profile.find(narrowed, { "person.name": 1, "person.address.district": 1, lastReviewedAt: 1, "careTeam.careManagerId": 1 })
        .sort(sort)
        .limit(limit)
        .lean<Pick<ProfileDocument, "_id" | "person" | "lastReviewedAt" | "careTeam">[]>(),
    (profile) => [profile.lastReviewedAt, profile._id],
  );
  if (page.edges.length > 0) {
    await appendLog(context, {
      action: "REVIEW_REMINDER",
      outcome: "ALLOWED",
      profileIds: page.edges.map((edge) => edge.node._id),
      sections: ["PERSON", "CARE_TEAM", "REVIEW_STATUS"],
    });
  }
  return {
    pageInfo: page.pageInfo,
    edges: page.edges.map(({ cursor, node }) => ({
      cursor,
      node: {
        profileId: node._id.toHexString(),
        name: node.person.name,
        district: node.person.address.district,
        lastReviewedAt: node.lastReviewedAt,
        careManager: node.careTeam.careManagerId === null ? null : { id: node.careTeam.careManagerId },
      },
    })),
  };
}
