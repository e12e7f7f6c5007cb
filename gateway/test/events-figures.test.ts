// The programme's figures through the gateway for a seeded year: events by kind, attendances by profession, organisations, multi-profession meetings, satisfaction and progress against the city's targets.
import { Types } from "mongoose";
import { demoReferenceDate, fiscalYearOf, fiscalYearStart, toTokyoIso } from "@tsunagu/service-kit";
import { DEMO_EVENT_FIGURES } from "@tsunagu/events";
import { codes } from "./helpers";
import { signedIn, startEventsStack } from "./events-stack";
import type { EventsStack } from "./events-stack";

/** The seed is set at the fixed demo date; its year is the fiscal year before that one (all over, with attendance and surveys). */
const YEAR = fiscalYearOf(demoReferenceDate()) - 1;
const MEMBER = { id: new Types.ObjectId().toHexString(), name: "小林 直美", profession: "NURSE" as const };
let stack: EventsStack;

beforeAll(async () => {
  stack = await startEventsStack({ seed: { members: [MEMBER] } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const STATS = `query ($from: DateTime!, $to: DateTime!, $types: [EventType!]) {
  eventStats(from: $from, to: $to, types: $types) {
    events cancelledEvents participants residentParticipants distinctOrganizations multiProfessionMeetings
    eventsByType { type label events participants }
    participantsByProfession { profession label participants }
    satisfaction { responses satisfiedPercent counts { answer count percent } }
    targets { fiscalYear indicator target actual percentOfTarget }
  }
}`;

const SEEDED_YEAR = { from: toTokyoIso(fiscalYearStart(YEAR)), to: toTokyoIso(fiscalYearStart(YEAR + 1)) };

test("the seeded fiscal year adds up to the programme: 41 sessions (the monthly care cafe counted each month), 1,930 attendances, 22 multi-profession meetings, 124 a month at the trainings", async () => {
  const answer = await stack.graphql(STATS, SEEDED_YEAR, await signedIn({ role: "COORDINATOR", subject: "city" }));
  expect(answer.body.errors).toBeUndefined();
  const stats = (answer.body.data as { eventStats: Record<string, unknown> }).eventStats;
  expect(stats).toMatchObject({
    events: 41,
    cancelledEvents: 1,
    participants: 1930,
    residentParticipants: 220,
    distinctOrganizations: 60,
    multiProfessionMeetings: 22,
  });
  expect(stats).toMatchObject({
    events: DEMO_EVENT_FIGURES.events,
    participants: DEMO_EVENT_FIGURES.participants,
    multiProfessionMeetings: DEMO_EVENT_FIGURES.multiProfessionMeetings,
  });
  expect(stats.eventsByType).toEqual([
    { type: "TRAINING", label: "研修会", events: 12, participants: 1488 },
    { type: "CASE_CONFERENCE", label: "事例検討会", events: 4, participants: 120 },
    { type: "COMMUNITY_CARE_MEETING", label: "地域ケア会議", events: 6, participants: 84 },
    { type: "RESIDENT_LECTURE", label: "住民向け講座", events: 4, participants: 220 },
    { type: "CARE_CAFE", label: "認知症カフェ・ケアカフェ", events: 12, participants: 0 },
    { type: "ACCOMPANIED_VISIT_TRAINING", label: "同行訪問研修", events: 3, participants: 18 },
  ]);
  // 124 on average at the monthly 多職種連携研修会.
  expect((stats.eventsByType as { type: string; participants: number; events: number }[]).find((row) => row.type === "TRAINING")).toMatchObject({
    participants: 124 * 12,
  });
  expect((stats.participantsByProfession as { profession: string; participants: number }[]).slice(0, 3)).toEqual([
    // 30, 24 and 14 of every 124 at the trainings, plus the care meetings and case conferences.
    { profession: "CARE_MANAGER", label: "介護支援専門員", participants: 360 + 18 + 40 },
    { profession: "NURSE", label: "看護師", participants: 288 + 12 + 24 },
    { profession: "CARE_WORKER", label: "介護福祉士", participants: 168 + 16 },
  ]);
  expect((stats.participantsByProfession as { participants: number }[]).reduce((sum, row) => sum + row.participants, 0)).toBe(1930 - 220);
  // Answers from 80% of the trainings' attendees, all of the case conferences' and accompanied visits', 70% of the lectures'.
  expect(stats.satisfaction).toEqual({
    responses: 1190 + 120 + 18 + 154,
    satisfiedPercent: 94.1,
    counts: [
      { answer: "VERY_GOOD", count: 869, percent: 58.6 },
      { answer: "GOOD", count: 526, percent: 35.5 },
      { answer: "FAIR", count: 75, percent: 5.1 },
      { answer: "POOR", count: 12, percent: 0.8 },
    ],
  });
  expect(stats.targets).toEqual([
    { fiscalYear: YEAR, indicator: "TRAINING_ATTENDEES", target: 500, actual: 1626, percentOfTarget: 325.2 },
    { fiscalYear: YEAR, indicator: "MULTI_PROFESSION_MEETINGS", target: 12, actual: 22, percentOfTarget: 183.3 },
    { fiscalYear: YEAR, indicator: "RESIDENT_LECTURE_ATTENDEES", target: 300, actual: 220, percentOfTarget: 73.3 },
    { fiscalYear: YEAR, indicator: "SATISFIED_PERCENT", target: 90, actual: 94.1, percentOfTarget: 104.6 },
  ]);
});

test("a period across two fiscal years compares each year's part with that year's targets; a kind filter narrows everything", async () => {
  const coordinator = await signedIn({ role: "COORDINATOR", subject: "city" });
  // 1 January to 1 July around the start of the current fiscal year: the seeded year's last three trainings, and the current year's first quarter.
  const period = { from: `${YEAR + 1}-01-01T00:00:00+09:00`, to: `${YEAR + 1}-07-01T00:00:00+09:00`, types: ["TRAINING"] };
  const answer = await stack.graphql(STATS, period, coordinator);
  const stats = (answer.body.data as { eventStats: { events: number; participants: number; targets: { fiscalYear: number; indicator: string }[] } }).eventStats;
  expect(stats.events).toBe(3);
  expect(stats.participants).toBe(119 + 128 + 120);
  expect(stats.targets.filter((target) => target.indicator === "TRAINING_ATTENDEES")).toEqual([
    { fiscalYear: YEAR, indicator: "TRAINING_ATTENDEES", actual: 367, target: 500, percentOfTarget: 73.4 },
    { fiscalYear: YEAR + 1, indicator: "TRAINING_ATTENDEES", actual: 0, target: 500, percentOfTarget: 0 },
  ]);
});

test("coordinators set targets; others may not read figures", async () => {
  const coordinator = await signedIn({ role: "COORDINATOR", subject: "city", displayName: "長寿介護課" });
  const set = await stack.graphql(
    `mutation { setEventTarget(input: { fiscalYear: ${YEAR + 1}, indicator: TRAINING_ATTENDEES, target: 600 }) { fiscalYear indicator label target setBy } }`,
    {},
    coordinator,
  );
  expect(set.body.data).toEqual({
    setEventTarget: { fiscalYear: YEAR + 1, indicator: "TRAINING_ATTENDEES", label: "研修受講者数（延べ）", target: 600, setBy: "長寿介護課" },
  });
  const listed = await stack.graphql(`{ eventTargets(fiscalYear: ${YEAR + 1}) { indicator target } }`, {}, coordinator);
  expect(listed.body.data).toEqual({
    eventTargets: [
      { indicator: "TRAINING_ATTENDEES", target: 600 },
      { indicator: "MULTI_PROFESSION_MEETINGS", target: 12 },
      { indicator: "RESIDENT_LECTURE_ATTENDEES", target: 300 },
      { indicator: "SATISFIED_PERCENT", target: 90 },
    ],
  });
  const badPercent = await stack.graphql(
    `mutation { setEventTarget(input: { fiscalYear: ${YEAR + 1}, indicator: SATISFIED_PERCENT, target: 120 }) { target } }`,
    {},
    coordinator,
  );
  expect(badPercent.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.target" });
  expect(codes((await stack.graphql(STATS, SEEDED_YEAR, await signedIn({ role: "PROFESSIONAL", subject: "nurse" }))).body)).toEqual(["FORBIDDEN"]);
  expect(codes((await stack.graphql(STATS, SEEDED_YEAR)).body)).toEqual(["UNAUTHENTICATED"]);
});

test("the seeded member is registered for the coming training and sees it in their registrations", async () => {
  const member = await signedIn({ role: "PROFESSIONAL", subject: "kobayashi", memberId: MEMBER.id, profession: "看護師" });
  const answer = await stack.graphql(
    `query ($from: DateTime!) { events(first: 5, filter: { types: [TRAINING], from: $from }) { edges { node { title myRegistration { status member { registrations { edges { node { event { title } } } } } } } } } }`,
    { from: toTokyoIso(demoReferenceDate()) },
    member,
  );
  const edges = (answer.body.data as { events: { edges: { node: { title: string; myRegistration: { status: string } | null } }[] } }).events.edges;
  expect(edges.map((edge) => edge.node.myRegistration?.status ?? null)).toEqual(["REGISTERED", null, null]);
});
