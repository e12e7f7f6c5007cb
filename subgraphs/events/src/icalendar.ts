// iCalendar (RFC 5545) documents: TEXT escaping, lines folded at 75 octets without splitting a character, CRLF endings, the Asia/Tokyo VTIMEZONE, and one VEVENT per entry with times on Tokyo's wall clock.
import { tokyoWallClock } from "@tsunagu/service-kit";
import { icalUtc } from "./recurrence";

/** One VEVENT. */
export interface CalendarEntry {
  /** Globally unique and stable across feeds, e.g. `<event id>@events.tsunagu`. */
  uid: string;
  /** Incremented by every change, so calendar apps replace their copy. */
  sequence: number;
  lastModified: Date;
  startsAt: Date;
  endsAt: Date;
  /** An RRULE value for a recurring event. */
  rrule?: string;
  summary: string;
  description?: string;
  location?: string;
  url?: string;
  status: "CONFIRMED" | "TENTATIVE" | "CANCELLED";
  categories: readonly string[];
}

export interface CalendarDocument {
  /** Shown by calendar apps as the calendar's name (X-WR-CALNAME). */
  name: string;
  /** DTSTAMP of every entry: when this document was generated. */
  generatedAt: Date;
  entries: readonly CalendarEntry[];
}

const TOKYO_TZID = "Asia/Tokyo";
const LINE_OCTETS = 75;
const CRLF = "\r\n";

/** Asia/Tokyo has been UTC+9 without daylight saving time since 1951, so one STANDARD rule describes it. */
const TOKYO_VTIMEZONE = [
  "BEGIN:VTIMEZONE",
  `TZID:${TOKYO_TZID}`,
  `X-LIC-LOCATION:${TOKYO_TZID}`,
  "BEGIN:STANDARD",
  "TZOFFSETFROM:+0900",
  "TZOFFSETTO:+0900",
  "TZNAME:JST",
  "DTSTART:19700101T000000",
  "END:STANDARD",
  "END:VTIMEZONE",
];

/** A TEXT value with RFC 5545 escapes: backslash, semicolon, comma and line breaks. */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

/**
 * A content line folded so that no physical line exceeds 75 octets of UTF-8: continuation lines start with one
 * space (which counts), and a multi-byte character is never split.
 */
export function foldLine(line: string): string {
  const pieces: string[] = [];
  let current = "";
  let octets = 0;
  for (const character of line) {
    const size = Buffer.byteLength(character, "utf8");
    const limit = pieces.length === 0 ? LINE_OCTETS : LINE_OCTETS - 1;
    if (octets + size > limit) {
      pieces.push(current);
      current = "";
      octets = 0;
    }
    current += character;
    octets += size;
  }
  pieces.push(current);
  return pieces.join(`${CRLF} `);
}

/** A DATE-TIME on Tokyo's wall clock, for `;TZID=Asia/Tokyo:` properties: `20250415T183000`. */
export function tokyoLocal(at: Date): string {
  const { year, month, day, hour, minute, second } = tokyoWallClock(at);
  const two = (value: number) => String(value).padStart(2, "0");
  return `${year}${two(month)}${two(day)}T${two(hour)}${two(minute)}${two(second)}`;
}

function eventLines(entry: CalendarEntry, generatedAt: Date): string[] {
  return [
    "BEGIN:VEVENT",
    `UID:${entry.uid}`,
    `DTSTAMP:${icalUtc(generatedAt)}`,
    `LAST-MODIFIED:${icalUtc(entry.lastModified)}`,
    `SEQUENCE:${entry.sequence}`,
    `DTSTART;TZID=${TOKYO_TZID}:${tokyoLocal(entry.startsAt)}`,
    `DTEND;TZID=${TOKYO_TZID}:${tokyoLocal(entry.endsAt)}`,
    ...(entry.rrule === undefined ? [] : [`RRULE:${entry.rrule}`]),
    `SUMMARY:${escapeText(entry.summary)}`,
    ...(entry.description === undefined ? [] : [`DESCRIPTION:${escapeText(entry.description)}`]),
    ...(entry.location === undefined ? [] : [`LOCATION:${escapeText(entry.location)}`]),
    ...(entry.url === undefined ? [] : [`URL:${entry.url}`]),
    ...(entry.categories.length === 0 ? [] : [`CATEGORIES:${entry.categories.map(escapeText).join(",")}`]),
    `STATUS:${entry.status}`,
    "TRANSP:OPAQUE",
    "END:VEVENT",
  ];
}

/** The whole VCALENDAR as sent: every line folded and ended with CRLF. */
export function renderCalendar({ name, generatedAt, entries }: CalendarDocument): string {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Tsunagu//Events//JA",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${escapeText(name)}`,
    `X-WR-TIMEZONE:${TOKYO_TZID}`,
    ...TOKYO_VTIMEZONE,
    ...entries.flatMap((entry) => eventLines(entry, generatedAt)),
    "END:VCALENDAR",
  ];
  return lines.map((line) => `${foldLine(line)}${CRLF}`).join("");
}
