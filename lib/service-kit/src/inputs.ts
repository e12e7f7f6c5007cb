// GraphQL arguments validated into service inputs with zod: every problem is a BAD_USER_INPUT naming the argument path (`input.names.official`); instants, ids and pages every subgraph takes.
import { Types } from "mongoose";
import type { GraphQLError } from "graphql";
import { z } from "zod";
import { badUserInput, codedError } from "./errors";

/** One problem with one input field, e.g. `{ field: "identifiers.careOfficeNumber", reason: "..." }`. */
export interface FieldError {
  field: string;
  reason: string;
}

/** One BAD_USER_INPUT for every problem: the message lists them, `field` names the first, `problems` has them all. */
export function invalidInput(errors: readonly FieldError[]): GraphQLError {
  const [first] = errors;
  if (first === undefined) throw new Error("invalidInput needs at least one problem");
  return codedError("BAD_USER_INPUT", errors.map((error) => `${error.field}: ${error.reason}`).join("; "), {
    field: first.field,
    problems: errors.map(({ field, reason }) => ({ field, reason })),
  });
}

/** `prefix.a.0.b` from a zod issue path; an empty prefix adds nothing. */
export function joinFieldPath(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter((part) => part !== "").join(".");
}

/** GraphQL passes explicit nulls for omitted optional inputs; the schemas treat absent and null alike. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value instanceof Date || value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null && item !== undefined)
      .map(([key, item]) => [key, withoutNulls(item)]),
  );
}

/**
 * Characters no input may carry: C0 controls but tab and newline, DEL, and the bidirectional overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) that make text display differently from what it says.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's whole job
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F\u202A-\u202E\u2066-\u2069]/u;

/** One problem per string in `raw` (an argument as sent, walked through objects and arrays) holding a forbidden character. */
export function controlCharacterProblems(raw: unknown, prefix: string): FieldError[] {
  if (typeof raw === "string") {
    const found = FORBIDDEN_CHARACTERS.exec(raw)?.[0];
    if (found === undefined) return [];
    const code = `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
    return [{ field: prefix, reason: `制御文字・双方向制御文字は使えません (control or bidirectional override character ${code} not allowed)` }];
  }
  if (Array.isArray(raw)) return raw.flatMap((item, index) => controlCharacterProblems(item, joinFieldPath(prefix, [index])));
  if (raw === null || typeof raw !== "object" || raw instanceof Date) return [];
  return Object.entries(raw).flatMap(([key, item]) => controlCharacterProblems(item, joinFieldPath(prefix, [key])));
}

export interface ValidationOptions {
  /**
   * Keep explicit nulls for the schema to see (updates where null clears a field); by default null and absent are
   * alike, as GraphQL passes explicit nulls for omitted optional inputs.
   */
  keepNulls?: boolean;
}

/** For inputs where an explicit null means something (clearing a field in an update). */
export const KEEP_NULLS: ValidationOptions = { keepNulls: true };

/**
 * The one validation wrapper: `raw` parsed with `schema`, or one BAD_USER_INPUT listing every problem with its field
 * path under `prefix` (e.g. `input.names.official`), control characters included (see `invalidInput`).
 */
export function validated<S extends z.ZodType>(schema: S, raw: unknown, prefix: string, options: ValidationOptions = {}): z.output<S> {
  const characters = controlCharacterProblems(raw, prefix);
  const result = schema.safeParse(options.keepNulls ? raw : withoutNulls(raw));
  if (result.success && characters.length === 0) return result.data;
  const problems = result.success ? [] : result.error.issues.map((issue) => ({ field: joinFieldPath(prefix, issue.path), reason: issue.message }));
  throw invalidInput([...characters, ...problems.filter((problem) => !characters.some((character) => character.field === problem.field))]);
}

const INSTANT_MESSAGE = "日時はISO-8601形式です (ISO-8601 date-time with offset)";

/** A point in time: a Date, or an ISO-8601 string with an offset (DateTime arguments arrive unparsed, see `validatedInResolvers`). */
export const instantSchema = z
  .union([z.date(INSTANT_MESSAGE), z.iso.datetime({ offset: true, error: INSTANT_MESSAGE })], INSTANT_MESSAGE)
  .transform((value) => (typeof value === "string" ? new Date(value) : value));

/** A DateTime argument (ISO-8601 with offset) as a Date. */
export function parseInstant(raw: unknown, field: string): Date {
  return validated(instantSchema, raw, field);
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** True for 24 hexadecimal characters, the form every Tsunagu id takes. */
export function isObjectIdHex(value: string): boolean {
  return OBJECT_ID.test(value);
}

/** An id argument as an ObjectId; a malformed id is BAD_USER_INPUT naming `field`. */
export function parseObjectId(id: string, field: string): Types.ObjectId {
  if (!isObjectIdHex(id)) {
    throw badUserInput(`${field}: IDは24桁の16進数です (an id is 24 hexadecimal characters): ${id.slice(0, 40)}`, field);
  }
  return new Types.ObjectId(id);
}

/** An id inside a zod input schema, reported with its path like any other field. */
export const objectIdSchema = z.string().regex(OBJECT_ID, "IDは24桁の16進数です (an id is 24 hexadecimal characters)");

/**
 * Every list's page-size rule: `first` from 0 to MAX_PAGE_SIZE. `first: 0` is accepted and returns no edges (only
 * `pageInfo.hasNextPage` and, where a list has it, `totalCount`); above the cap is refused rather than silently cut.
 */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const pageSchema = (defaultSize: number) =>
  z.object({
    first: z
      .number()
      .int("整数です (an integer)")
      .min(0, "0以上です (at least 0)")
      .max(MAX_PAGE_SIZE, `${MAX_PAGE_SIZE}件までです (at most ${MAX_PAGE_SIZE})`)
      .default(defaultSize),
    after: z.string().max(1000, "カーソルが長すぎます (cursor too long)").optional(),
  });

/** What page of a list is asked for; `after` is still an opaque cursor, decoded with the list's keyset. */
export type PageRequest = z.output<ReturnType<typeof pageSchema>>;

/** `first`/`after` checked against the one page-size rule; `defaultSize` when `first` is not given. */
export function parsePage(args: { first?: number | null; after?: string | null }, defaultSize = DEFAULT_PAGE_SIZE): PageRequest {
  return validated(pageSchema(defaultSize), { first: args.first, after: args.after }, "");
}

/** True when year-month-day names a real day of the Gregorian calendar (no 31 April, 29 February only in leap years). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const DATE_MESSAGE = "日付はYYYY-MM-DD形式です (a date, YYYY-MM-DD)";

/** A calendar date YYYY-MM-DD (full-width digits accepted), e.g. a Date argument. */
export const calendarDate = z
  .string(DATE_MESSAGE)
  .transform((value) => value.normalize("NFKC").trim())
  .refine((value) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
  }, DATE_MESSAGE);
