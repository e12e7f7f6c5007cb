// No existence oracle, through the gateway: asking for a record that does not exist and for one the caller may not see gives the same refusal (code and message) in emergency, transitions, groups and events, and neither reads nor changes anything.
import { randomUUID } from "node:crypto";
import { Types } from "mongoose";
import { bearer, codes } from "./helpers";
import type { HttpAnswer } from "./helpers";
import { signedIn as emergencySignedIn, startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack } from "./emergency-stack";
import { startTransitionsStack } from "./transitions-stack";
import type { TransitionsStack } from "./transitions-stack";
import { startGroupsStack } from "./groups-stack";
import type { GroupsStack } from "./groups-stack";
import { startEventsStack } from "./events-stack";
import type { EventsStack } from "./events-stack";

const unknownId = () => new Types.ObjectId().toHexString();

/** The two answers refuse alike: one error each, the same code and message, and the same data. */
function expectSameRefusal(missing: HttpAnswer, hidden: HttpAnswer, code: string): void {
  expect(codes(hidden.body)).toEqual([code]);
  expect(codes(missing.body)).toEqual([code]);
  expect(missing.body.errors?.[0]?.message).toBe(hidden.body.errors?.[0]?.message);
  expect(missing.body.data).toEqual(hidden.body.data);
  expect(missing.status).toBe(hidden.status);
}

describe("emergency", () => {
  let stack: EmergencyStack;
  let profileId: string;

  beforeAll(async () => {
    stack = await startEmergencyStack({ now: new Date("2026-04-01T01:00:00Z") });
    const owner = await emergencySignedIn({ role: "RESIDENT", subject: "resident-owner" });
    const created = await stack.graphql(
      `mutation ($input: EmergencyProfileInput!) { createEmergencyProfile(input: $input, idempotencyKey: "oracle-1") { id } }`,
      {
        input: {
          person: {
            name: "秘密 花子",
            kana: "ヒミツ ハナコ",
            dateOfBirth: "1941-03-03",
            sex: "FEMALE",
            address: { prefecture: "石川県", city: "つなぐ市", street: "本町1-1-1" },
          },
          conditions: [{ name: "糖尿病", source: "SELF_REPORTED" }],
          careTeam: {},
          consent: { scope: ["EMERGENCY_SERVICES", "CARE_TEAM"], method: "WRITTEN" },
        },
      },
      owner,
    );
    expect(created.body.errors).toBeUndefined();
    profileId = (created.body.data as { createEmergencyProfile: { id: string } }).createEmergencyProfile.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("another resident, a professional without a grant and a crew without a look-up are refused alike for a missing and an existing profile", async () => {
    const log = stack.engine.connection.collection("emergencyAccessLog");
    const profiles = stack.engine.connection.collection("emergencyProfiles");
    const entriesBefore = await log.countDocuments();
    const stored = await profiles.findOne({});
    const callers = [
      await emergencySignedIn({ role: "RESIDENT", subject: "resident-neighbour" }),
      await emergencySignedIn({ role: "PROFESSIONAL", subject: "nurse-x", memberId: unknownId(), organizationId: unknownId() }),
      await emergencySignedIn({ role: "EMS", subject: "ems-x" }),
    ];
    const READ = `query ($id: ID!) { emergencyProfile(id: $id) { id person { name } conditions { name } } }`;
    const FHIR = `query ($id: ID!) { emergencyProfileFhir(id: $id) }`;
    const WITHDRAW = `mutation ($id: ID!) { withdrawEmergencyConsent(id: $id) { active } }`;
    const REISSUE = `mutation ($id: ID!) { reissueEmergencyCard(id: $id) { code } }`;
    const DELEGATE = `mutation ($id: ID!) { addEmergencyProfileDelegate(id: $id, input: { subject: "attacker", name: "攻撃者", relation: "他人" }) { subject } }`;
    for (const headers of callers) {
      for (const query of [READ, FHIR]) {
        expectSameRefusal(await stack.graphql(query, { id: unknownId() }, headers), await stack.graphql(query, { id: profileId }, headers), "FORBIDDEN");
      }
    }
    for (const query of [WITHDRAW, REISSUE, DELEGATE]) {
      const headers = callers[0];
      expectSameRefusal(await stack.graphql(query, { id: unknownId() }, headers), await stack.graphql(query, { id: profileId }, headers), "FORBIDDEN");
      expectSameRefusal(await stack.graphql(query, { id: "not-an-id" }, headers), await stack.graphql(query, { id: profileId }, headers), "FORBIDDEN");
    }
    expect(await log.countDocuments()).toBe(entriesBefore);
    expect(await profiles.findOne({})).toEqual(stored);
  });
});

describe("transitions", () => {
  let stack: TransitionsStack;
  let noticeId: string;
  const sender = { memberId: unknownId(), organizationId: unknownId() };
  const outsider = { memberId: unknownId(), organizationId: unknownId() };
  const as = (who: { memberId: string; organizationId: string }) => bearer({ role: "PROFESSIONAL", subject: `member-${who.memberId}`, ...who });

  beforeAll(async () => {
    stack = await startTransitionsStack();
    const created = await stack.graphql(
      `mutation ($input: CreateTransitionNoticeInput!) { createTransitionNotice(input: $input, idempotencyKey: "oracle-notice") { id } }`,
      { input: { type: "ADMISSION_INFO", patient: { name: "秘密 次郎", dateOfBirth: "1939-09-09" }, recipientId: unknownId(), admission: { adl: "自立" } } },
      await as(sender),
    );
    expect(created.body.errors).toBeUndefined();
    noticeId = (created.body.data as { createTransitionNotice: { id: string } }).createTransitionNotice.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("an outsider is refused alike for a missing and an existing notice; both attempts are logged as refused and nothing changes", async () => {
    const log = stack.engine.connection.collection("transitionAccessLog");
    const notices = stack.engine.connection.collection("transitionNotices");
    const stored = await notices.findOne({});
    const headers = await as(outsider);
    const READ = `query ($id: ID!) { transitionNotice(id: $id) { id patient { name } } }`;
    const ACK = `mutation ($id: ID!) { acknowledgeTransitionNotice(id: $id) { id status } }`;
    for (const query of [READ, ACK]) {
      const before = await log.countDocuments();
      const missing = unknownId();
      expectSameRefusal(await stack.graphql(query, { id: missing }, headers), await stack.graphql(query, { id: noticeId }, headers), "FORBIDDEN");
      const added = await log.find({}).sort({ "chain.seq": -1 }).limit(2).toArray();
      expect(await log.countDocuments()).toBe(before + 2);
      expect(added.map((entry) => entry.outcome)).toEqual(["DENIED", "DENIED"]);
      expect(added.map((entry) => entry.noticeId.toHexString()).sort()).toEqual([missing, noticeId].sort());
    }
    expect(await notices.findOne({})).toEqual(stored);
  });
});

describe("groups", () => {
  let stack: GroupsStack;
  let privateBoardId: string;
  let privatePostId: string;

  beforeAll(async () => {
    stack = await startGroupsStack({ now: new Date("2025-03-01T00:00:00Z"), resourceCount: 150 });
    const coordinator = await bearer({ role: "COORDINATOR", subject: "oracle-setup" });
    const found = await stack.graphql(
      `{ groups(first: 50) { edges { node { name board { id visibility posts(first: 1) { edges { node { id } } } } } } } }`,
      {},
      coordinator,
    );
    expect(found.body.errors).toBeUndefined();
    const edges = (
      found.body.data as { groups: { edges: { node: { board: { id: string; visibility: string; posts: { edges: { node: { id: string } }[] } } } }[] } }
    ).groups.edges;
    const privateBoard = edges.map((edge) => edge.node.board).find((board) => board.visibility === "PRIVATE" && board.posts.edges.length > 0);
    if (privateBoard === undefined) throw new Error("no private board with posts in the demo groups");
    privateBoardId = privateBoard.id;
    privatePostId = privateBoard.posts.edges[0]?.node.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("a non-member and the public are refused alike for a missing and a private board, post, new post and acknowledgement; nothing is written", async () => {
    const posts = stack.engine.connection.collection("board_posts");
    const acknowledgements = stack.engine.connection.collection("board_acknowledgements");
    const [postsBefore, acksBefore] = [await posts.countDocuments(), await acknowledgements.countDocuments()];
    const outsider = await bearer({ role: "PROFESSIONAL", subject: "outsider", memberId: unknownId(), profession: "看護師" });
    const BOARD = `query ($id: ID!) { board(id: $id) { name posts(first: 5) { edges { node { title } } } } }`;
    const POST = `query ($id: ID!) { post(id: $id) { title body } }`;
    const CREATE_POST = `mutation ($id: ID!, $key: String!) { createPost(input: { boardId: $id, title: "t", body: "b" }, idempotencyKey: $key) { id } }`;
    const ACK = `mutation ($id: ID!) { acknowledgePost(postId: $id) { id } }`;
    for (const [query, existing] of [
      [BOARD, privateBoardId],
      [POST, privatePostId],
      [CREATE_POST, privateBoardId],
      [ACK, privatePostId],
    ] as const) {
      const vars = (id: string) => ({ id, key: randomUUID() });
      expectSameRefusal(await stack.graphql(query, vars(unknownId()), outsider), await stack.graphql(query, vars(existing), outsider), "FORBIDDEN");
      expectSameRefusal(await stack.graphql(query, vars(unknownId())), await stack.graphql(query, vars(existing)), "UNAUTHENTICATED");
    }
    expect(await posts.countDocuments()).toBe(postsBefore);
    expect(await acknowledgements.countDocuments()).toBe(acksBefore);
  });
});

describe("events", () => {
  let stack: EventsStack;
  let registrationId: string;

  beforeAll(async () => {
    stack = await startEventsStack({ seed: {} });
    const listed = await stack.graphql(`{ events(first: 20) { edges { node { id visibility } } } }`);
    const eventId = (listed.body.data as { events: { edges: { node: { id: string; visibility: string } }[] } }).events.edges.find(
      (edge) => edge.node.visibility === "PUBLIC",
    )?.node.id;
    if (eventId === undefined) throw new Error("no public demo event");
    const registered = await stack.graphql(
      `mutation ($input: RegisterForEventInput!) { registerForEvent(input: $input) { registration { id } } }`,
      { input: { eventId, idempotencyKey: randomUUID(), attendee: { name: "参加 太郎", email: "sanka@example.jp" } } },
      await bearer({ role: "RESIDENT", subject: "resident-registrant" }),
    );
    expect(registered.body.errors).toBeUndefined();
    registrationId = (registered.body.data as { registerForEvent: { registration: { id: string } } }).registerForEvent.registration.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("someone else is refused alike for a missing and an existing registration, when cancelling and when checking in; nothing changes", async () => {
    const registrations = stack.engine.connection.collection("eventRegistrations");
    const stored = await registrations.find({}).toArray();
    const stranger = await bearer({ role: "RESIDENT", subject: "resident-stranger" });
    const CANCEL = `mutation ($id: ID!) { cancelRegistration(id: $id, accessCode: "guess") { id status } }`;
    const CHECK_IN = `mutation ($id: ID!) { checkIn(registrationId: $id) { id status } }`;
    for (const query of [CANCEL, CHECK_IN]) {
      expectSameRefusal(await stack.graphql(query, { id: unknownId() }, stranger), await stack.graphql(query, { id: registrationId }, stranger), "FORBIDDEN");
    }
    expect(await registrations.find({}).toArray()).toEqual(stored);
  });
});
