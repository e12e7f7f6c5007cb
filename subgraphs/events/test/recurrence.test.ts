// The recurrence rules on Tokyo's wall clock: weekly and monthly sessions, nth and last weekdays, days a month lacks, count and until, the series' end and the RRULE text.
import { fromTokyoWallClock } from "@tsunagu/service-kit";
import type { Recurrence } from "../src/domain";
import { normaliseRecurrence, occurrencesOf, seriesEnd, toRrule } from "../src/recurrence";

const tokyo = (year: number, month: number, day: number, hour = 0, minute = 0) => fromTokyoWallClock(year, month, day, hour, minute);
const rule = (fields: Partial<Recurrence> & Pick<Recurrence, "frequency">): Recurrence => ({ interval: 1, byWeekday: [], ...fields });
const starts = (series: Parameters<typeof occurrencesOf>[0], limit = 10) =>
  occurrencesOf(series, { from: new Date(0) }, limit).map((occurrence) => occurrence.startsAt.toISOString());

test("a weekly rule on two days, every other week, keeps 18:30 in Tokyo", () => {
  // Tuesday 7 April 2026, 18:30 JST = 09:30 UTC.
  const series = {
    startsAt: tokyo(2026, 4, 7, 18, 30),
    endsAt: tokyo(2026, 4, 7, 20),
    recurrence: rule({ frequency: "WEEKLY", interval: 2, byWeekday: ["TUE", "THU"], count: 5 }),
  };
  expect(starts(series)).toEqual([
    "2026-04-07T09:30:00.000Z",
    "2026-04-09T09:30:00.000Z",
    "2026-04-21T09:30:00.000Z",
    "2026-04-23T09:30:00.000Z",
    "2026-05-05T09:30:00.000Z",
  ]);
  expect(seriesEnd(series)?.toISOString()).toBe("2026-05-05T11:00:00.000Z");
  expect(toRrule(series.recurrence)).toBe("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=5");
});

test("the second Saturday and the last Friday of each month; a session at 00:30 in Tokyo falls on the previous UTC day", () => {
  const secondSaturday = {
    startsAt: tokyo(2026, 1, 10, 13, 30),
    endsAt: tokyo(2026, 1, 10, 15, 30),
    recurrence: rule({ frequency: "MONTHLY", byWeekday: ["SAT"], weekOfMonth: 2, count: 3 }),
  };
  expect(starts(secondSaturday)).toEqual(["2026-01-10T04:30:00.000Z", "2026-02-14T04:30:00.000Z", "2026-03-14T04:30:00.000Z"]);
  const lastFriday = {
    startsAt: tokyo(2026, 1, 30, 0, 30),
    endsAt: tokyo(2026, 1, 30, 2),
    recurrence: rule({ frequency: "MONTHLY", byWeekday: ["FRI"], weekOfMonth: -1, count: 3 }),
  };
  expect(starts(lastFriday)).toEqual(["2026-01-29T15:30:00.000Z", "2026-02-26T15:30:00.000Z", "2026-03-26T15:30:00.000Z"]);
  expect(toRrule(lastFriday.recurrence)).toBe("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3");
});

test("the 31st is skipped in months without one; until bounds the series; an open series has no end", () => {
  const until = tokyo(2026, 6, 1);
  const series = { startsAt: tokyo(2026, 1, 31, 10), endsAt: tokyo(2026, 1, 31, 11), recurrence: rule({ frequency: "MONTHLY", until }) };
  expect(starts(series)).toEqual(["2026-01-31T01:00:00.000Z", "2026-03-31T01:00:00.000Z", "2026-05-31T01:00:00.000Z"]);
  expect(toRrule(series.recurrence)).toBe("FREQ=MONTHLY;UNTIL=20260531T150000Z");
  expect(seriesEnd({ ...series, recurrence: rule({ frequency: "WEEKLY", byWeekday: ["SAT"] }) })).toBeNull();
  expect(seriesEnd({ startsAt: series.startsAt, endsAt: series.endsAt })?.toISOString()).toBe("2026-01-31T02:00:00.000Z");
});

test("a window picks the sessions overlapping it", () => {
  const series = { startsAt: tokyo(2026, 4, 6, 10), endsAt: tokyo(2026, 4, 6, 12), recurrence: rule({ frequency: "WEEKLY", byWeekday: ["MON"] }) };
  const found = occurrencesOf(series, { from: tokyo(2026, 4, 20, 11), to: tokyo(2026, 5, 5) }, 10).map((occurrence) => occurrence.startsAt.toISOString());
  expect(found).toEqual(["2026-04-20T01:00:00.000Z", "2026-04-27T01:00:00.000Z", "2026-05-04T01:00:00.000Z"]);
});

test("the first session must be one the rule names; a weekly rule without days takes the start's weekday", () => {
  expect(normaliseRecurrence(rule({ frequency: "MONTHLY", byWeekday: ["SAT"], weekOfMonth: 2 }), tokyo(2026, 1, 17, 13))).toEqual({
    field: "recurrence",
    reason: "開始日時が繰り返しの規則に合いません (startsAt must be one of the dates the rule names)",
  });
  expect(normaliseRecurrence(rule({ frequency: "WEEKLY" }), tokyo(2026, 1, 16, 13))).toEqual({ rule: rule({ frequency: "WEEKLY", byWeekday: ["FRI"] }) });
  expect(normaliseRecurrence(rule({ frequency: "WEEKLY", until: tokyo(2026, 1, 1) }), tokyo(2026, 1, 16, 13))).toMatchObject({ field: "recurrence.until" });
});
