// Asia/Tokyo wall-clock time (UTC+9 all year: Japan has had no daylight saving time since 1951) and the Japanese fiscal year (年度, from 1 April).

export const TOKYO_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The days of the week as every schema's Weekday enum spells them, Monday first. */
export const WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A moment as read on a clock in Tokyo; `weekday` 0 is Sunday (as Date.getUTCDay). */
export interface TokyoWallClock {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

export function tokyoWallClock(at: Date): TokyoWallClock {
  const local = new Date(at.getTime() + TOKYO_OFFSET_MS);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
  };
}

/** The moment a Tokyo clock shows the given time; out-of-range parts roll over as in Date.UTC (month 13 = January next year). */
export function fromTokyoWallClock(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): Date {
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second) - TOKYO_OFFSET_MS);
}

/** ISO-8601 with the Tokyo offset, to the second: `2025-04-15T18:30:00+09:00`. */
export function toTokyoIso(at: Date): string {
  return `${new Date(at.getTime() + TOKYO_OFFSET_MS).toISOString().slice(0, 19)}+09:00`;
}

/** The fiscal year (年度) a moment falls in, named by the calendar year it starts in: 2026-03-31 in Tokyo is FY2025. */
export function fiscalYearOf(at: Date): number {
  const { year, month } = tokyoWallClock(at);
  return month >= 4 ? year : year - 1;
}

/** 1 April 00:00 in Tokyo of `fiscalYear`. */
export function fiscalYearStart(fiscalYear: number): Date {
  return fromTokyoWallClock(fiscalYear, 4, 1);
}

/** The Tokyo calendar day of a moment, YYYY-MM-DD. */
export function tokyoDate(at: Date): string {
  return new Date(at.getTime() + TOKYO_OFFSET_MS).toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to` (both YYYY-MM-DD): positive when `to` is later. */
export function calendarDaysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
