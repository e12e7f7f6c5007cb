// Admission and discharge notices through the gateway: an admission sheet sent, received by subscription and acknowledged; lead-time buckets; the 48-hour figure of a seeded month; access refused and audited; bad input; idempotent creates.
import { Types } from "mongoose";
import { calendarDaysBetween, tokyoDate } from "@tsunagu/service-kit";
import { DEMO_TRANSITION_FIGURES, seedDemoTransitions } from "@tsunagu/transitions";
import { bearer, codes } from "./helpers";
import { startTransitionsStack } from "./transitions-stack";
import type { TransitionsStack } from "./transitions-stack";
import { LiveSubscription, connectWs } from "@tsunagu/test-kit";
import type { WsConnection } from "@tsunagu/test-kit";

const id = () => new Types.ObjectId().toHexString();
const CARE_OFFICE = id();
const HOSPITAL = id();
const CARE_MANAGER = { memberId: id(), organizationId: CARE_OFFICE };
const MSW = { memberId: id(), organizationId: HOSPITAL };
const NURSE = { memberId: id(), organizationId: id() };
const OUTSIDER = { memberId: id(), organizationId: id() };

let stack: TransitionsStack;
const opened: WsConnection[] = [];

beforeAll(async () => {
  stack = await startTransitionsStack();
});

afterAll(async () => {
  await Promise.all(
    opened.map(async (connection) => {
      await connection.client.dispose();
    }),
  );
  await stack.stop();
});

const as = (who: { memberId: string; organizationId: string }) => bearer({ role: "PROFESSIONAL", subject: `member-${who.memberId}`, ...who });

const CREATE = `mutation ($input: CreateTransitionNoticeInput!, $key: String!) {
  createTransitionNotice(input: $input, idempotencyKey: $key) { id status type }
}`;
const SEND = `mutation ($id: ID!) { sendTransitionNotice(id: $id) { id status sentAt leadTime } }`;

async function create(who: { memberId: string; organizationId: string }, input: Record<string, unknown>, key = `key-${id()}`) {
  const answer = await stack.graphql(CREATE, { input, key }, await as(who));
  expect(answer.body.errors).toBeUndefined();
  return (answer.body.data as { createTransitionNotice: { id: string; status: string; type: string } }).createTransitionNotice;
}

const ADMISSION = {
  type: "ADMISSION_INFO",
  patient: { name: "北見 花子 <script>", kana: "きたみ はなこ", dateOfBirth: "1940-05-01" },
  recipientId: MSW.memberId,
  recipientResourceId: HOSPITAL,
  careTeamIds: [NURSE.memberId],
  admission: {
    servicesInUse: ["訪問介護", "通所介護"],
    familyCareCapacity: "LIMITED",
    keyPerson: "長女（北見市在住）",
    adl: "杖歩行",
    familyWishes: "自宅退院",
  },
};

/** A discharge notice from the MSW to the care manager, planned `days` Tokyo days from today. */
const discharge = (days: number) => ({
  type: "DISCHARGE_NOTICE",
  patient: { name: "北見 太郎", dateOfBirth: "1938-01-02" },
  recipientId: CARE_MANAGER.memberId,
  recipientResourceId: CARE_OFFICE,
  discharge: {
    plannedDischargeDate: tokyoDate(new Date(Date.now() + days * 86_400_000)),
    homeProcedures: ["INSULIN", "HOME_OXYGEN"],
    referralCriteria: ["MEDICAL_PROCEDURES", "ADL_DECLINE"],
  },
});

test("a care manager sends an admission sheet; the hospital's MSW receives it by subscription, opens and acknowledges it", async () => {
  const draft = await create(CARE_MANAGER, ADMISSION);
  expect(draft).toMatchObject({ status: "DRAFT", type: "ADMISSION_INFO" });

  const connection = connectWs(stack.gateway.url, await as(MSW));
  opened.push(connection);
  const live = new LiveSubscription(connection.client, {
    query: `subscription ($me: ID!) { transitionNoticeReceived(recipientId: $me) { id status sender { id } patient { name } admission { keyPerson servicesInUse } } }`,
    variables: { me: MSW.memberId },
  });
  const topic = `transitions:recipient:${MSW.memberId}`;
  for (let waited = 0; stack.pubsub.listenerCount(topic) < 1; waited += 10) {
    if (waited > 3000) throw new Error(`nobody listens to ${topic}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }

  const sent = await stack.graphql(SEND, { id: draft.id }, await as(CARE_MANAGER));
  expect(sent.body.data).toEqual({ sendTransitionNotice: { id: draft.id, status: "SENT", sentAt: expect.any(String), leadTime: null } });
  expect((await live.next()).data).toEqual({
    transitionNoticeReceived: {
      id: draft.id,
      status: "SENT",
      sender: { id: CARE_MANAGER.memberId },
      patient: { name: "北見 花子 <script>" },
      admission: { keyPerson: "長女（北見市在住）", servicesInUse: ["訪問介護", "通所介護"] },
    },
  });

  const msw = await as(MSW);
  const unread = await stack.graphql(`{ unreadTransitionNotices { id } transitionInbox(id: "${MSW.memberId}") { unreadCount } }`, {}, msw);
  expect(unread.body.data).toEqual({ unreadTransitionNotices: [{ id: draft.id }], transitionInbox: { unreadCount: 1 } });
  const received = await stack.graphql(`mutation ($id: ID!) { markTransitionNoticeReceived(id: $id) { status receivedAt } }`, { id: draft.id }, msw);
  expect((received.body.data as { markTransitionNoticeReceived: { status: string } }).markTransitionNoticeReceived.status).toBe("RECEIVED");
  const acknowledged = await stack.graphql(`mutation ($id: ID!) { acknowledgeTransitionNotice(id: $id) { status acknowledgedAt } }`, { id: draft.id }, msw);
  expect(acknowledged.body.data).toEqual({ acknowledgeTransitionNotice: { status: "ACKNOWLEDGED", acknowledgedAt: expect.any(String) } });
  const after = await stack.graphql(`{ unreadTransitionNotices { id } }`, {}, msw);
  expect(after.body.data).toEqual({ unreadTransitionNotices: [] });

  const sheet = await stack.graphql(`query ($id: ID!) { admissionSheetHtml(id: $id) }`, { id: draft.id }, msw);
  const html = (sheet.body.data as { admissionSheetHtml: string }).admissionSheetHtml;
  expect(html).toContain("北見 花子 &lt;script&gt;");
  expect(html).not.toContain("<script>");
  expect(html).toContain("限られている");
  live.stop();
});

test("a discharge notice sent three days ahead is in the TWO_TO_FOUR bucket; the same day is SAME_DAY", async () => {
  const three = await create(MSW, discharge(3));
  const sameDay = await create(MSW, discharge(0));
  const msw = await as(MSW);
  const sentThree = await stack.graphql(SEND, { id: three.id }, msw);
  const sentSameDay = await stack.graphql(SEND, { id: sameDay.id }, msw);
  const planned = discharge(3).discharge.plannedDischargeDate;
  const sentOn = tokyoDate(new Date((sentThree.body.data as { sendTransitionNotice: { sentAt: string } }).sendTransitionNotice.sentAt));
  expect(calendarDaysBetween(sentOn, planned)).toBe(3);
  expect((sentThree.body.data as { sendTransitionNotice: { leadTime: string } }).sendTransitionNotice.leadTime).toBe("TWO_TO_FOUR");
  expect((sentSameDay.body.data as { sendTransitionNotice: { leadTime: string } }).sendTransitionNotice.leadTime).toBe("SAME_DAY");
});

test("the 48-hour figure and lead times of a seeded month, for coordinators only", async () => {
  const now = new Date("2026-11-21T03:00:00Z");
  const seeded = await seedDemoTransitions(stack.engine.connection, {
    now,
    careManagers: [{ memberId: CARE_MANAGER.memberId, resourceId: CARE_OFFICE }],
    hospitals: [{ memberId: MSW.memberId, resourceId: HOSPITAL }],
  });
  expect(seeded).toEqual({ inserted: 16, skipped: false, from: "2026-10-01", to: "2026-10-31" });
  expect(await seedDemoTransitions(stack.engine.connection, { now })).toEqual({ inserted: 0, skipped: true, from: "2026-10-01", to: "2026-10-31" });

  const query = `{ transitionStats(from: "2026-10-01", to: "2026-10-31") {
    dischargeNotices leadTimes { bucket count } fiveDaysOrMoreShare firstServiceWithin48Hours firstServiceWithin48HoursShare
    admissionContactRates { resource { id } cases contacted rate } dischargeContactRates { resource { id } cases contacted rate } } }`;
  const coordinator = await bearer({ role: "COORDINATOR", subject: "coordinator-1" });
  const answer = await stack.graphql(query, {}, coordinator);
  expect(answer.body.errors).toBeUndefined();
  expect(answer.body.data).toEqual({
    transitionStats: {
      dischargeNotices: 10,
      leadTimes: Object.entries(DEMO_TRANSITION_FIGURES.leadTimes).map(([bucket, count]) => ({ bucket, count })),
      fiveDaysOrMoreShare: 0.4,
      firstServiceWithin48Hours: 6,
      firstServiceWithin48HoursShare: 0.6,
      admissionContactRates: [{ resource: { id: HOSPITAL }, cases: 10, contacted: 6, rate: 0.6 }],
      dischargeContactRates: [{ resource: { id: CARE_OFFICE }, cases: 6, contacted: 6, rate: 1 }],
    },
  });
  expect(DEMO_TRANSITION_FIGURES.leadTimes).toEqual({
    EIGHT_OR_MORE_DAYS: 2,
    FIVE_TO_SEVEN: 2,
    TWO_TO_FOUR: 2,
    DAY_BEFORE: 1,
    SAME_DAY: 1,
    AFTER_DISCHARGE: 1,
    UNKNOWN: 1,
  });
  const refused = await stack.graphql(query, {}, await as(MSW));
  expect(codes(refused.body)).toEqual(["FORBIDDEN"]);
});

test("someone outside the care team is FORBIDDEN; the care team nurse may read; every read, allowed or refused, is in the audit log", async () => {
  const notice = await create(CARE_MANAGER, ADMISSION);
  await stack.graphql(SEND, { id: notice.id }, await as(CARE_MANAGER));
  const read = `query ($id: ID!) { transitionNotice(id: $id) { id status } }`;
  const outsider = await stack.graphql(read, { id: notice.id }, await as(OUTSIDER));
  expect(codes(outsider.body)).toEqual(["FORBIDDEN"]);
  const nurse = await stack.graphql(read, { id: notice.id }, await as(NURSE));
  expect(nurse.body.data).toEqual({ transitionNotice: { id: notice.id, status: "SENT" } });
  const colleague = await stack.graphql(read, { id: notice.id }, await as({ memberId: id(), organizationId: HOSPITAL }));
  expect(colleague.body.data).toEqual({ transitionNotice: { id: notice.id, status: "SENT" } });

  const log = await stack.engine.connection
    .collection("transitionAccessLog")
    .find({ noticeId: new Types.ObjectId(notice.id) }, { sort: { _id: 1 } })
    .toArray();
  expect(log.map((entry) => [entry.action, entry.outcome, entry.actor.memberId, entry.actor.role])).toEqual([
    ["CREATE", "ALLOWED", CARE_MANAGER.memberId, "PROFESSIONAL"],
    ["SEND", "ALLOWED", CARE_MANAGER.memberId, "PROFESSIONAL"],
    ["READ", "DENIED", OUTSIDER.memberId, "PROFESSIONAL"],
    ["READ", "ALLOWED", NURSE.memberId, "PROFESSIONAL"],
    ["READ", "ALLOWED", expect.any(String), "PROFESSIONAL"],
  ]);
  expect(log[2]?.actor.organizationId).toBe(OUTSIDER.organizationId);
  expect(log.every((entry) => entry.at instanceof Date)).toBe(true);
});

test("bad input: an unknown notice is refused like a hidden one (FORBIDDEN), a malformed id BAD_USER_INPUT naming the field, a missing section names it", async () => {
  const msw = await as(MSW);
  const unknown = await stack.graphql(`{ transitionNotice(id: "${id()}") { id } }`, {}, msw);
  expect(codes(unknown.body)).toEqual(["FORBIDDEN"]);
  const malformed = await stack.graphql(`{ transitionNotice(id: "nope") { id } }`, {}, msw);
  expect(malformed.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
  const visit = await stack.graphql(
    `mutation { recordFirstServiceVisit(noticeId: "x1", input: { date: "2026-11-01", service: VISITING_NURSING }) { id } }`,
    {},
    msw,
  );
  expect(visit.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "noticeId" });
  const missing = await stack.graphql(CREATE, { input: { ...ADMISSION, admission: null }, key: "key-missing-section" }, await as(CARE_MANAGER));
  expect(missing.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.admission" });
});

test("a retried create returns the first draft; the same key with other content is a CONFLICT", async () => {
  const key = `retry-${id()}`;
  const first = await create(CARE_MANAGER, ADMISSION, key);
  const again = await create(CARE_MANAGER, ADMISSION, key);
  expect(again.id).toBe(first.id);
  expect(await stack.engine.connection.collection("transitionNotices").countDocuments({ "creation.key": key })).toBe(1);
  const other = await stack.graphql(CREATE, { input: { ...ADMISSION, careTeamIds: [] }, key }, await as(CARE_MANAGER));
  expect(other.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "idempotencyKey" });
});

test("the first home visit after a discharge is recorded once and counted within 48 hours", async () => {
  const notice = await create(MSW, discharge(-2));
  await stack.graphql(SEND, { id: notice.id }, await as(MSW));
  const record = `mutation ($id: ID!, $date: Date!) { recordFirstServiceVisit(noticeId: $id, input: { date: $date, service: VISITING_NURSING }) {
    firstServiceVisit { date service provider { id } withinFortyEightHours } } }`;
  const date = discharge(0).discharge.plannedDischargeDate;
  const recorded = await stack.graphql(record, { id: notice.id, date }, await as(CARE_MANAGER));
  expect(recorded.body.data).toEqual({
    recordFirstServiceVisit: { firstServiceVisit: { date, service: "VISITING_NURSING", provider: { id: CARE_OFFICE }, withinFortyEightHours: true } },
  });
  const twice = await stack.graphql(record, { id: notice.id, date }, await as(CARE_MANAGER));
  expect(codes(twice.body)).toEqual(["CONFLICT"]);
});

test("100 notice representations are read with one query and logged with one insert", async () => {
  const ids: string[] = [];
  for (let index = 0; index < 100; index += 1) ids.push((await create(CARE_MANAGER, ADMISSION)).id);
  stack.commands.length = 0;
  const identity = { role: "PROFESSIONAL" as const, authMethod: "jwt" as const, subject: "member-cm", scopes: [], ...CARE_MANAGER };
  const answer = await stack.direct(
    `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on TransitionNotice { id status } } }`,
    { representations: ids.map((noticeId) => ({ __typename: "TransitionNotice", id: noticeId })) },
    identity,
  );
  expect(answer.body.data).toEqual({ _entities: ids.map((noticeId) => ({ id: noticeId, status: "DRAFT" })) });
  const touched = stack.commands.filter((command) => ["find", "insert"].includes(command.commandName));
  // One insert of the 100 entries, chained in one transaction: the chain head read once.
  expect(touched.map((command) => [command.commandName, (command.command as Record<string, unknown>)[command.commandName]])).toEqual([
    ["find", "transitionNotices"],
    ["find", "auditChainHeads"],
    ["insert", "transitionAccessLog"],
  ]);
}, 120_000);

test("the access log cannot be rewritten through the model", async () => {
  const { openTransitionModels } = await import("@tsunagu/transitions");
  const { AccessLog } = await openTransitionModels(stack.engine.connection);
  const before = await AccessLog.countDocuments();
  expect(before).toBeGreaterThan(0);
  await expect(AccessLog.deleteMany({})).rejects.toThrow("append-only");
  await expect(AccessLog.updateMany({}, { $set: { outcome: "ALLOWED" } })).rejects.toThrow("append-only");
  expect(await AccessLog.countDocuments()).toBe(before);
});
