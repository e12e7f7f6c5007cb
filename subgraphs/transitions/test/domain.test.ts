// Kitami's lead-time buckets and the 48-hour rule on the Tokyo calendar, at the edges of each bucket and around midnight.
import { leadTimeBucket, withinFortyEightHours } from "../src/domain";
import type { DischargeRecord } from "../src/models";

const planned = (plannedDischargeDate: string | null): DischargeRecord => ({
  plannedDischargeDate,
  adlChange: null,
  homeProcedures: [],
  referralCriteria: [],
  conferenceDate: null,
  notes: null,
});

test.each([
  ["2026-10-02T09:00:00+09:00", "EIGHT_OR_MORE_DAYS"],
  ["2026-10-03T09:00:00+09:00", "FIVE_TO_SEVEN"],
  ["2026-10-05T23:59:00+09:00", "FIVE_TO_SEVEN"],
  ["2026-10-06T00:00:00+09:00", "TWO_TO_FOUR"],
  ["2026-10-08T09:00:00+09:00", "TWO_TO_FOUR"],
  ["2026-10-09T09:00:00+09:00", "DAY_BEFORE"],
  ["2026-10-10T08:00:00+09:00", "SAME_DAY"],
  ["2026-10-11T09:00:00+09:00", "AFTER_DISCHARGE"],
])("sent %s for a discharge on 2026-10-10 is %s", (sentAt, bucket) => {
  expect(leadTimeBucket(new Date(sentAt), planned("2026-10-10"))).toBe(bucket);
});

test("days are Tokyo calendar days: 23:30 UTC on the 5th is already the 6th in Tokyo", () => {
  expect(leadTimeBucket(new Date("2026-10-05T14:59:00Z"), planned("2026-10-10"))).toBe("FIVE_TO_SEVEN");
  expect(leadTimeBucket(new Date("2026-10-05T15:00:00Z"), planned("2026-10-10"))).toBe("TWO_TO_FOUR");
});

test("without a planned date or before sending the bucket is UNKNOWN", () => {
  expect(leadTimeBucket(new Date("2026-10-05T00:00:00Z"), planned(null))).toBe("UNKNOWN");
  expect(leadTimeBucket(null, planned("2026-10-10"))).toBe("UNKNOWN");
});

test("within 48 hours: the discharge day and the two days after it", () => {
  const visits = ["2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"];
  expect(visits.map((visit) => withinFortyEightHours("2026-10-30", visit))).toEqual([false, true, true, true, false]);
  expect(withinFortyEightHours(null, "2026-10-30")).toBeNull();
});
