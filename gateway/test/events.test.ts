// The events subgraph through the gateway: the capacity race, waiting-list promotion, idempotent retries, deadlines, visibility, validation, checklists, cross-subgraph queries and batched loading.
import { randomUUID } from "node:crypto";
import { Types } from "mongoose";
import { codes } from "./helpers";
import type { GraphQLBody } from "./helpers";
import { signedIn, startEventsStack } from "./events-stack";
import type { EventsStack } from "./events-stack";
import { LiveSubscription, connectWs } from "@tsunagu/test-kit";

let stack: EventsStack;
let coordinator: Record<string, string>;

beforeAll(async () => {
  stack = await startEventsStack();
  coordinator = await signedIn({ role: "COORDINATOR", subject: "coordinator-1", displayName: "岡田 花子" });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const DAY_MS = 24 * 60 * 60 * 1000;
const GROUP_ID = new Types.ObjectId().toHexString();

/** A professional with a member id of their own. */
async function professional(n: number, profession = "看護師"): Promise<{ memberId: string; headers: Record<string, string> }> {
  const memberId = new Types.ObjectId().toHexString();
  const headers = await signedIn({ role: "PROFESSIONAL", subject: `pro-${n}-${memberId}`, displayName: `専門職 ${n}`, profession, memberId });
  return { memberId, headers };
}

function data<T>(body: GraphQLBody): T {
  if (body.errors !== undefined) throw new Error(`unexpected errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

const CREATE = `mutation ($input: CreateEventInput!, $key: String!) {
  createEvent(input: $input, idempotencyKey: $key) { id title status version registrationCounts { capacity registered waitlisted remaining } }
}`;

/** Creates an event as the coordinator: a professionals' training two weeks ahead, 18:30-20:00 Tokyo, unless overridden. */
async function createEvent(overrides: Record<string, unknown> = {}): Promise<string> {
  const start = new Date(Date.now() + 14 * DAY_MS);
  start.setUTCHours(9, 30, 0, 0);
  const input = {
    type: "TRAINING",
    title: "多職種連携研修会",
    organiserIds: [GROUP_ID],
    format: "IN_PERSON",
    place: "つなぐ市保健センター 2階研修室",
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 90 * 60 * 1000).toISOString(),
    visibility: "PROFESSIONALS",
    ...overrides,
  };
  const answer = await stack.graphql(CREATE, { input, key: randomUUID() }, coordinator);
  return data<{ createEvent: { id: string } }>(answer.body).createEvent.id;
}

const REGISTER = `mutation ($input: RegisterForEventInput!) {
  registerForEvent(input: $input) { accessCode registration { id status waitlistPosition name profession resident } }
}`;

interface Registered {
  accessCode: string;
  registration: { id: string; status: string; waitlistPosition: number | null; name: string; profession: string | null; resident: boolean };
}

function register(eventId: string, headers: Record<string, string>, extra: Record<string, unknown> = {}, key = randomUUID()) {
  return stack.graphql(REGISTER, { input: { eventId, idempotencyKey: key, ...extra } }, headers);
}

const COUNTS = `query ($id: ID!) { event(id: $id) { registrationCounts { capacity registered waitlisted attended remaining } } }`;

async function counts(eventId: string) {
  return data<{ event: { registrationCounts: Record<string, number | null> } }>((await stack.graphql(COUNTS, { id: eventId }, coordinator)).body).event
    .registrationCounts;
}

describe("capacity, waiting list and retries", () => {
  let eventId: string;
  const people: { memberId: string; headers: Record<string, string> }[] = [];
  const results: Registered[] = [];

  beforeAll(async () => {
    eventId = await createEvent({ capacity: 10 });
    for (let n = 0; n < 50; n += 1) people.push(await professional(n));
    const answers = await Promise.all(people.map((person) => register(eventId, person.headers)));
    for (const answer of answers) results.push(data<{ registerForEvent: Registered }>(answer.body).registerForEvent);
  }, 120_000);

  test("50 simultaneous registrations for 10 seats give exactly 10 REGISTERED and 40 WAITLISTED, numbered 1 to 40", async () => {
    const statuses = results.map((result) => result.registration.status);
    expect(statuses.filter((status) => status === "REGISTERED")).toHaveLength(10);
    expect(statuses.filter((status) => status === "WAITLISTED")).toHaveLength(40);
    expect(await counts(eventId)).toEqual({ capacity: 10, registered: 10, waitlisted: 40, attended: 0, remaining: 0 });
    const listed = await stack.graphql(
      `query ($id: ID!) { event(id: $id) { registrations(first: 100, status: WAITLISTED) { edges { node { waitlistPosition } } } } }`,
      { id: eventId },
      coordinator,
    );
    const positions = data<{ event: { registrations: { edges: { node: { waitlistPosition: number } }[] } } }>(listed.body).event.registrations.edges.map(
      (edge) => edge.node.waitlistPosition,
    );
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    expect(results[0]?.registration.profession).toBe("NURSE");
    expect(results[0]?.registration.resident).toBe(false);
  });

  test("cancelling a seat promotes the first on the waiting list, and says so on the pub/sub", async () => {
    const seated = results.findIndex((result) => result.registration.status === "REGISTERED");
    const waiting = await stack.graphql(
      `query ($id: ID!) { event(id: $id) { registrations(first: 100, status: WAITLISTED) { edges { node { id waitlistPosition } } } } }`,
      { id: eventId },
      coordinator,
    );
    const nodes = data<{ event: { registrations: { edges: { node: { id: string; waitlistPosition: number } }[] } } }>(
      waiting.body,
    ).event.registrations.edges.map((edge) => edge.node);
    const next = nodes.find((node) => node.waitlistPosition === 1);
    expect(next).toBeDefined();
    const cancel = await stack.graphql(
      `mutation ($id: ID!) { cancelRegistration(id: $id) { status cancelledAt } }`,
      { id: results[seated]?.registration.id },
      people[seated]?.headers,
    );
    expect(data<{ cancelRegistration: { status: string } }>(cancel.body).cancelRegistration.status).toBe("CANCELLED");
    // The earliest waiting number among the WAITLISTED (the registrations list is in registration order, so look it up).
    const promoted = await stack.graphql(`query ($id: ID!) { registration(id: $id) { status promotedAt waitlistPosition } }`, { id: next?.id }, coordinator);
    const { registration } = data<{ registration: { status: string; promotedAt: string | null; waitlistPosition: number | null } }>(promoted.body);
    expect(registration.status).toBe("REGISTERED");
    expect(registration.promotedAt).not.toBeNull();
    expect(registration.waitlistPosition).toBeNull();
    expect(await counts(eventId)).toEqual({ capacity: 10, registered: 10, waitlisted: 39, attended: 0, remaining: 0 });
    expect(stack.published).toContainEqual({
      type: "registrationPromoted",
      topic: `event:${eventId}`,
      payload: expect.objectContaining({ registrationId: next?.id, eventId }),
    });
    const again = await stack.graphql(
      `mutation ($id: ID!) { cancelRegistration(id: $id) { status } }`,
      { id: results[seated]?.registration.id },
      people[seated]?.headers,
    );
    expect(data<{ cancelRegistration: { status: string } }>(again.body).cancelRegistration.status).toBe("CANCELLED");
    expect((await counts(eventId)).waitlisted).toBe(39);
  });

  test("a retried registration returns the first one, concurrently too; the key with other input is CONFLICT; a new key for the same person is ALREADY_REGISTERED", async () => {
    const otherEvent = await createEvent({ capacity: 5 });
    const person = await professional(99, "介護支援専門員");
    const key = randomUUID();
    const [a, b] = await Promise.all([register(otherEvent, person.headers, {}, key), register(otherEvent, person.headers, {}, key)]);
    const c = await register(otherEvent, person.headers, {}, key);
    const ids = [a, b, c].map((answer) => data<{ registerForEvent: Registered }>(answer.body).registerForEvent.registration.id);
    expect(new Set(ids).size).toBe(1);
    expect(data<{ registerForEvent: Registered }>(c.body).registerForEvent.registration.profession).toBe("CARE_MANAGER");
    expect(await counts(otherEvent)).toEqual({ capacity: 5, registered: 1, waitlisted: 0, attended: 0, remaining: 4 });

    const reused = await register(otherEvent, person.headers, { attendee: { name: "別人", email: "other@example.jp", profession: "NURSE" } }, key);
    expect(codes(reused.body)).toEqual(["CONFLICT"]);
    expect(reused.body.errors?.[0]?.extensions?.field).toBe("input.idempotencyKey");

    const twice = await register(otherEvent, person.headers);
    expect(codes(twice.body)).toEqual(["CONFLICT"]);
    expect(twice.body.errors?.[0]?.extensions).toMatchObject({ reason: "ALREADY_REGISTERED", field: "input.eventId" });
  });
});

describe("promotion by subscription", () => {
  test("registrationPromoted over graphql-ws: the person on the waiting list learns of their seat when someone cancels", async () => {
    const eventId = await createEvent({ capacity: 1, waitlistEnabled: true });
    const seated = await professional(201);
    const waiting = await professional(202);
    const first = data<{ registerForEvent: Registered }>((await register(eventId, seated.headers)).body).registerForEvent;
    const second = data<{ registerForEvent: Registered }>((await register(eventId, waiting.headers)).body).registerForEvent;
    expect(second.registration.status).toBe("WAITLISTED");

    const connection = connectWs(stack.gateway.url, waiting.headers);
    try {
      const live = new LiveSubscription(connection.client, {
        query: `subscription ($event: ID!) { registrationPromoted(eventId: $event) { id status waitlistPosition event { id title } } }`,
        variables: { event: eventId },
      });
      const topic = `event:${eventId}`;
      for (let waited = 0; stack.pubsub.listenerCount(topic) < 1; waited += 10) {
        if (waited > 3000) throw new Error(`nobody listens to ${topic}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const cancelled = await stack.graphql(`mutation ($id: ID!) { cancelRegistration(id: $id) { status } }`, { id: first.registration.id }, seated.headers);
      expect(data<{ cancelRegistration: { status: string } }>(cancelled.body).cancelRegistration.status).toBe("CANCELLED");
      expect((await live.next(5000)).data).toEqual({
        registrationPromoted: { id: second.registration.id, status: "REGISTERED", waitlistPosition: null, event: { id: eventId, title: "多職種連携研修会" } },
      });
      live.stop();
    } finally {
      await connection.client.dispose();
    }
  });

  test("registrationPromoted is refused for an event the subscriber may not see", async () => {
    const eventId = await createEvent({ capacity: 1 });
    const connection = connectWs(stack.gateway.url, {});
    try {
      const live = new LiveSubscription(connection.client, {
        query: `subscription ($event: ID!) { registrationPromoted(eventId: $event) { id } }`,
        variables: { event: eventId },
      });
      expect(JSON.stringify(await live.error(3000))).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
    } finally {
      await connection.client.dispose();
    }
  });
});

describe("deadlines and full events", () => {
  test("after the deadline registration is refused with CONFLICT / REGISTRATION_CLOSED", async () => {
    const eventId = await createEvent({ registrationDeadline: new Date(Date.now() - 60_000).toISOString() });
    const person = await professional(200);
    const answer = await register(eventId, person.headers);
    expect(codes(answer.body)).toEqual(["CONFLICT"]);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ reason: "REGISTRATION_CLOSED", field: "input.eventId" });
    const open = data<{ event: { registrationOpen: boolean } }>(
      (await stack.graphql(`query ($id: ID!) { event(id: $id) { registrationOpen } }`, { id: eventId }, person.headers)).body,
    );
    expect(open.event.registrationOpen).toBe(false);
  });

  test("a full event without a waiting list refuses with CONFLICT / EVENT_FULL", async () => {
    const eventId = await createEvent({ capacity: 1, waitlistEnabled: false });
    const first = await register(eventId, (await professional(201)).headers);
    expect(data<{ registerForEvent: Registered }>(first.body).registerForEvent.registration.status).toBe("REGISTERED");
    const second = await register(eventId, (await professional(202)).headers);
    expect(codes(second.body)).toEqual(["CONFLICT"]);
    expect(second.body.errors?.[0]?.extensions).toMatchObject({ reason: "EVENT_FULL", field: "input.eventId" });
  });

  test("a cancelled event refuses with EVENT_CANCELLED", async () => {
    const eventId = await createEvent();
    const cancelled = await stack.graphql(
      `mutation ($id: ID!) { cancelEvent(id: $id, reason: "講師の急病のため") { status cancellationReason } }`,
      { id: eventId },
      coordinator,
    );
    expect(data<{ cancelEvent: unknown }>(cancelled.body).cancelEvent).toEqual({ status: "CANCELLED", cancellationReason: "講師の急病のため" });
    const answer = await register(eventId, (await professional(203)).headers);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", reason: "EVENT_CANCELLED" });
  });
});

describe("visibility and residents", () => {
  test("a group-only meeting is invisible to the public and to uninvited professionals, visible to invited members and staff", async () => {
    const invited = await professional(300, "保健師");
    const outsider = await professional(301);
    const meetingId = await createEvent({
      type: "COMMUNITY_CARE_MEETING",
      title: "地域ケア会議（個別ケース検討）",
      visibility: "GROUP",
      visibilityGroupId: GROUP_ID,
      invitedMemberIds: [invited.memberId],
    });
    const one = `query ($id: ID!) { event(id: $id) { id title } }`;
    const list = `{ events(first: 100, filter: { types: [COMMUNITY_CARE_MEETING] }) { edges { node { id } } } }`;
    expect((await stack.graphql(one, { id: meetingId })).body).toEqual({ data: { event: null } });
    expect((await stack.graphql(one, { id: meetingId }, outsider.headers)).body).toEqual({ data: { event: null } });
    expect((await stack.graphql(one, { id: meetingId }, invited.headers)).body).toEqual({
      data: { event: { id: meetingId, title: "地域ケア会議（個別ケース検討）" } },
    });
    const ids = async (headers: Record<string, string>) =>
      data<{ events: { edges: { node: { id: string } }[] } }>((await stack.graphql(list, {}, headers)).body).events.edges.map((edge) => edge.node.id);
    expect(await ids({})).not.toContain(meetingId);
    expect(await ids(outsider.headers)).not.toContain(meetingId);
    expect(await ids(invited.headers)).toContain(meetingId);
    expect(await ids(coordinator)).toContain(meetingId);
    const refused = await register(meetingId, outsider.headers);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", field: "input.eventId" });
  });

  test("anonymous keys are scoped to key and input: a retry gets its registration back, another person's use of the key never does", async () => {
    const lectureId = await createEvent({
      type: "RESIDENT_LECTURE",
      title: "住民向け講座「終活」",
      visibility: "PUBLIC",
      residentsWelcome: true,
      capacity: 50,
    });
    const key = randomUUID();
    const taro = { attendee: { name: "つなぐ 一郎", phone: "0761-22-0001" } };
    const first = data<{ registerForEvent: Registered }>((await register(lectureId, {}, taro, key)).body).registerForEvent;
    const retry = data<{ registerForEvent: Registered }>((await register(lectureId, {}, taro, key)).body).registerForEvent;
    expect(retry).toEqual(first);

    const other = await register(lectureId, {}, { attendee: { name: "つなぐ 二郎", phone: "0761-22-0002" } }, key);
    const second = data<{ registerForEvent: Registered }>(other.body).registerForEvent;
    expect(second.registration.id).not.toBe(first.registration.id);
    expect(second.accessCode).not.toBe(first.accessCode);
    expect(second.registration.name).toBe("つなぐ 二郎");

    const signedIn = await professional(98, "看護師");
    const replayed = await register(lectureId, signedIn.headers, taro, key);
    expect(JSON.stringify(replayed.body)).not.toContain(first.accessCode);
    expect((replayed.body.data as { registerForEvent?: Registered | null } | undefined)?.registerForEvent?.registration.id).not.toBe(first.registration.id);
  });

  test("a professionals' training is hidden from the public; a public lecture takes residents without signing in, who cancel with their access code", async () => {
    const trainingId = await createEvent();
    expect((await stack.graphql(`query ($id: ID!) { event(id: $id) { id } }`, { id: trainingId })).body).toEqual({ data: { event: null } });
    const lectureId = await createEvent({
      type: "RESIDENT_LECTURE",
      title: "住民向け講座「人生会議」",
      visibility: "PUBLIC",
      residentsWelcome: true,
      capacity: 100,
    });
    const resident = await register(lectureId, {}, { attendee: { name: "つなぐ 太郎", phone: "0761-22-1234" } });
    const { accessCode, registration } = data<{ registerForEvent: Registered }>(resident.body).registerForEvent;
    expect(registration).toMatchObject({ status: "REGISTERED", resident: true, profession: null, name: "つなぐ 太郎" });
    expect(accessCode).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const cancelQuery = `mutation ($id: ID!, $code: String) { cancelRegistration(id: $id, accessCode: $code) { status } }`;
    const wrong = await stack.graphql(cancelQuery, { id: registration.id, code: "x".repeat(43) });
    expect(codes(wrong.body)).toEqual(["UNAUTHENTICATED"]);
    const right = await stack.graphql(cancelQuery, { id: registration.id, code: accessCode });
    expect(data<{ cancelRegistration: { status: string } }>(right.body).cancelRegistration.status).toBe("CANCELLED");

    const notForResidents = await createEvent({ visibility: "PUBLIC" });
    const refused = await register(notForResidents, {}, { attendee: { name: "つなぐ 花子", email: "hanako@example.jp" } });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", reason: "RESIDENTS_NOT_ACCEPTED", field: "input.attendee.profession" });
  });

  test("only coordinators, admins and vendor keys with events:write create events", async () => {
    const answer = await stack.graphql(CREATE, { input: {}, key: randomUUID() }, (await professional(400)).headers);
    expect(new Set(codes(answer.body))).toEqual(new Set(["BAD_USER_INPUT"]));
    const valid = {
      type: "TRAINING",
      title: "研修",
      organiserIds: [GROUP_ID],
      format: "ONLINE",
      onlineUrl: "https://meet.example.jp/a",
      startsAt: new Date(Date.now() + DAY_MS).toISOString(),
      endsAt: new Date(Date.now() + DAY_MS + 3600_000).toISOString(),
      visibility: "PUBLIC",
    };
    const refused = await stack.graphql(CREATE, { input: valid, key: randomUUID() }, (await professional(401)).headers);
    expect(codes(refused.body)).toEqual(["FORBIDDEN"]);
    expect(codes((await stack.graphql(CREATE, { input: valid, key: randomUUID() })).body)).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("validation", () => {
  test("problems are BAD_USER_INPUT naming the input field", async () => {
    const start = new Date(Date.now() + 7 * DAY_MS);
    const input = {
      type: "TRAINING",
      title: "研修",
      organiserIds: [GROUP_ID],
      format: "HYBRID",
      place: "会議室",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() - 60_000).toISOString(),
      visibility: "PUBLIC",
    };
    const answer = await stack.graphql(CREATE, { input, key: randomUUID() }, coordinator);
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.errors?.[0]?.extensions?.field).toBe("input.endsAt");
    expect((answer.body.errors?.[0]?.extensions?.problems as { field: string }[]).map((problem) => problem.field)).toEqual(["input.endsAt", "input.onlineUrl"]);
    const badId = await stack.graphql(`{ event(id: "nope") { id } }`);
    expect(badId.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    const badRule = await stack.graphql(
      CREATE,
      {
        input: {
          ...input,
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          onlineUrl: "https://meet.example.jp/b",
          recurrence: { frequency: "MONTHLY", byWeekday: ["MON", "TUE"], weekOfMonth: 2 },
        },
        key: randomUUID(),
      },
      coordinator,
    );
    expect(badRule.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.recurrence.byWeekday" });
  });
});

describe("checklist, check-in and survey", () => {
  test("the standard checklist is the organiser's; the assignee completes a task; check-in and survey feed the summary", async () => {
    const assignee = await professional(500, "社会福祉士");
    const eventId = await createEvent({
      useStandardChecklist: true,
      checklist: [{ phase: "BEFORE", title: "講師への謝金の手配", assigneeId: assignee.memberId }],
    });
    const checklistQuery = `query ($id: ID!) { event(id: $id) { checklist { id phase title done assignee { id } } } }`;
    const tasks = data<{ event: { checklist: { id: string; phase: string; title: string; done: boolean; assignee: { id: string } | null }[] } }>(
      (await stack.graphql(checklistQuery, { id: eventId }, coordinator)).body,
    ).event.checklist;
    expect(tasks).toHaveLength(17);
    expect(tasks.filter((task) => task.phase === "ON_THE_DAY").map((task) => task.title)).toEqual([
      "会場設営・受付",
      "司会進行・グループワークのファシリテーター",
      "写真撮影と記録",
      "撤収",
    ]);
    expect(data<{ event: { checklist: null } }>((await stack.graphql(checklistQuery, { id: eventId }, assignee.headers)).body).event.checklist).toBeNull();
    const own = tasks.find((task) => task.assignee?.id === assignee.memberId);
    const done = await stack.graphql(
      `mutation ($e: ID!, $t: ID!) { updateChecklistTask(eventId: $e, taskId: $t, input: { done: true }) { version } }`,
      { e: eventId, t: own?.id },
      assignee.headers,
    );
    expect(data<{ updateChecklistTask: { version: number } }>(done.body).updateChecklistTask.version).toBe(2);
    const other = tasks.find((task) => task.assignee === null);
    const refused = await stack.graphql(
      `mutation ($e: ID!, $t: ID!) { updateChecklistTask(eventId: $e, taskId: $t, input: { done: true }) { version } }`,
      { e: eventId, t: other?.id },
      assignee.headers,
    );
    expect(codes(refused.body)).toEqual(["FORBIDDEN"]);

    const attendee = await professional(501, "薬剤師");
    const { registration } = data<{ registerForEvent: Registered }>((await register(eventId, attendee.headers)).body).registerForEvent;
    const checkedIn = await stack.graphql(`mutation ($id: ID!) { checkIn(registrationId: $id) { attendedAt } }`, { id: registration.id }, coordinator);
    expect(data<{ checkIn: { attendedAt: string } }>(checkedIn.body).checkIn.attendedAt).toMatch(/Z$/);
    const survey = `mutation ($input: SubmitSurveyInput!) { submitSurvey(input: $input) { satisfaction comment } }`;
    const answered = await stack.graphql(
      survey,
      { input: { eventId, idempotencyKey: randomUUID(), registrationId: registration.id, satisfaction: "VERY_GOOD", comment: "顔の見える関係ができた" } },
      attendee.headers,
    );
    expect(data<{ submitSurvey: unknown }>(answered.body).submitSurvey).toEqual({ satisfaction: "VERY_GOOD", comment: "顔の見える関係ができた" });
    const twice = await stack.graphql(
      survey,
      { input: { eventId, idempotencyKey: randomUUID(), registrationId: registration.id, satisfaction: "GOOD" } },
      attendee.headers,
    );
    expect(twice.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", reason: "SURVEY_ALREADY_ANSWERED" });
    const paper = await stack.graphql(survey, { input: { eventId, idempotencyKey: randomUUID(), satisfaction: "GOOD", profession: "NURSE" } }, coordinator);
    expect(data<{ submitSurvey: { satisfaction: string } }>(paper.body).submitSurvey.satisfaction).toBe("GOOD");
    const summary = await stack.graphql(
      `query ($id: ID!) { event(id: $id) { registrationCounts { attended } surveySummary { satisfaction { responses satisfiedPercent counts { answer count percent } } comments } } }`,
      { id: eventId },
      coordinator,
    );
    expect(data<{ event: unknown }>(summary.body).event).toEqual({
      registrationCounts: { attended: 1 },
      surveySummary: {
        satisfaction: {
          responses: 2,
          satisfiedPercent: 100,
          counts: [
            { answer: "VERY_GOOD", count: 1, percent: 50 },
            { answer: "GOOD", count: 1, percent: 50 },
            { answer: "FAIR", count: 0, percent: 0 },
            { answer: "POOR", count: 0, percent: 0 },
          ],
        },
        comments: ["顔の見える関係ができた"],
      },
    });
  });

  test("raising capacity promotes from the waiting list; it cannot go below the seats taken", async () => {
    const eventId = await createEvent({ capacity: 1 });
    for (let n = 0; n < 3; n += 1) await register(eventId, (await professional(600 + n)).headers);
    const lower = await stack.graphql(
      `mutation ($id: ID!) { updateEvent(id: $id, input: { capacity: 2 }) { registrationCounts { registered waitlisted } } }`,
      { id: eventId },
      coordinator,
    );
    expect(data<{ updateEvent: unknown }>(lower.body).updateEvent).toEqual({ registrationCounts: { registered: 2, waitlisted: 1 } });
    const below = await stack.graphql(`mutation ($id: ID!) { updateEvent(id: $id, input: { capacity: 1 }) { id } }`, { id: eventId }, coordinator);
    expect(below.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", reason: "CAPACITY_BELOW_REGISTERED", field: "input.capacity" });
    const stale = await stack.graphql(
      `mutation ($id: ID!) { updateEvent(id: $id, input: { title: "改題" }, expectedVersion: 1) { id } }`,
      { id: eventId },
      coordinator,
    );
    expect(stale.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "expectedVersion" });
  });
});

describe("across subgraphs", () => {
  test("a group's upcoming events with their venues' names (resources) and staff (groups); a venue's hosted events; a member's registrations", async () => {
    const [groupName, groupId] = [...stack.groupIds.entries()][0];
    const venue = stack.staffedResources[0];
    const titles = ["第1回 入退院支援研修", "第2回 看取り研修"];
    const ids: string[] = [];
    for (const [index, title] of titles.entries()) {
      const start = new Date(Date.now() + (30 + index) * DAY_MS);
      ids.push(
        await createEvent({
          title,
          venueId: venue.id,
          place: undefined,
          organiserIds: [groupId],
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        }),
      );
    }
    const member = await professional(700, "理学療法士");
    await register(ids[0], member.headers);
    const answer = await stack.graphql(
      `query ($group: ID!, $venue: ID!, $event: ID!) {
        group(id: $group) { name events(first: 100) { edges { node { id title venue { names { official } staff { name } } } } } }
        resource(id: $venue) { names { official } hostedEvents(first: 100) { edges { node { id organisers { name } } } } }
        event(id: $event) { myRegistration { status member { id registrations { edges { node { event { title } status } } } } } }
      }`,
      { group: groupId, venue: venue.id, event: ids[0] },
      member.headers,
    );
    const result = data<{
      group: { name: string; events: { edges: { node: { id: string; title: string; venue: { names: { official: string }; staff: { name: string }[] } } }[] } };
      resource: { names: { official: string }; hostedEvents: { edges: { node: { id: string; organisers: { name: string }[] } }[] } };
      event: { myRegistration: { status: string; member: { id: string; registrations: { edges: { node: { event: { title: string }; status: string } }[] } } } };
    }>(answer.body);
    expect(result.group.name).toBe(groupName);
    const venueName = result.resource.names.official;
    const upcoming = result.group.events.edges.filter((edge) => ids.includes(edge.node.id));
    expect(upcoming.map((edge) => [edge.node.title, edge.node.venue.names.official, edge.node.venue.staff.map((staff) => staff.name)])).toEqual(
      titles.map((title) => [title, venueName, venue.staff]),
    );
    expect(venue.staff.length).toBeGreaterThan(0);
    expect(result.resource.hostedEvents.edges).toEqual(ids.map((id) => ({ node: { id, organisers: [{ name: groupName }] } })));
    expect(result.event.myRegistration.status).toBe("REGISTERED");
    expect(result.event.myRegistration.member.registrations.edges).toEqual([{ node: { event: { title: titles[0] }, status: "REGISTERED" } }]);
  });

  test("a list of events with organisers (and their events), venue, counts and the caller's registration costs three database round trips for 5 or 25 events", async () => {
    const group = new Types.ObjectId().toHexString();
    const venue = stack.resourceIds[1];
    const query = `query ($group: ID!) {
      events(first: 100, filter: { organiserIds: [$group] }) {
        edges { node { title organisers { id events(first: 2) { edges { node { id } } } } venue { names { official } } registrationCounts { registered waitlisted } myRegistration { status } } }
      }
    }`;
    const viewer = await professional(800);
    const roundTrips: number[] = [];
    let created = 0;
    for (const total of [5, 25]) {
      for (; created < total; created += 1) await createEvent({ organiserIds: [group], venueId: venue, place: undefined });
      stack.commands.length = 0;
      const answer = await stack.graphql(query, { group }, viewer.headers);
      const edges = data<{ events: { edges: { node: { venue: { names: { official: string } } } }[] } }>(answer.body).events.edges;
      expect(edges).toHaveLength(total);
      expect(new Set(edges.map((edge) => edge.node.venue.names.official)).size).toBe(1);
      roundTrips.push(stack.commands.filter((command) => ["find", "aggregate"].includes(command.commandName)).length);
    }
    // The page, the organisers' events, the caller's own registrations; the counts come with each event.
    expect(roundTrips).toEqual([3, 3]);
  });
});
