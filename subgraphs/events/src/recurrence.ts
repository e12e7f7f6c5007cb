// Recurring events in Tokyo wall-clock time: the RRULE subset supported (weekly or monthly, interval, weekdays, nth weekday, day of month, count or until), its sessions, the series' end and its RFC 5545 text.
import { fromTokyoWallClock, tokyoWallClock } from "@tsunagu/service-kit";
import { WEEKDAYS } from "./domain";
import type { Recurrence, Weekday } from "./domain";

/** One session of an event. */
export interface Occurrence {
  startsAt: Date;
  endsAt: Date;
}

/** What a series is made of: the first session and the rule. */
export interface Series {
  startsAt: Date;
  endsAt: Date;
  recurrence?: Recurrence;
}

/** Sessions generated before giving up on a rule that never reaches a window (ten years of weekly sessions, and more). */
const MAX_GENERATED = 5000;
const RRULE_DAYS: Readonly<Record<Weekday, string>> = { MON: "MO", TUE: "TU", WED: "WE", THU: "TH", FRI: "FR", SAT: "SA", SUN: "SU" };

/** The weekday of a Tokyo date, as MON..SUN. */
function weekdayOf(jsDay: number): Weekday {
  return WEEKDAYS[(jsDay + 6) % 7];
}

/** Days in a month (month 1-12). */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The day of month of the nth (1-5, or -1 for the last) `weekday` of a month, or undefined when there is none. */
export function nthWeekday(year: number, month: number, weekday: Weekday, nth: number): number | undefined {
  const days = daysIn(year, month);
  const matching: number[] = [];
  for (let day = 1; day <= days; day += 1) {
    if (weekdayOf(new Date(Date.UTC(year, month - 1, day)).getUTCDay()) === weekday) matching.push(day);
  }
  return nth === -1 ? matching.at(-1) : matching[nth - 1];
}

/** A weekly rule's days in week order; an empty list means the start's weekday. */
function weeklyDays(rule: Recurrence, startsAt: Date): Weekday[] {
  const days = rule.byWeekday.length > 0 ? rule.byWeekday : [weekdayOf(tokyoWallClock(startsAt).weekday)];
  return [...days].sort((a, b) => WEEKDAYS.indexOf(a) - WEEKDAYS.indexOf(b));
}

/** Session starts the rule generates from the first session on, in order, without the count or until limits. */
function* candidateStarts(startsAt: Date, rule: Recurrence): Generator<Date> {
  const start = tokyoWallClock(startsAt);
  const at = (year: number, month: number, day: number) => fromTokyoWallClock(year, month, day, start.hour, start.minute, start.second);
  if (rule.frequency === "WEEKLY") {
    // Weeks start on Monday (RFC 5545's default WKST=MO); `interval` counts weeks from the start's week.
    const days = weeklyDays(rule, startsAt).map((day) => WEEKDAYS.indexOf(day));
    const monday = start.day - ((start.weekday + 6) % 7);
    for (let week = 0; ; week += rule.interval) {
      for (const dayIndex of days) {
        const candidate = at(start.year, start.month, monday + week * 7 + dayIndex);
        if (candidate.getTime() >= startsAt.getTime()) yield candidate;
      }
    }
  }
  for (let offset = 0; ; offset += rule.interval) {
    const first = new Date(Date.UTC(start.year, start.month - 1 + offset, 1));
    const year = first.getUTCFullYear();
    const month = first.getUTCMonth() + 1;
    const dayOfMonth = rule.byMonthDay ?? start.day;
    const day =
      rule.weekOfMonth !== undefined
        ? nthWeekday(year, month, rule.byWeekday[0], rule.weekOfMonth)
        : dayOfMonth <= daysIn(year, month)
          ? dayOfMonth
          : undefined;
    // RFC 5545: a date the rule names that the month does not have (31 June, a fifth Monday) is skipped.
    if (day !== undefined) {
      const candidate = at(year, month, day);
      if (candidate.getTime() >= startsAt.getTime()) yield candidate;
    }
  }
}

/** Session starts with the rule's count and until applied (at most MAX_GENERATED). */
function* sessionStarts(series: Series): Generator<Date> {
  const { recurrence } = series;
  if (recurrence === undefined) {
    yield series.startsAt;
    return;
  }
  let generated = 0;
  for (const candidate of candidateStarts(series.startsAt, recurrence)) {
    if (recurrence.until !== undefined && candidate.getTime() > recurrence.until.getTime()) return;
    yield candidate;
    generated += 1;
    if ((recurrence.count !== undefined && generated >= recurrence.count) || generated >= MAX_GENERATED) return;
  }
}

/**
 * Checks a rule against the first session, as RFC 5545 expects DTSTART to be the first instance: the start must be
 * one of the dates the rule names. Returns the rule as stored (a weekly rule without days gets the start's weekday),
 * or the problem with the field it concerns.
 */
export function normaliseRecurrence(rule: Recurrence, startsAt: Date): { rule: Recurrence } | { field: string; reason: string } {
  const stored = rule.frequency === "WEEKLY" ? { ...rule, byWeekday: weeklyDays(rule, startsAt) } : rule;
  const first = candidateStarts(startsAt, stored).next().value as Date;
  if (first.getTime() !== startsAt.getTime()) {
    return { field: "recurrence", reason: "開始日時が繰り返しの規則に合いません (startsAt must be one of the dates the rule names)" };
  }
  if (stored.until !== undefined && stored.until.getTime() < startsAt.getTime()) {
    return { field: "recurrence.until", reason: "untilは開始日時より後にしてください (until must not be before startsAt)" };
  }
  return { rule: stored };
}

/** The sessions of a series overlapping [from, to) (to unbounded when absent), at most `limit`, in order. */
export function occurrencesOf(series: Series, window: { from: Date; to?: Date }, limit: number): Occurrence[] {
  const duration = series.endsAt.getTime() - series.startsAt.getTime();
  const found: Occurrence[] = [];
  if (limit <= 0) return found;
  for (const start of sessionStarts(series)) {
    if (window.to !== undefined && start.getTime() >= window.to.getTime()) break;
    const end = new Date(start.getTime() + duration);
    if (end.getTime() > window.from.getTime()) found.push({ startsAt: start, endsAt: end });
    if (found.length >= limit) break;
  }
  return found;
}

/** When the last session ends: the first session's end without a rule, the last generated one with count or until, null when it never ends. */
export function seriesEnd(series: Series): Date | null {
  const { recurrence } = series;
  if (recurrence !== undefined && recurrence.count === undefined && recurrence.until === undefined) return null;
  let last = series.startsAt;
  for (const start of sessionStarts(series)) last = start;
  return new Date(last.getTime() + (series.endsAt.getTime() - series.startsAt.getTime()));
}

/** `20250630T145959Z`, the UTC form RRULE's UNTIL takes. */
export function icalUtc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
}

/** The rule as an RFC 5545 RRULE value, e.g. `FREQ=MONTHLY;BYDAY=2SA;COUNT=12`. */
export function toRrule(rule: Recurrence): string {
  const parts = [`FREQ=${rule.frequency}`];
  if (rule.interval !== 1) parts.push(`INTERVAL=${rule.interval}`);
  if (rule.frequency === "WEEKLY") parts.push(`BYDAY=${rule.byWeekday.map((day) => RRULE_DAYS[day]).join(",")}`);
  if (rule.weekOfMonth !== undefined) parts.push(`BYDAY=${rule.weekOfMonth}${RRULE_DAYS[rule.byWeekday[0]]}`);
  if (rule.byMonthDay !== undefined) parts.push(`BYMONTHDAY=${rule.byMonthDay}`);
  if (rule.count !== undefined) parts.push(`COUNT=${rule.count}`);
  if (rule.until !== undefined) parts.push(`UNTIL=${icalUtc(rule.until)}`);
  return parts.join(";");
}
