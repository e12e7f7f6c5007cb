// Tests for "open at T" on the Tokyo clock (UTC day boundaries, overnight, holidays, closures) and the open-data parsers.
import type { OpeningHours } from "../src/domain";
import {
  isJapanesePublicHoliday,
  isOpenAt,
  japanesePublicHolidays,
  openStatusAt,
  parseDays,
  parseOpenDataHours,
  parseTimeOfDay,
  toTokyoTime,
} from "../src/opening-hours";

function hours(partial: Partial<OpeningHours>): OpeningHours {
  return { weekly: [], openDays: [], closedOnPublicHolidays: false, exceptions: [], closures: [], annualClosures: [], ...partial };
}

/** A Tokyo wall-clock time as a Date: "2025-01-06 09:00" → 2025-01-06T00:00:00Z. */
function tokyo(local: string): Date {
  return new Date(`${local.replace(" ", "T")}:00+09:00`);
}

// A clinic: mornings Mon-Sat, afternoons except Thursday and Saturday (木・土午後休診), closed on holidays and 年末年始.
const clinic = hours({
  weekly: [
    ...(["MON", "TUE", "WED", "THU", "FRI", "SAT"] as const).map((day) => ({ day, opens: "09:00", closes: "12:00" })),
    ...(["MON", "TUE", "WED", "FRI"] as const).map((day) => ({ day, opens: "15:00", closes: "18:00" })),
  ],
  closedOnPublicHolidays: true,
  annualClosures: [{ from: "12-29", to: "01-03", reason: "年末年始" }],
});

describe("toTokyoTime", () => {
  it("moves to the next Tokyo day at 15:00 UTC", () => {
    expect(toTokyoTime(new Date("2025-01-05T14:59:00Z"))).toEqual({ date: "2025-01-05", weekday: "SUN", minutes: 23 * 60 + 59 });
    expect(toTokyoTime(new Date("2025-01-05T15:00:00Z"))).toEqual({ date: "2025-01-06", weekday: "MON", minutes: 0 });
  });

  it("is the same Tokyo day on both sides of UTC midnight", () => {
    expect(toTokyoTime(new Date("2025-01-05T23:59:00Z"))).toEqual({ date: "2025-01-06", weekday: "MON", minutes: 8 * 60 + 59 });
    expect(toTokyoTime(new Date("2025-01-06T00:00:00Z"))).toEqual({ date: "2025-01-06", weekday: "MON", minutes: 9 * 60 });
  });
});

describe("isOpenAt: weekly hours", () => {
  it.each([
    ["2025-01-06 08:59", false],
    ["2025-01-06 09:00", true],
    ["2025-01-06 11:59", true],
    ["2025-01-06 12:00", false],
    ["2025-01-06 15:30", true],
    ["2025-01-09 10:00", true],
    ["2025-01-09 15:30", false],
    ["2025-01-11 11:00", true],
    ["2025-01-11 15:30", false],
    ["2025-01-12 10:00", false],
  ])("clinic at %s (Tokyo) → %s", (local, expected) => {
    expect(isOpenAt(clinic, tokyo(local))).toBe(expected);
  });

  it("uses the Tokyo weekday when UTC is still on the previous day", () => {
    // Sunday 2025-01-05 in UTC, Monday morning in Tokyo.
    expect(isOpenAt(clinic, new Date("2025-01-06T00:30:00Z"))).toBe(true);
    expect(isOpenAt(clinic, new Date("2025-01-05T23:30:00Z"))).toBe(false);
    // Saturday 2025-01-11 10:00 UTC is Saturday 19:00 in Tokyo: closed although UTC reads mid-morning.
    expect(isOpenAt(clinic, new Date("2025-01-11T01:00:00Z"))).toBe(true);
    expect(isOpenAt(clinic, new Date("2025-01-11T10:00:00Z"))).toBe(false);
  });

  it("closes at 24:00 without spilling into the next day", () => {
    const allMonday = hours({ weekly: [{ day: "MON", opens: "00:00", closes: "24:00" }] });
    expect(isOpenAt(allMonday, tokyo("2025-01-06 00:00"))).toBe(true);
    expect(isOpenAt(allMonday, tokyo("2025-01-06 23:59"))).toBe(true);
    expect(isOpenAt(allMonday, tokyo("2025-01-07 00:00"))).toBe(false);
  });
});

describe("isOpenAt: intervals past midnight", () => {
  const night = hours({
    weekly: [
      { day: "MON", opens: "22:00", closes: "06:00" },
      { day: "SUN", opens: "20:00", closes: "02:00" },
    ],
  });

  it.each([
    ["2025-01-06 21:59", false],
    ["2025-01-06 22:00", true],
    ["2025-01-06 23:59", true],
    ["2025-01-07 00:00", true],
    ["2025-01-07 05:59", true],
    ["2025-01-07 06:00", false],
    ["2025-01-05 23:00", true],
    ["2025-01-06 01:59", true],
    ["2025-01-06 02:00", false],
  ])("night service at %s → %s", (local, expected) => {
    expect(isOpenAt(night, tokyo(local))).toBe(expected);
  });

  it("belongs to the day it opens: a closure of that day closes the spill-over too", () => {
    const closedMonday = { ...night, closures: [{ from: "2025-01-06", to: "2025-01-06" }] };
    expect(isOpenAt(closedMonday, tokyo("2025-01-07 03:00"))).toBe(false);
    const closedTuesday = { ...night, closures: [{ from: "2025-01-07", to: "2025-01-07" }] };
    expect(isOpenAt(closedTuesday, tokyo("2025-01-07 03:00"))).toBe(true);
  });
});

describe("isOpenAt: exceptions, closures and holidays", () => {
  it("closes for the annual 年末年始 closure across the new year, on Tokyo dates", () => {
    const always = hours({
      weekly: (["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const).map((day) => ({ day, opens: "00:00", closes: "24:00" })),
      annualClosures: [{ from: "12-29", to: "01-03" }],
    });
    expect(isOpenAt(always, new Date("2025-12-28T14:59:00Z"))).toBe(true);
    expect(isOpenAt(always, new Date("2025-12-28T15:00:00Z"))).toBe(false);
    expect(isOpenAt(always, tokyo("2026-01-01 12:00"))).toBe(false);
    expect(isOpenAt(always, new Date("2026-01-03T14:59:00Z"))).toBe(false);
    expect(isOpenAt(always, new Date("2026-01-03T15:00:00Z"))).toBe(true);
  });

  it("keeps the clinic closed on 年末年始 weekdays and open right after", () => {
    expect(isOpenAt(clinic, tokyo("2025-12-26 10:00"))).toBe(true);
    expect(isOpenAt(clinic, tokyo("2025-12-29 10:00"))).toBe(false);
    expect(isOpenAt(clinic, tokyo("2026-01-05 10:00"))).toBe(true);
  });

  it("applies dated closures with both ends included", () => {
    const summer = { ...clinic, closures: [{ from: "2025-08-13", to: "2025-08-15", reason: "夏季休業" }] };
    expect(isOpenAt(summer, tokyo("2025-08-12 10:00"))).toBe(true);
    expect(isOpenAt(summer, tokyo("2025-08-13 10:00"))).toBe(false);
    expect(isOpenAt(summer, tokyo("2025-08-15 10:00"))).toBe(false);
    expect(isOpenAt(summer, tokyo("2025-08-16 10:00"))).toBe(true);
  });

  it("closes on public holidays when 祝日休み, and not otherwise", () => {
    expect(isOpenAt(clinic, tokyo("2025-01-13 10:00"))).toBe(false);
    expect(isOpenAt(clinic, tokyo("2025-01-20 10:00"))).toBe(true);
    expect(isOpenAt({ ...clinic, closedOnPublicHolidays: false }, tokyo("2025-01-13 10:00"))).toBe(true);
  });

  it("lets a dated exception replace the day's hours, even on a holiday", () => {
    const special = {
      ...clinic,
      exceptions: [
        { date: "2025-01-13", intervals: [{ opens: "10:00", closes: "11:00" }], note: "休日当番医" },
        { date: "2025-01-14", intervals: [] },
      ],
    };
    expect(isOpenAt(special, tokyo("2025-01-13 09:30"))).toBe(false);
    expect(isOpenAt(special, tokyo("2025-01-13 10:30"))).toBe(true);
    expect(isOpenAt(special, tokyo("2025-01-14 10:30"))).toBe(false);
  });

  it("lets a closure win over an exception", () => {
    const both = {
      ...clinic,
      exceptions: [{ date: "2025-12-30", intervals: [{ opens: "09:00", closes: "12:00" }] }],
    };
    expect(isOpenAt(both, tokyo("2025-12-30 10:00"))).toBe(false);
  });
});

describe("openStatusAt", () => {
  const daysOnly = hours({ openDays: ["MON", "TUE", "WED", "THU", "FRI"] });

  it("is UNKNOWN on an open day without times, CLOSED on other days", () => {
    expect(openStatusAt(daysOnly, tokyo("2025-01-06 10:00"))).toBe("UNKNOWN");
    expect(openStatusAt(daysOnly, tokyo("2025-01-11 10:00"))).toBe("CLOSED");
    expect(isOpenAt(daysOnly, tokyo("2025-01-06 10:00"))).toBe(false);
  });

  it("is UNKNOWN with no hours at all, CLOSED when a closure says so", () => {
    expect(openStatusAt(hours({}), tokyo("2025-01-06 10:00"))).toBe("UNKNOWN");
    expect(openStatusAt(hours({ annualClosures: [{ from: "01-01", to: "01-03" }] }), tokyo("2025-01-02 10:00"))).toBe("CLOSED");
  });

  it("reports OPEN and CLOSED for timed hours", () => {
    expect(openStatusAt(clinic, tokyo("2025-01-06 10:00"))).toBe("OPEN");
    expect(openStatusAt(clinic, tokyo("2025-01-06 13:00"))).toBe("CLOSED");
  });
});

describe("Japanese public holidays", () => {
  it("lists 2025 with its substitute holidays", () => {
    expect([...japanesePublicHolidays(2025)].sort()).toEqual([
      "2025-01-01",
      "2025-01-13",
      "2025-02-11",
      "2025-02-23",
      "2025-02-24",
      "2025-03-20",
      "2025-04-29",
      "2025-05-03",
      "2025-05-04",
      "2025-05-05",
      "2025-05-06",
      "2025-07-21",
      "2025-08-11",
      "2025-09-15",
      "2025-09-23",
      "2025-10-13",
      "2025-11-03",
      "2025-11-23",
      "2025-11-24",
    ]);
  });

  it("lists 2026 with the 国民の休日 between 敬老の日 and 秋分の日", () => {
    expect([...japanesePublicHolidays(2026)].sort()).toEqual([
      "2026-01-01",
      "2026-01-12",
      "2026-02-11",
      "2026-02-23",
      "2026-03-20",
      "2026-04-29",
      "2026-05-03",
      "2026-05-04",
      "2026-05-05",
      "2026-05-06",
      "2026-07-20",
      "2026-08-11",
      "2026-09-21",
      "2026-09-22",
      "2026-09-23",
      "2026-10-12",
      "2026-11-03",
      "2026-11-23",
    ]);
  });

  it("moves the Olympic holidays of 2021", () => {
    expect(isJapanesePublicHoliday("2021-07-22")).toBe(true);
    expect(isJapanesePublicHoliday("2021-07-23")).toBe(true);
    expect(isJapanesePublicHoliday("2021-08-09")).toBe(true);
    expect(isJapanesePublicHoliday("2021-07-19")).toBe(false);
    expect(isJapanesePublicHoliday("2021-10-11")).toBe(false);
  });

  it("knows the holidays before 2020 as they were: 天皇誕生日 on 23 December, the 2019 enthronement days, 体育の日 on 10 October", () => {
    expect(isJapanesePublicHoliday("2018-12-23")).toBe(true);
    expect(isJapanesePublicHoliday("2018-12-24")).toBe(true);
    expect(isJapanesePublicHoliday("2019-02-23")).toBe(false);
    expect(isJapanesePublicHoliday("2019-05-01")).toBe(true);
    expect(isJapanesePublicHoliday("2019-04-30")).toBe(true);
    expect(isJapanesePublicHoliday("1998-10-10")).toBe(true);
    expect(isJapanesePublicHoliday("1998-10-12")).toBe(false);
  });

  it("moves the Olympic holidays of 2020 too", () => {
    expect(isJapanesePublicHoliday("2020-07-24")).toBe(true);
    expect(isJapanesePublicHoliday("2020-08-10")).toBe(true);
    expect(isJapanesePublicHoliday("2020-10-12")).toBe(false);
  });

  it("is false on ordinary days", () => {
    expect(isJapanesePublicHoliday("2025-01-14")).toBe(false);
    expect(isJapanesePublicHoliday("2025-12-29")).toBe(false);
  });
});

describe("parseDays", () => {
  it.each([
    ["月火水木金", ["MON", "TUE", "WED", "THU", "FRI"], "UNSTATED"],
    ["月～金", ["MON", "TUE", "WED", "THU", "FRI"], "UNSTATED"],
    ["月〜金", ["MON", "TUE", "WED", "THU", "FRI"], "UNSTATED"],
    ["月-金", ["MON", "TUE", "WED", "THU", "FRI"], "UNSTATED"],
    ["月から金", ["MON", "TUE", "WED", "THU", "FRI"], "UNSTATED"],
    ["月曜日～土曜日", ["MON", "TUE", "WED", "THU", "FRI", "SAT"], "UNSTATED"],
    ["月・水・金", ["MON", "WED", "FRI"], "UNSTATED"],
    ["月、火", ["MON", "TUE"], "UNSTATED"],
    ["金～月", ["MON", "FRI", "SAT", "SUN"], "UNSTATED"],
    ["平日", ["MON", "TUE", "WED", "THU", "FRI"], "UNSTATED"],
    ["平日・土", ["MON", "TUE", "WED", "THU", "FRI", "SAT"], "UNSTATED"],
    ["毎日", ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], "OPEN"],
    ["月火水木金土日祝", ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], "OPEN"],
    ["土日祝", ["SAT", "SUN"], "OPEN"],
    ["月～土（祝日を除く）", ["MON", "TUE", "WED", "THU", "FRI", "SAT"], "CLOSED"],
    ["月～金 祝日休み", ["MON", "TUE", "WED", "THU", "FRI"], "CLOSED"],
  ])("%s", (text, days, publicHolidays) => {
    expect(parseDays(text)).toEqual({ days, publicHolidays });
  });

  it.each(["", "日・祝休み", "第2土曜休み", "随時", "月～金（第1土曜）"])("cannot read 「%s」", (text) => {
    expect(parseDays(text)).toBeUndefined();
  });
});

describe("parseTimeOfDay", () => {
  it.each([
    ["9:00", "09:00"],
    ["09:00", "09:00"],
    ["９：３０", "09:30"],
    ["9時", "09:00"],
    ["9時30分", "09:30"],
    ["0900", "09:00"],
    ["17:30:00", "17:30"],
    ["24:00", "24:00"],
  ])("%s → %s", (text, expected) => {
    expect(parseTimeOfDay(text)).toBe(expected);
  });

  it.each(["25:00", "24:30", "9:60", "午前9時", "abc", ""])("rejects 「%s」", (text) => {
    expect(parseTimeOfDay(text)).toBeUndefined();
  });
});

describe("parseOpenDataHours", () => {
  it("gives weekly intervals for each listed day from 診療曜日 and several start/end times", () => {
    const { hours: parsed, warnings } = parseOpenDataHours({
      days: "月～金",
      opens: "9:00;14:00",
      closes: "12:00;18:00",
      note: "木曜午後休診",
    });
    expect(warnings).toEqual([]);
    expect(parsed?.weekly).toHaveLength(10);
    expect(parsed?.weekly.slice(0, 2)).toEqual([
      { day: "MON", opens: "09:00", closes: "12:00" },
      { day: "MON", opens: "14:00", closes: "18:00" },
    ]);
    expect(parsed?.note).toBe("木曜午後休診");
    expect(parsed && isOpenAt(parsed, tokyo("2025-01-10 15:00"))).toBe(true);
  });

  it("gives open days only from 利用可能曜日, with 祝日 closure", () => {
    const { hours: parsed, warnings } = parseOpenDataHours({ days: "月～土（祝日を除く）" });
    expect(warnings).toEqual([]);
    expect(parsed).toEqual(hours({ openDays: ["MON", "TUE", "WED", "THU", "FRI", "SAT"], closedOnPublicHolidays: true }));
  });

  it("reports unreadable days and keeps them in the note", () => {
    const { hours: parsed, warnings } = parseOpenDataHours({ days: "第1・第3水曜日", note: "要予約" });
    expect(warnings).toEqual(["曜日を読み取れません (unreadable days): 第1・第3水曜日"]);
    expect(parsed).toEqual(hours({ note: "要予約 / 第1・第3水曜日" }));
  });

  it("reports times that do not pair up, and keeps the days", () => {
    const { hours: parsed, warnings } = parseOpenDataHours({ days: "月火", opens: "9:00;14:00", closes: "18:00" });
    expect(warnings).toEqual(["時間を曜日に割り当てられません (unreadable times): 9:00;14:00〜18:00"]);
    expect(parsed).toEqual(hours({ openDays: ["MON", "TUE"], note: "9:00;14:00〜18:00" }));
  });

  it("returns no hours for empty columns", () => {
    expect(parseOpenDataHours({ days: " ", opens: "", closes: "" })).toEqual({ hours: undefined, warnings: [] });
  });
});
