// GraphQL arguments validated into service inputs; every problem is a BAD_USER_INPUT naming the argument path (`input.names.official`).
import { Types } from "mongoose";
import type { GraphQLError } from "graphql";
import { z } from "zod";
import { badUserInput, codedError } from "@tsunagu/service-kit";
import { instantSchema, validateResourceInput } from "./domain";
import type { FieldError, ResourceInput } from "./domain";

/** Largest page a list returns; `first` above it is refused rather than silently cut. */
const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** One BAD_USER_INPUT for every problem: the message lists them, `field` names the first, `problems` has them all. */
export function invalidInput(errors: readonly FieldError[]): GraphQLError {
  const [first] = errors;
  if (first === undefined) throw new Error("invalidInput needs at least one problem");
  return codedError("BAD_USER_INPUT", errors.map((error) => `${error.field}: ${error.reason}`).join("; "), {
    field: first.field,
    problems: errors.map(({ field, reason }) => ({ field, reason })),
  });
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
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

/** `raw` parsed with `schema`, or a BAD_USER_INPUT naming each field under `prefix` (e.g. `filter`). */
export function validated<S extends z.ZodType>(schema: S, raw: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(withoutNulls(raw));
  if (result.success) return result.data;
  throw invalidInput(result.error.issues.map((issue) => ({ field: joinPath(prefix, issue.path), reason: issue.message })));
}

/** A resource id as an ObjectId; a malformed id is BAD_USER_INPUT naming `field`. */
export function parseResourceId(id: string, field: string): Types.ObjectId {
  if (!/^[0-9a-f]{24}$/i.test(id)) {
    throw badUserInput(`${field}: IDは24桁の16進数です (an id is 24 hexadecimal characters): ${id.slice(0, 40)}`, field);
  }
  return new Types.ObjectId(id);
}

/** A ResourceInput argument validated like any other input; availability given through it is stamped `now`. */
export function parseResourceInput(raw: unknown, now: Date, field: string): ResourceInput {
  const draft = withoutNulls(raw) as { capacity?: { available?: unknown } };
  const stamped = draft.capacity?.available === undefined ? draft : { ...draft, capacity: { ...draft.capacity, updatedAt: now } };
  const result = validateResourceInput(stamped);
  if (result.ok) return result.value;
  throw invalidInput(result.errors.map((error) => ({ field: joinPath(field, error.field.split(".")), reason: error.reason })));
}

const pageSchema = z.object({
  first: z
    .number()
    .int()
    .min(0, "0以上です (at least 0)")
    .max(MAX_PAGE_SIZE, `${MAX_PAGE_SIZE}件までです (at most ${MAX_PAGE_SIZE})`)
    .default(DEFAULT_PAGE_SIZE),
  after: z.string().max(1000, "カーソルが長すぎます (cursor too long)").optional(),
});

/** What page of a list is asked for; `after` is still an opaque cursor, decoded by the list's service. */
export type PageRequest = z.output<typeof pageSchema>;

export function parsePage(args: { first?: number | null; after?: string | null }): PageRequest {
  return validated(pageSchema, args, "");
}

/** A DateTime argument (ISO-8601 with offset) as a Date. */
export function parseInstant(raw: unknown, field: string): Date {
  return validated(instantSchema, raw, field);
}
