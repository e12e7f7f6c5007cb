// iCalendar feeds over HTTP: the public events (/calendar/public.ics) and each member's registrations (/calendar/members/<secret token>.ics, since calendar apps cannot send bearer tokens), and issuing a member's token.
import { createHash, randomBytes } from "node:crypto";
import { Router } from "express";
import type { Response } from "express";
import { Types, trusted } from "mongoose";
import { isObjectIdHex, trackingOf } from "@tsunagu/service-kit";
import { refusal } from "./access";
import type { EventsContext } from "./context";
import { EVENT_TYPE_LABELS, tokyoTimeLabel } from "./domain";
import { renderCalendar } from "./icalendar";
import type { CalendarEntry } from "./icalendar";
import type { CalendarFeedDocument, EventDocument, EventModels, RegistrationDocument } from "./models";
import { toRrule } from "./recurrence";

/** Feeds show events from this long ago, so that a just-finished event stays in a calendar for a while. */
const PAST_DAYS = 30;
/** ... and up to this far ahead. */
const FUTURE_DAYS = 400;
/** The most events one feed holds. */
const MAX_ENTRIES = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

export const CALENDAR_PATH = "/calendar";
export const PUBLIC_FEED_PATH = `${CALENDAR_PATH}/public.ics`;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** One VEVENT for an event; a waitlisted registration is marked as such and TENTATIVE. */
function calendarEntry(event: EventDocument, waitlisted = false): CalendarEntry {
  const details = [
    `${EVENT_TYPE_LABELS[event.type]} / ${tokyoTimeLabel(event.startsAt, event.endsAt)}`,
    event.description,
    event.fee > 0 ? `参加費: ${event.fee}円${event.feeNote === undefined ? "" : `（${event.feeNote}）`}` : "参加費: 無料",
    event.onlineUrl === undefined ? undefined : `オンライン参加: ${event.onlineUrl}`,
    event.status === "CANCELLED" ? `中止: ${event.cancellationReason ?? ""}` : undefined,
  ].filter((line): line is string => line !== undefined);
  return {
    uid: `${event._id.toHexString()}@events.tsunagu`,
    sequence: event.version,
    lastModified: event.updatedAt,
    startsAt: event.startsAt,
    endsAt: event.endsAt,
    rrule: event.recurrence === undefined ? undefined : toRrule(event.recurrence),
    summary: `${waitlisted ? "【キャンセル待ち】" : ""}${event.title}`,
    description: details.join("\n"),
    location: event.place ?? (event.format === "ONLINE" ? "オンライン" : undefined),
    url: event.onlineUrl,
    status: event.status === "CANCELLED" ? "CANCELLED" : waitlisted ? "TENTATIVE" : "CONFIRMED",
    categories: [EVENT_TYPE_LABELS[event.type]],
  };
}

/** The window every feed covers around `now`, as a condition on events (cancelled ones stay, so that calendars drop them). */
function feedWindow(now: Date): Record<string, unknown> {
  return {
    startsAt: trusted({ $lt: new Date(now.getTime() + FUTURE_DAYS * DAY_MS) }),
    $or: [{ seriesEndsAt: null }, { seriesEndsAt: trusted({ $gte: new Date(now.getTime() - PAST_DAYS * DAY_MS) }) }],
  };
}

/** The public feed: every PUBLIC event in the window. */
async function publicCalendar(models: EventModels, now: Date): Promise<string> {
  const events = await models.Event.find({ visibility: "PUBLIC", ...feedWindow(now) })
    .sort({ startsAt: 1 })
    .limit(MAX_ENTRIES)
    .lean<EventDocument[]>();
  return renderCalendar({ name: "つなぐ 研修・講座（公開）", generatedAt: now, entries: events.map((event) => calendarEntry(event)) });
}

/** A member's feed: the events of their active registrations in the window; undefined for an unknown token. */
async function memberCalendar(models: EventModels, token: string, now: Date): Promise<string | undefined> {
  const feed = await models.CalendarFeed.findOne({ tokenHash: hashToken(token) }).lean<CalendarFeedDocument>();
  if (feed === null) return undefined;
  const registrations = await models.Registration.find({ memberId: feed.memberId, active: true }, { eventId: 1, status: 1 }).lean<
    Pick<RegistrationDocument, "eventId" | "status">[]
  >();
  const waitlisted = new Set(registrations.filter((row) => row.status === "WAITLISTED").map((row) => row.eventId.toHexString()));
  const events = await models.Event.find({ _id: trusted({ $in: registrations.map((row) => row.eventId) }), ...feedWindow(now) })
    .sort({ startsAt: 1 })
    .limit(MAX_ENTRIES)
    .lean<EventDocument[]>();
  return renderCalendar({
    name: "つなぐ 申込済みの研修・会議",
    generatedAt: now,
    entries: events.map((event) => calendarEntry(event, waitlisted.has(event._id.toHexString()))),
  });
}

/** Issues the signed-in member's feed URL; a new one replaces the previous (which stops working). */
export async function issueCalendarFeed(context: EventsContext): Promise<{ url: string; issuedAt: Date }> {
  const { memberId } = context.identity;
  if (memberId === undefined || !isObjectIdHex(memberId)) {
    throw refusal(context.identity, "カレンダー購読はメンバーとしてサインインした人のみ発行できます (sign in as a member to get your calendar feed)");
  }
  const token = randomBytes(32).toString("base64url");
  const issuedAt = new Date();
  await context.models.CalendarFeed.updateOne(
    { memberId: new Types.ObjectId(memberId) },
    { $set: { tokenHash: hashToken(token), issuedAt } },
    { upsert: true },
  );
  return { url: `${context.calendarOrigin()}${CALENDAR_PATH}/members/${token}.ics`, issuedAt };
}

const TOKEN_FILE = /^([A-Za-z0-9_-]{43})\.ics$/;

/**
 * The feeds as express routes on the events subgraph (outside GraphQL and its signed identity): the public feed is
 * open; a member's feed is found by the SHA-256 of its token, and an unknown token is a plain 404.
 */
export function calendarRoutes(models: EventModels): Router {
  const router = Router();
  const send = (res: Response, body: string, cache: string) =>
    res.status(200).set({ "Content-Type": "text/calendar; charset=utf-8", "Cache-Control": cache }).send(body);
  router.get(PUBLIC_FEED_PATH, async (_req, res, next) => {
    try {
      send(res, await publicCalendar(models, new Date()), "public, max-age=300");
    } catch (error) {
      next(error);
    }
  });
  router.get(`${CALENDAR_PATH}/members/:file`, async (req, res, next) => {
    try {
      const token = TOKEN_FILE.exec(req.params.file)?.[1];
      const body = token === undefined ? undefined : await memberCalendar(models, token, new Date());
      if (body === undefined) {
        trackingOf(res).logger.info("calendar feed asked for with an unknown token");
        res.status(404).type("text/plain").send("Not found");
        return;
      }
      send(res, body, "private, no-cache");
    } catch (error) {
      next(error);
    }
  });
  return router;
}
