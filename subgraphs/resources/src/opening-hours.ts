// "Open at time T" in Asia/Tokyo with Japanese public holidays, and parsers for the open-data day and time columns.
import holiday_jp from "@holiday-jp/holiday_jp";
import { TOKYO_OFFSET_MS, normalizeJapanese } from "@tsunagu/service-kit";
import { WEEKDAYS } from "./domain";
import type { OpeningHours, TimeInterval, Weekday } from "./domain";

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTES_PER_DAY = 24 * 60;

/** A moment as a Tokyo wall clock: the date "YYYY-MM-DD", its weekday and the minutes since local midnight. */
export interface TokyoTime {
  date: string;
  weekday: Weekday;
  minutes: number;
}

export function toTokyoTime(at: Date): TokyoTime {
  const local = new Date(at.getTime() + TOKYO_OFFSET_MS);
  return {
    date: local.toISOString().slice(0, 10),
    weekday: weekdayOf(local),
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}

/** The weekday of a UTC-midnight Date (getUTCDay: 0 = Sunday). */
function weekdayOf(day: Date): Weekday {
  return WEEKDAYS[(day.getUTCDay() + 6) % 7];
}

function dayOf(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

function addDays(date: string, days: number): string {
  return new Date(dayOf(date).getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/** Minutes since midnight of "HH:MM" (24:00 → 1440). */
export function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** The minute the interval ends counted from the midnight it opens after: past 1440 when it runs overnight. */
function endMinutes(interval: TimeInterval): number {
  const opens = minutesOf(interval.opens);
  const closes = minutesOf(interval.closes);
  return closes > opens ? closes : closes + MINUTES_PER_DAY;
}

/** Every public holiday the holiday-jp table lists (1970-2050: named holidays, 振替休日, 国民の休日, the moved Olympic days), by year. */
const HOLIDAYS_BY_YEAR: ReadonlyMap<number, ReadonlySet<string>> = (() => {
  const byYear = new Map<number, Set<string>>();
  for (const date of Object.keys(holiday_jp.holidays)) {
    const year = Number(date.slice(0, 4));
    byYear.set(year, (byYear.get(year) ?? new Set<string>()).add(date));
  }
  return byYear;
})();

/** The Japanese public holidays of a year ("YYYY-MM-DD"), from @holiday-jp/holiday_jp; empty outside its table. */
export function japanesePublicHolidays(year: number): ReadonlySet<string> {
  return HOLIDAYS_BY_YEAR.get(year) ?? new Set<string>();
}

/** True when a "YYYY-MM-DD" date is a Japanese public holiday. */
export function isJapanesePublicHoliday(date: string): boolean {
  return japanesePublicHolidays(Number(date.slice(0, 4))).has(date);
}

function isClosedOn(hours: OpeningHours, date: string): boolean {
  const monthDay = date.slice(5);
  return (
    hours.closures.some((closure) => closure.from <= date && date <= closure.to) ||
    hours.annualClosures.some(({ from, to }) => (from <= to ? from <= monthDay && monthDay <= to : monthDay >= from || monthDay <= to))
  );
}

/** The intervals opening on a date, or "UNKNOWN" when only the open days (or nothing) are known. */
function intervalsOn(hours: OpeningHours, date: string): readonly TimeInterval[] | "UNKNOWN" {
  if (isClosedOn(hours, date)) return [];
  const exception = hours.exceptions.find((candidate) => candidate.date === date);
  if (exception) return exception.intervals;
  if (hours.closedOnPublicHolidays && isJapanesePublicHoliday(date)) return [];
  const weekday = weekdayOf(dayOf(date));
  if (hours.weekly.length > 0) return hours.weekly.filter((interval) => interval.day === weekday);
  if (hours.openDays.length > 0 && !hours.openDays.includes(weekday)) return [];
  return "UNKNOWN";
}

export type OpenStatus = "OPEN" | "CLOSED" | "UNKNOWN";

/**
 * Whether a place is open at a moment, on the Tokyo wall clock. An interval belongs to the day it opens: a
 * Monday 22:00-06:00 interval is open at Tuesday 03:00 unless Monday itself is closed or excepted. Closures win
 * over exceptions, exceptions over 祝日休み, that over the weekly hours. UNKNOWN when the day may be open but no
 * times are known (open data often lists only the days).
 */
export function openStatusAt(hours: OpeningHours, at: Date): OpenStatus {
  const { date, minutes } = toTokyoTime(at);
  const today = intervalsOn(hours, date);
  if (today !== "UNKNOWN" && today.some((i) => minutesOf(i.opens) <= minutes && minutes < endMinutes(i))) return "OPEN";
  const yesterday = intervalsOn(hours, addDays(date, -1));
  if (yesterday !== "UNKNOWN" && yesterday.some((i) => minutes + MINUTES_PER_DAY < endMinutes(i))) return "OPEN";
  return today === "UNKNOWN" ? "UNKNOWN" : "CLOSED";
}

/** True only when the place is known to be open at that moment. */
export function isOpenAt(hours: OpeningHours, at: Date): boolean {
  return openStatusAt(hours, at) === "OPEN";
}

const DAY_CHARACTERS: Readonly<Record<string, Weekday>> = {
  月: "MON",
  火: "TUE",
  水: "WED",
  木: "THU",
  金: "FRI",
  土: "SAT",
  日: "SUN",
};

/** Days named by open-data text, and what it says about public holidays (open when 祝 is listed). */
export interface ParsedDays {
  days: Weekday[];
  publicHolidays: "OPEN" | "CLOSED" | "UNSTATED";
}

/** 「(祝日を除く)」「祝日休み」「祝祭日休診」; a leading list separator (「日・祝休み」 = closed days) is not accepted. */
const HOLIDAYS_CLOSED = /(^|[^・,、/])\(?祝祭?日?[をは]?(?:除く|休み?|休業|休診)\)?/;
const DAY_RANGE = /^([月火水木金土日])(?:~|〜|-|ー|から)([月火水木金土日])$/;

/**
 * Parses a day list such as 「月火水木金」「月～金」「月・水・金」「月曜日～土曜日」「平日」「毎日」「土日祝」
 * 「月～土（祝日を除く）」; ranges may wrap (金～月). Undefined when anything else is in the text.
 */
export function parseDays(text: string): ParsedDays | undefined {
  let rest = normalizeJapanese(text).replace(/曜日?/g, "").replace(/\s/g, "");
  let publicHolidays: ParsedDays["publicHolidays"] = "UNSTATED";
  if (HOLIDAYS_CLOSED.test(rest)) {
    publicHolidays = "CLOSED";
    rest = rest.replace(HOLIDAYS_CLOSED, "$1");
  }
  if (/^(?:毎日|年中無休|365日|全日)$/.test(rest)) {
    return { days: [...WEEKDAYS], publicHolidays: publicHolidays === "CLOSED" ? "CLOSED" : "OPEN" };
  }
  rest = rest.replace(/平日/g, "月~金");
  if (/祝/.test(rest)) {
    publicHolidays = "OPEN";
    rest = rest.replace(/祝祭?日?/g, "");
  }
  const days = new Set<Weekday>();
  for (const token of rest.split(/[・,、/]/).filter(Boolean)) {
    const range = DAY_RANGE.exec(token);
    if (range) {
      const last = WEEKDAYS.indexOf(DAY_CHARACTERS[range[2]]);
      for (let index = WEEKDAYS.indexOf(DAY_CHARACTERS[range[1]]); ; index = (index + 1) % 7) {
        days.add(WEEKDAYS[index]);
        if (index === last) break;
      }
    } else if (/^[月火水木金土日]+$/.test(token)) {
      for (const character of token) days.add(DAY_CHARACTERS[character]);
    } else {
      return undefined;
    }
  }
  if (days.size === 0 && publicHolidays !== "OPEN") return undefined;
  return { days: WEEKDAYS.filter((day) => days.has(day)), publicHolidays };
}

/** "HH:MM" from 「9:00」「09:00:00」「９時３０分」「9時」「0900」; undefined for anything else. */
export function parseTimeOfDay(text: string): string | undefined {
  const normalized = normalizeJapanese(text).replace(/\s/g, "");
  const match = /^(\d{1,2}):(\d{2})(?::\d{2})?$/.exec(normalized) ?? /^(\d{1,2})時(?:(\d{1,2})分)?$/.exec(normalized) ?? /^(\d{2})(\d{2})$/.exec(normalized);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2] ?? "0");
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes > 0)) return undefined;
  return `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

/** Intervals from parallel start and end lists (「9:00;14:00」 and 「12:00;18:00」); undefined when they do not pair up. */
function parseIntervals(opensText: string, closesText: string): TimeInterval[] | undefined {
  const split = (value: string) =>
    normalizeJapanese(value)
      .split(/[;、,/]/)
      .map((part) => part.trim())
      .filter(Boolean);
  const opens = split(opensText).map(parseTimeOfDay);
  const closes = split(closesText).map(parseTimeOfDay);
  if (opens.length !== closes.length) return undefined;
  const intervals: TimeInterval[] = [];
  for (const [index, open] of opens.entries()) {
    const close = closes[index];
    if (!open || !close || open === close || open === "24:00") return undefined;
    intervals.push({ opens: open, closes: close });
  }
  return intervals;
}

/** The open-data columns that describe when a place is open. */
export interface OpenDataHoursColumns {
  /** 利用可能曜日 or 診療曜日. */
  days: string;
  /** 診療開始時間 and 診療終了時間 (the care layout has none). */
  opens?: string;
  closes?: string;
  /** 利用可能曜日特記事項 or 診療日時特記事項, kept as the note. */
  note?: string;
}

/** Opening hours read from open-data columns, and what could not be read (kept in the note, never guessed). */
export interface ParsedOpeningHours {
  hours: OpeningHours | undefined;
  warnings: string[];
}

/**
 * Opening hours from open-data columns. Known days with times give weekly intervals for each day; known days
 * without times give `openDays`; text that cannot be read is reported and kept in the note.
 */
export function parseOpenDataHours(columns: OpenDataHoursColumns): ParsedOpeningHours {
  const warnings: string[] = [];
  const unread: string[] = [];
  const daysText = columns.days.trim();
  const timesText = [columns.opens?.trim(), columns.closes?.trim()].filter(Boolean).join("〜");
  const days = daysText ? parseDays(daysText) : undefined;
  if (daysText && !days) {
    warnings.push(`曜日を読み取れません (unreadable days): ${daysText}`);
    unread.push(daysText);
  }
  const intervals = parseIntervals(columns.opens ?? "", columns.closes ?? "");
  if (timesText && (!intervals || !days)) {
    warnings.push(`時間を曜日に割り当てられません (unreadable times): ${timesText}`);
    unread.push(timesText);
  }
  const note = [columns.note?.trim(), ...unread].filter(Boolean).join(" / ");
  if (!days && !note) return { hours: undefined, warnings };
  const timed = days && intervals && intervals.length > 0;
  return {
    hours: {
      weekly: timed ? days.days.flatMap((day) => intervals.map((interval) => ({ day, ...interval }))) : [],
      openDays: days && !timed ? days.days : [],
      closedOnPublicHolidays: days?.publicHolidays === "CLOSED",
      exceptions: [],
      closures: [],
      annualClosures: [],
      ...(note ? { note } : {}),
    },
    warnings,
  };
}
