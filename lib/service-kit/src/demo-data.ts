// The fixed moment every demo seed is set at, and ids made from it, so that the demo city is the same on every machine and every day.
import { createHash } from "node:crypto";
import { Types } from "mongoose";

/** 2026-10-01 09:00 Asia/Tokyo, as the seconds an ObjectId's first four bytes hold. */
const REFERENCE_ISO = "2026-10-01T00:00:00.000Z";

/**
 * 2026-10-01 09:00 Asia/Tokyo. Demo residents' dates of birth, "recent" posts and vacancies, the events' fiscal year
 * and the transitions' month are computed from it (never from the clock), so the README's examples always match.
 */
export function demoReferenceDate(): Date {
  return new Date(REFERENCE_ISO);
}

/**
 * The id of demo record `index` of `kind` (e.g. "resource"): the same on every machine, ascending with `index`
 * (ObjectIds sort by their bytes), stamped with the reference date, and distinct between kinds.
 */
export function demoObjectId(kind: string, index: number): Types.ObjectId {
  const seconds = Math.floor(Date.parse(REFERENCE_ISO) / 1000)
    .toString(16)
    .padStart(8, "0");
  const namespace = createHash("sha256").update(kind).digest("hex").slice(0, 4);
  return new Types.ObjectId(seconds + namespace + index.toString(16).padStart(12, "0"));
}
