// The iCalendar feeds, parsed with a real iCalendar library (ical.js): public events only, times round-tripped on Tokyo's wall clock, a monthly series, escaping and 75-octet folding, and a member's feed behind its secret token.
import { randomUUID } from "node:crypto";
import { Types } from "mongoose";
import { fromTokyoWallClock, tokyoWallClock } from "@tsunagu/service-kit";
import { signedIn, startEventsStack } from "./events-stack";
import type { EventsStack } from "./events-stack";

/** ical.js ships as an ES module with a CommonJS build; a dynamic import loads it from this CommonJS test. */
type Ical = (typeof import("ical.js", { with: { "resolution-mode": "import" } }))["default"];
type IcalEvent = InstanceType<Ical["Event"]>;

let ICAL: Ical;
let stack: EventsStack;
let coordinator: Record<string, string>;
const GROUP_ID = new Types.ObjectId().toHexString();
const DAY_MS = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  ICAL = (await import("ical.js")).default;
  stack = await startEventsStack();
  coordinator = await signedIn({ role: "COORDINATOR", subject: "coordinator-cal" });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function createEvent(input: Record<string, unknown>): Promise<string> {
  const answer = await stack.graphql(
    `mutation ($input: CreateEventInput!, $key: String!) { createEvent(input: $input, idempotencyKey: $key) { id } }`,
    { input: { organiserIds: [GROUP_ID], format: "IN_PERSON", place: "つなぐ市保健センター", ...input }, key: randomUUID() },
    coordinator,
  );
  if (answer.body.errors) throw new Error(JSON.stringify(answer.body.errors));
  return (answer.body.data as { createEvent: { id: string } }).createEvent.id;
}

/** 10:00 in Tokyo, about two months ahead. */
const lectureStart = (() => {
  const day = tokyoWallClock(new Date(Date.now() + 60 * DAY_MS));
  return fromTokyoWallClock(day.year, day.month, day.day, 10, 0);
})();

/** The second Saturday of next month at 13:30 in Tokyo, and the five after it (a monthly care cafe). */
const cafeStarts = (() => {
  const today = tokyoWallClock(new Date());
  return Array.from({ length: 6 }, (_, index) => {
    const month = new Date(Date.UTC(today.year, today.month + index, 1));
    const firstDay = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)).getUTCDay();
    const secondSaturday = 1 + ((6 - firstDay + 7) % 7) + 7;
    return fromTokyoWallClock(month.getUTCFullYear(), month.getUTCMonth() + 1, secondSaturday, 13, 30);
  });
})();

const LECTURE_TITLE = "市民公開講座; 人生会議, いっしょに考えましょう \\ 在宅医療・介護連携推進事業";
const LECTURE_DESCRIPTION =
  "もしものときに、どんな医療やケアを望むか。家族や医療・介護の専門職と話し合っておく「人生会議（ACP）」について、在宅医と訪問看護師がお話しします。\n申込不要・参加無料です。";

function parse(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const timezone = calendar.getFirstSubcomponent("vtimezone");
  if (timezone === null) throw new Error("no VTIMEZONE");
  ICAL.TimezoneService.register(timezone);
  return calendar.getAllSubcomponents("vevent").map((component) => new ICAL.Event(component));
}

test("the public feed parses, holds only public events, and round-trips times in Asia/Tokyo", async () => {
  const lectureId = await createEvent({
    type: "RESIDENT_LECTURE",
    title: LECTURE_TITLE,
    description: LECTURE_DESCRIPTION,
    startsAt: lectureStart.toISOString(),
    endsAt: new Date(lectureStart.getTime() + 90 * 60 * 1000).toISOString(),
    visibility: "PUBLIC",
    residentsWelcome: true,
  });
  const cafeStart = cafeStarts[0];
  const cafeId = await createEvent({
    type: "CARE_CAFE",
    title: "オレンジカフェ",
    startsAt: cafeStart.toISOString(),
    endsAt: new Date(cafeStart.getTime() + 2 * 3600_000).toISOString(),
    recurrence: { frequency: "MONTHLY", byWeekday: ["SAT"], weekOfMonth: 2, count: 6 },
    visibility: "PUBLIC",
    residentsWelcome: true,
  });
  const trainingId = await createEvent({
    type: "TRAINING",
    title: "専門職向け研修",
    startsAt: lectureStart.toISOString(),
    endsAt: new Date(lectureStart.getTime() + 3600_000).toISOString(),
    visibility: "PROFESSIONALS",
  });

  const url = (await stack.graphql("{ publicCalendarUrl }")).body.data?.publicCalendarUrl as string;
  expect(url).toBe(`${new URL(stack.events.url).origin}/calendar/public.ics`);
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
  const text = await response.text();

  const lines = text.split("\r\n");
  expect(lines.at(-1)).toBe("");
  expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  expect(Math.max(...lines.map((line) => Buffer.byteLength(line, "utf8")))).toBeLessThanOrEqual(75);
  expect(lines.some((line) => line.startsWith(" "))).toBe(true);

  const events = parse(text);
  expect(events.map((event) => event.uid).sort()).toEqual([`${lectureId}@events.tsunagu`, `${cafeId}@events.tsunagu`].sort());
  expect(text).not.toContain(trainingId);

  const lecture = events.find((event) => event.uid.startsWith(lectureId)) as IcalEvent;
  expect(lecture.summary).toBe(LECTURE_TITLE);
  expect(lecture.description).toContain(LECTURE_DESCRIPTION);
  expect(lecture.location).toBe("つなぐ市保健センター");
  expect(lecture.startDate.zone.tzid).toBe("Asia/Tokyo");
  expect([lecture.startDate.hour, lecture.startDate.minute]).toEqual([10, 0]);
  expect(lecture.startDate.toJSDate().toISOString()).toBe(lectureStart.toISOString());
  expect(lecture.endDate.toJSDate().getTime() - lecture.startDate.toJSDate().getTime()).toBe(90 * 60 * 1000);

  const cafe = events.find((event) => event.uid.startsWith(cafeId)) as IcalEvent;
  expect(cafe.isRecurring()).toBe(true);
  const iterator = cafe.iterator();
  const sessions: string[] = [];
  for (let next = iterator.next(); next !== null && next !== undefined; next = iterator.next()) sessions.push(next.toJSDate().toISOString());
  expect(sessions).toEqual(cafeStarts.map((start) => start.toISOString()));
  const occurrences = await stack.graphql(`query ($id: ID!) { event(id: $id) { recurrence { rrule } occurrences(first: 10) { startsAt } } }`, { id: cafeId });
  expect(occurrences.body.data).toEqual({
    event: { recurrence: { rrule: "FREQ=MONTHLY;BYDAY=2SA;COUNT=6" }, occurrences: cafeStarts.map((start) => ({ startsAt: start.toISOString() })) },
  });
});

test("a member's feed holds their registrations (waitlisted ones tentative) behind a secret token that can be replaced", async () => {
  const memberId = new Types.ObjectId().toHexString();
  const member = await signedIn({ role: "PROFESSIONAL", subject: "cal-member", memberId, displayName: "加藤 智子", profession: "NURSE" });
  const start = new Date(lectureStart.getTime() + 7 * DAY_MS);
  const times = { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString() };
  const seated = await createEvent({ type: "STUDY_SESSION", title: "訪問看護勉強会", visibility: "PROFESSIONALS", ...times });
  const full = await createEvent({ type: "TRAINING", title: "満席の研修", visibility: "PROFESSIONALS", capacity: 1, ...times });
  const register = (eventId: string, headers: Record<string, string>) =>
    stack.graphql(
      `mutation ($input: RegisterForEventInput!) { registerForEvent(input: $input) { registration { status } } }`,
      { input: { eventId, idempotencyKey: randomUUID() } },
      headers,
    );
  await register(full, await signedIn({ role: "PROFESSIONAL", subject: "first", memberId: new Types.ObjectId().toHexString() }));
  await register(seated, member);
  await register(full, member);

  const issue = async () =>
    (await stack.graphql(`mutation { issueCalendarFeed { url issuedAt } }`, {}, member)).body.data?.issueCalendarFeed as { url: string };
  const { url } = await issue();
  expect(url).toMatch(/\/calendar\/members\/[A-Za-z0-9_-]{43}\.ics$/);
  const text = await (await fetch(url)).text();
  const events = parse(text);
  expect(events.map((event) => [event.summary, event.component.getFirstPropertyValue("status")])).toEqual([
    ["訪問看護勉強会", "CONFIRMED"],
    ["【キャンセル待ち】満席の研修", "TENTATIVE"],
  ]);

  const replaced = await issue();
  expect((await fetch(url)).status).toBe(404);
  expect((await fetch(replaced.url)).status).toBe(200);
  expect((await fetch(`${new URL(stack.events.url).origin}/calendar/members/${"A".repeat(43)}.ics`)).status).toBe(404);
  const anonymous = await stack.graphql(`mutation { issueCalendarFeed { url } }`);
  expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
});
