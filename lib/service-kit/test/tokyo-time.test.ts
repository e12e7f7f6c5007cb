// Tokyo wall-clock time and the fiscal year (年度): conversions both ways, the +09:00 form, and the April boundary.
import { fiscalYearOf, fiscalYearStart, fromTokyoWallClock, toTokyoIso, tokyoWallClock } from "../src/tokyo-time";

test("a moment reads nine hours ahead in Tokyo, across the date line of UTC", () => {
  expect(tokyoWallClock(new Date("2026-03-31T15:30:00Z"))).toEqual({ year: 2026, month: 4, day: 1, hour: 0, minute: 30, second: 0, weekday: 3 });
  expect(fromTokyoWallClock(2026, 4, 1, 0, 30).toISOString()).toBe("2026-03-31T15:30:00.000Z");
  expect(fromTokyoWallClock(2026, 13, 1).toISOString()).toBe("2026-12-31T15:00:00.000Z");
  expect(toTokyoIso(new Date("2026-04-15T09:30:00Z"))).toBe("2026-04-15T18:30:00+09:00");
});

test("the fiscal year starts on 1 April in Tokyo", () => {
  expect(fiscalYearOf(new Date("2026-03-31T14:59:59Z"))).toBe(2025);
  expect(fiscalYearOf(new Date("2026-03-31T15:00:00Z"))).toBe(2026);
  expect(fiscalYearStart(2026).toISOString()).toBe("2026-03-31T15:00:00.000Z");
});
