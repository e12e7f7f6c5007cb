// Issue 13's defects, each walked through the gateway of the whole system (demo data) as its user would: what was refused, changed or shown wrongly before, and is right now.
import { randomUUID } from "node:crypto";
import { Types } from "mongoose";
import { fiscalYearOf, fiscalYearStart, toTokyoIso, tokyoDate } from "@tsunagu/service-kit";
import { demoMemberClaims } from "../../scripts/token";
import { createApiKey, generateApiKey, hashApiKey, mongoApiKeyStore } from "../src/api-keys";
import { bearer, codes } from "./helpers";
import { startSystemStack } from "./system-stack";
import type { SystemStack } from "./system-stack";

const DAY_MS = 24 * 60 * 60 * 1000;
let stack: SystemStack;

beforeAll(async () => {
  stack = await startSystemStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const coordinator = () => bearer({ role: "COORDINATOR", subject: "coordinator-okada", displayName: "岡田 花子" });

/** The first group of the demo data (organiser of the events created here). */
async function firstGroupId(): Promise<string> {
  const data = await stack.data<{ groups: { edges: { node: { id: string } }[] } }>("{ groups(first: 1) { edges { node { id } } } }", {}, await coordinator());
  return data.groups.edges[0].node.id;
}

describe("1: calendar feeds are served on the gateway's public origin", () => {
  test("publicCalendarUrl and a member's issueCalendarFeed URL point at the gateway, which serves both feeds", async () => {
    const port = new URL(stack.origin).port;
    const { publicCalendarUrl } = await stack.data<{ publicCalendarUrl: string }>("{ publicCalendarUrl }");
    expect(publicCalendarUrl).toBe(`http://localhost:${port}/calendar/public.ics`);
    expect(stack.system.publicOrigin).toBe(`http://localhost:${port}`);
    const feed = await fetch(`${stack.origin}${new URL(publicCalendarUrl).pathname}`);
    expect(feed.status).toBe(200);
    expect(feed.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(await feed.text()).toMatch(/^BEGIN:VCALENDAR\r\n[\s\S]*BEGIN:VEVENT/);

    const [member] = await demoMembers("NURSE");
    const issued = await stack.data<{ issueCalendarFeed: { url: string } }>("mutation { issueCalendarFeed { url } }", {}, await asMember(member));
    expect(issued.issueCalendarFeed.url).toMatch(new RegExp(`^http://localhost:${port}/calendar/members/[A-Za-z0-9_-]{43}\\.ics$`));
    const own = await fetch(`${stack.origin}${new URL(issued.issueCalendarFeed.url).pathname}`);
    expect(own.status).toBe(200);
    expect(own.headers.get("cache-control")).toBe("private, no-cache");
    const unknown = await fetch(`${stack.origin}/calendar/members/${"x".repeat(43)}.ics`);
    expect(unknown.status).toBe(404);
  });

  test("with PUBLIC_ORIGIN set, feed URLs are built on it", async () => {
    const configured = await startSystemStack({ PUBLIC_ORIGIN: "https://care.example.lg.jp/ignored-path", SEED_DEMO_DATA: "false" });
    try {
      expect(await configured.data<{ publicCalendarUrl: string }>("{ publicCalendarUrl }")).toEqual({
        publicCalendarUrl: "https://care.example.lg.jp/calendar/public.ics",
      });
      expect((await fetch(`${configured.origin}/calendar/public.ics`)).status).toBe(200);
    } finally {
      await configured.stop();
    }
  }, 60_000);
});

describe("7: registration does not match people by phone number", () => {
  const REGISTER = `mutation ($input: RegisterForEventInput!) { registerForEvent(input: $input) { registration { id status name } } }`;

  test("two people sharing a landline both register; the same person again is ALREADY_REGISTERED", async () => {
    const start = new Date(Date.now() + 20 * DAY_MS);
    const created = await stack.data<{ createEvent: { id: string } }>(
      `mutation ($input: CreateEventInput!, $key: String!) { createEvent(input: $input, idempotencyKey: $key) { id } }`,
      {
        input: {
          type: "RESIDENT_LECTURE",
          title: "住民向け講座「フレイル予防」",
          organiserIds: [await firstGroupId()],
          format: "IN_PERSON",
          place: "つなぐ市公民館",
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 90 * 60 * 1000).toISOString(),
          visibility: "PUBLIC",
          residentsWelcome: true,
          capacity: 30,
        },
        key: randomUUID(),
      },
      await coordinator(),
    );
    const eventId = created.createEvent.id;
    const register = (name: string) => stack.graphql(REGISTER, { input: { eventId, idempotencyKey: randomUUID(), attendee: { name, phone: "0761-22-1234" } } });
    const husband = await register("北見 太郎");
    expect(husband.body.errors).toBeUndefined();
    const wife = await register("北見 花子");
    expect(wife.body.errors).toBeUndefined();
    expect((wife.body.data as { registerForEvent: { registration: { status: string; name: string } } }).registerForEvent.registration).toMatchObject({
      status: "REGISTERED",
      name: "北見 花子",
    });
    const again = await register("北見　太郎");
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", reason: "ALREADY_REGISTERED" });
  });
});

describe("8: programme figures count each session of a series, show the current year to date, and satisfaction without answers as no data", () => {
  test("the current fiscal year counts the monthly care cafe's sessions held so far; its satisfaction target has no data (null), not 0%", async () => {
    const headers = await coordinator();
    const year = fiscalYearOf(new Date());
    await stack.data(
      `mutation ($year: Int!) { setEventTarget(input: { fiscalYear: $year, indicator: SATISFIED_PERCENT, target: 90 }) { target } }`,
      { year },
      headers,
    );
    const period = { from: toTokyoIso(fiscalYearStart(year)), to: toTokyoIso(fiscalYearStart(year + 1)) };
    const stats = await stack.data<{
      eventStats: {
        asOf: string;
        events: number;
        eventsByType: { type: string; events: number }[];
        satisfaction: { responses: number; satisfiedPercent: number | null };
        targets: { indicator: string; actual: number | null; percentOfTarget: number | null }[];
      };
    }>(
      `query ($from: DateTime!, $to: DateTime!) { eventStats(from: $from, to: $to) {
        asOf events eventsByType { type events } satisfaction { responses satisfiedPercent } targets { indicator actual percentOfTarget } } }`,
      period,
      headers,
    );
    const { eventStats } = stats;
    expect(Math.abs(new Date(eventStats.asOf).getTime() - Date.now())).toBeLessThan(60_000);
    // The demo care cafe meets on the second Saturday of every month at 13:30 Tokyo time, from April of the demo year.
    let held = 0;
    for (let month = 0; month < 12; month += 1) {
      const calendarMonth = ((3 + month) % 12) + 1;
      const calendarYear = year + (calendarMonth < 4 ? 1 : 0);
      const firstDay = new Date(Date.UTC(calendarYear, calendarMonth - 1, 1)).getUTCDay();
      const secondSaturday = 1 + ((6 - firstDay + 7) % 7) + 7;
      const session = new Date(`${calendarYear}-${String(calendarMonth).padStart(2, "0")}-${String(secondSaturday).padStart(2, "0")}T13:30:00+09:00`);
      if (session.getTime() <= Date.now()) held += 1;
    }
    expect(held).toBeGreaterThan(0);
    expect(eventStats.eventsByType.find((row) => row.type === "CARE_CAFE")).toEqual({ type: "CARE_CAFE", events: held });
    expect(eventStats.events).toBe(eventStats.eventsByType.reduce((sum, row) => sum + row.events, 0));
    expect(eventStats.satisfaction).toEqual({ responses: 0, satisfiedPercent: null });
    expect(eventStats.targets.find((target) => target.indicator === "SATISFIED_PERCENT")).toEqual({
      indicator: "SATISFIED_PERCENT",
      actual: null,
      percentOfTarget: null,
    });
  });
});

describe("9: updating a resource changes only the fields sent", () => {
  test("a coordinator renames a short-stay; its vacancy, address and contact windows stay", async () => {
    const headers = await coordinator();
    const found = await stack.data<{ resources: { edges: { node: { id: string } }[] } }>(
      `{ resources(filter: { categories: ["short-stay"] }, first: 1) { edges { node { id } } } }`,
    );
    const id = found.resources.edges[0].node.id;
    const FIELDS =
      "names { official kana } description address { city district street } capacity { available maximum unit updatedAt } contactWindows { name } version";
    await stack.data(`mutation ($id: ID!) { updateAvailability(id: $id, input: { available: 3, maximum: 20, unit: BEDS }) { id } }`, { id }, headers);
    const before = await stack.data<{ resource: Record<string, unknown> & { version: number } }>(
      `query ($id: ID!) { resource(id: $id) { ${FIELDS} } }`,
      { id },
      headers,
    );
    const updated = await stack.data<{ updateResource: Record<string, unknown> & { version: number; description: string } }>(
      `mutation ($id: ID!, $input: ResourceChangesInput!) { updateResource(id: $id, input: $input) { ${FIELDS} } }`,
      { id, input: { description: "送迎あり。医療的ケアは要相談。" } },
      headers,
    );
    const { version, description, ...rest } = updated.updateResource;
    expect(description).toBe("送迎あり。医療的ケアは要相談。");
    expect(version).toBe(before.resource.version + 1);
    const { version: _v, description: _d, ...restBefore } = before.resource;
    expect(rest).toEqual(restBefore);
    expect((rest.capacity as { available: number }).available).toBe(3);

    const cleared = await stack.graphql(`mutation ($id: ID!) { updateResource(id: $id, input: { names: null }) { id } }`, { id }, headers);
    expect(codes(cleared.body)).toEqual(["BAD_USER_INPUT"]);
    expect(cleared.body.errors?.[0]?.message).toContain("input.names");
  });
});

describe("10: a coordinator adds a city's own category to the taxonomy", () => {
  const ADD = `mutation ($input: ResourceCategoryInput!) { addResourceCategory(input: $input) { code labelJa kana labelEn kind parent { code } } }`;
  const input = { code: "community-dining", labelJa: "地域食堂", kana: "チイキショクドウ", labelEn: "Community dining", kind: "INFORMAL" };

  test("the category is listed by resourceCategories and takes resources; a used code is CONFLICT, an unknown parent BAD_USER_INPUT, a resident FORBIDDEN", async () => {
    const headers = await coordinator();
    const categories = async () =>
      (
        await stack.data<{ resourceCategories: { code: string; kind: string; parent: { code: string } | null }[] }>(
          `{ resourceCategories { code kind parent { code } } }`,
        )
      ).resourceCategories;
    const parent = (await categories()).find((category) => category.kind === "INFORMAL" && category.parent === null)!;
    const added = await stack.data<{ addResourceCategory: Record<string, unknown> }>(ADD, { input: { ...input, parent: parent.code } }, headers);
    expect(added.addResourceCategory).toEqual({ ...input, parent: { code: parent.code } });
    expect((await categories()).at(-1)).toEqual({ code: "community-dining", kind: "INFORMAL", parent: { code: parent.code } });

    const resource = await stack.data<{ createResource: { category: { code: string; labelJa: string } } }>(
      `mutation ($input: ResourceInput!, $key: String!) { createResource(input: $input, idempotencyKey: $key) { category { code labelJa } } }`,
      {
        input: {
          kind: "INFORMAL",
          category: "community-dining",
          names: { official: "みんなの食堂 日の出" },
          address: { prefecture: "石川県", city: "つなぐ市", district: "中央圏域" },
          provenance: { source: "COORDINATOR" },
        },
        key: randomUUID(),
      },
      headers,
    );
    expect(resource.createResource.category).toEqual({ code: "community-dining", labelJa: "地域食堂" });

    const again = await stack.graphql(ADD, { input: { ...input, parent: parent.code } }, headers);
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "input.code" });
    const orphan = await stack.graphql(ADD, { input: { ...input, code: "orphan-category", parent: "no-such-parent" } }, headers);
    expect(orphan.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.parent" });
    const residentTry = await stack.graphql(
      ADD,
      { input: { ...input, code: "resident-category", parent: parent.code } },
      await bearer({ role: "RESIDENT", subject: "resident-1" }),
    );
    expect(codes(residentTry.body)).toEqual(["FORBIDDEN"]);
    expect(residentTry.body.errors?.[0]?.message).toContain("only coordinators and admins add categories");
  });
});

describe("14: refusals say what was refused", () => {
  test("an anonymous read of the verification queue names the queue, not changing resources", async () => {
    const anonymous = await stack.graphql(`{ staleResources(olderThan: "2026-01-01T00:00:00+09:00") { totalCount } }`);
    expect(codes(anonymous.body)).toEqual(["UNAUTHENTICATED"]);
    expect(anonymous.body.errors?.[0]?.message).toContain("read the verification queue (staleResources)");
    expect(anonymous.body.errors?.[0]?.message).not.toContain("change resources");
    const resident = await stack.graphql(
      `{ staleResources(olderThan: "2026-01-01T00:00:00+09:00") { totalCount } }`,
      {},
      await bearer({ role: "RESIDENT", subject: "resident-1" }),
    );
    expect(codes(resident.body)).toEqual(["FORBIDDEN"]);
    expect(resident.body.errors?.[0]?.message).toContain("the RESIDENT role cannot read the verification queue");
  });
});

describe("16: consultations refuse dates in the future", () => {
  const RECORD = `mutation ($input: RecordConsultationInput!, $key: String!) { recordConsultation(input: $input, idempotencyKey: $key) { id receivedAt } }`;
  const input = (receivedAt: string) => ({
    receivedAt,
    channels: ["PHONE"],
    requester: { profession: "CARE_MANAGER" },
    category: "INTERPROFESSIONAL_COLLABORATION",
    summary: "退院前カンファレンスの日程調整",
  });

  test("a consultation received in 2030 is BAD_USER_INPUT and not stored; one received an hour ago is recorded", async () => {
    const headers = await coordinator();
    const future = await stack.graphql(RECORD, { input: input("2030-04-01T10:00:00+09:00"), key: randomUUID() }, headers);
    expect(future.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.receivedAt" });
    const count = async () =>
      (
        await stack.data<{ consultations: { totalCount: number } }>(
          `{ consultations(filter: { from: "2029-01-01T00:00:00+09:00" }) { totalCount } }`,
          {},
          headers,
        )
      ).consultations.totalCount;
    expect(await count()).toBe(0);
    const past = await stack.graphql(RECORD, { input: input(new Date(Date.now() - 3600_000).toISOString()), key: randomUUID() }, headers);
    expect(past.body.errors).toBeUndefined();
  });
});

interface DemoMember {
  id: string;
  name: string;
  workContact: { phone: string | null } | null;
  affiliation: {
    id: string;
    names: { official: string; kana: string | null };
    address: { district: string | null };
    category: { code: string; labelJa: string };
  } | null;
}

/** Demo members of `profession` with an affiliation, from the contact directory (through the gateway, so affiliation resolves in resources). */
async function demoMembers(profession: string): Promise<DemoMember[]> {
  const data = await stack.data<{ contactDirectory: { edges: { node: { members: (DemoMember & { profession: string })[] } }[] } }>(
    `query ($professions: [Profession!]) { contactDirectory(filter: { professions: $professions }, first: 50) { edges { node { members {
      id name profession workContact { phone } affiliation { id names { official kana } address { district } category { code labelJa } } } } } } }`,
    { professions: [profession] },
    await coordinator(),
  );
  return data.contactDirectory.edges.flatMap((edge) => edge.node.members).filter((member) => member.profession === profession && member.affiliation !== null);
}

/** A professional's token for a demo member (their member id and organisation in it). */
const asMember = (member: DemoMember) =>
  bearer({ role: "PROFESSIONAL", subject: `member-${member.id}`, displayName: member.name, memberId: member.id, organizationId: member.affiliation?.id });

const resident = (n: number) => bearer({ role: "RESIDENT", subject: `demo-resident-${String(n).padStart(5, "0")}`, displayName: `住民 ${n}` });

interface OwnProfile {
  id: string;
  person: { name: string; kana: string; dateOfBirth: string };
}

/** The demo resident's own profile, its consent covering the care team. */
async function ownProfile(n: number): Promise<OwnProfile> {
  const headers = await resident(n);
  const profiles = await stack.data<{ myEmergencyProfiles: OwnProfile[] }>(`{ myEmergencyProfiles { id person { name kana dateOfBirth } } }`, {}, headers);
  const profile = profiles.myEmergencyProfiles[0];
  await stack.data(
    `mutation ($id: ID!) { giveEmergencyConsent(id: $id, input: { scope: [EMERGENCY_SERVICES, CARE_TEAM], method: WRITTEN }) { givenAt } }`,
    { id: profile.id },
    headers,
  );
  return profile;
}

const GRANT = `mutation ($id: ID!, $input: AccessGrantInput!) { grantEmergencyProfileAccess(id: $id, input: $input) { id granteeKind member { id name } organization { id } active } }`;

describe("6: grants to members or institutions that do not exist are refused", () => {
  test("a resident grants their care manager and the care office; an unknown member, a resource id as a member and an unknown institution are BAD_USER_INPUT and not stored", async () => {
    const [careManager] = await demoMembers("CARE_MANAGER");
    const profile = await ownProfile(3);
    const headers = await resident(3);
    const GRANTS = `query ($id: ID!) { emergencyProfile(id: $id) { accessGrants { granteeKind } } }`;
    // The demo seed may already grant the resident's doctor; only the two grants below are added.
    const before = await stack.data<{ emergencyProfile: { accessGrants: unknown[] } }>(GRANTS, { id: profile.id }, headers);
    const granted = await stack.data<{ grantEmergencyProfileAccess: { member: { id: string; name: string } } }>(
      GRANT,
      { id: profile.id, input: { granteeKind: "MEMBER", granteeId: careManager.id } },
      headers,
    );
    expect(granted.grantEmergencyProfileAccess.member).toEqual({ id: careManager.id, name: careManager.name });
    const office = await stack.data<{ grantEmergencyProfileAccess: { organization: { id: string } } }>(
      GRANT,
      { id: profile.id, input: { granteeKind: "ORGANIZATION", granteeId: careManager.affiliation!.id } },
      headers,
    );
    expect(office.grantEmergencyProfileAccess.organization).toEqual({ id: careManager.affiliation!.id });

    const refusals = [
      { granteeKind: "MEMBER", granteeId: new Types.ObjectId().toHexString() },
      { granteeKind: "MEMBER", granteeId: careManager.affiliation!.id },
      { granteeKind: "ORGANIZATION", granteeId: new Types.ObjectId().toHexString() },
    ];
    for (const input of refusals) {
      const refused = await stack.graphql(GRANT, { id: profile.id, input }, headers);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.granteeId" });
      expect(refused.body.data).toBeNull();
    }
    const grants = await stack.data<{ emergencyProfile: { accessGrants: { granteeKind: string }[] } }>(GRANTS, { id: profile.id }, headers);
    expect(grants.emergencyProfile.accessGrants).toHaveLength(before.emergencyProfile.accessGrants.length + 2);
  });
});

describe("2, 3, 4: transition notices", () => {
  const CREATE = `mutation ($input: CreateTransitionNoticeInput!, $key: String!) {
    createTransitionNotice(input: $input, idempotencyKey: $key) { id status patient { name kana dateOfBirth emergencyProfile { id } } senderContact { name office phone } } }`;
  const SEND = `mutation ($id: ID!) { sendTransitionNotice(id: $id) { id status } }`;
  let careManager: DemoMember;
  let msw: DemoMember;
  let profile: OwnProfile;

  beforeAll(async () => {
    [careManager] = (await demoMembers("CARE_MANAGER")) as [DemoMember];
    [msw] = (await demoMembers("MEDICAL_SOCIAL_WORKER")) as [DemoMember];
    profile = await ownProfile(5);
    await stack.data(GRANT, { id: profile.id, input: { granteeKind: "MEMBER", granteeId: careManager.id } }, await resident(5));
  });

  const admission = (patient: Record<string, unknown>) => ({
    type: "ADMISSION_INFO",
    patient,
    recipientId: msw.id,
    recipientResourceId: msw.affiliation!.id,
    admission: { servicesInUse: ["訪問介護"], familyCareCapacity: "LIMITED", keyPerson: "長女" },
  });

  test("2: a notice naming the patient by emergencyProfileId carries their name, kana and date of birth to the MSW and on the sheet; an unknown or unshared profile is refused", async () => {
    const created = await stack.data<{ createTransitionNotice: { id: string; patient: Record<string, unknown> } }>(
      CREATE,
      { input: admission({ emergencyProfileId: profile.id }), key: randomUUID() },
      await asMember(careManager),
    );
    expect(created.createTransitionNotice.patient).toEqual({ ...profile.person, emergencyProfile: { id: profile.id } });
    await stack.data(SEND, { id: created.createTransitionNotice.id }, await asMember(careManager));
    const received = await stack.data<{ transitionNotice: { patient: { name: string; kana: string; dateOfBirth: string } }; admissionSheetHtml: string }>(
      `query ($id: ID!) { transitionNotice(id: $id) { patient { name kana dateOfBirth } } admissionSheetHtml(id: $id) }`,
      { id: created.createTransitionNotice.id },
      await asMember(msw),
    );
    expect(received.transitionNotice.patient).toEqual(profile.person);
    expect(received.admissionSheetHtml).toContain(profile.person.name);
    expect(received.admissionSheetHtml).toContain(profile.person.dateOfBirth);

    const unknown = await stack.graphql(
      CREATE,
      { input: admission({ emergencyProfileId: new Types.ObjectId().toHexString() }), key: randomUUID() },
      await asMember(careManager),
    );
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.patient.emergencyProfileId" });
    const notShared = await ownProfile(6);
    const unshared = await stack.graphql(CREATE, { input: admission({ emergencyProfileId: notShared.id }), key: randomUUID() }, await asMember(careManager));
    expect(unshared.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.patient.emergencyProfileId" });
    expect(unshared.body.errors?.[0]?.message).toBe(unknown.body.errors?.[0]?.message);
  });

  test("3: the printable admission sheet shows the sender's name, office and phone", async () => {
    const created = await stack.data<{ createTransitionNotice: { id: string; senderContact: { name: string; office: string; phone: string | null } } }>(
      CREATE,
      { input: admission({ name: "北見 花子", dateOfBirth: "1940-05-01" }), key: randomUUID() },
      await asMember(careManager),
    );
    const expected = { name: careManager.name, office: careManager.affiliation!.names.official, phone: careManager.workContact?.phone ?? expect.any(String) };
    expect(created.createTransitionNotice.senderContact).toEqual(expected);
    await stack.data(SEND, { id: created.createTransitionNotice.id }, await asMember(careManager));
    const sheet = await stack.data<{ admissionSheetHtml: string }>(
      `query ($id: ID!) { admissionSheetHtml(id: $id) }`,
      { id: created.createTransitionNotice.id },
      await asMember(msw),
    );
    const { senderContact } = created.createTransitionNotice;
    expect(senderContact.phone).not.toBeNull();
    for (const value of [senderContact.name, senderContact.office, senderContact.phone as string])
      expect(sheet.admissionSheetHtml).toContain(`<td>${value}</td>`);
  });

  test("4: a professional lists the notices they sent, newest first; first visits in the future or before discharge are refused", async () => {
    const hospitalNurse = await asMember(msw);
    const discharge = (days: number) => ({
      type: "DISCHARGE_NOTICE",
      patient: { name: "北見 太郎", dateOfBirth: "1938-01-02" },
      recipientId: careManager.id,
      recipientResourceId: careManager.affiliation!.id,
      discharge: { plannedDischargeDate: new Date(Date.now() + days * DAY_MS + 9 * 3600_000).toISOString().slice(0, 10) },
    });
    const past = await stack.data<{ createTransitionNotice: { id: string } }>(CREATE, { input: discharge(-3), key: randomUUID() }, hospitalNurse);
    const draft = await stack.data<{ createTransitionNotice: { id: string } }>(CREATE, { input: discharge(5), key: randomUUID() }, hospitalNurse);
    await stack.data(SEND, { id: past.createTransitionNotice.id }, hospitalNurse);

    const LIST = `query ($statuses: [TransitionNoticeStatus!]) { sentTransitionNotices(statuses: $statuses) { id status sender { id } } }`;
    const all = await stack.data<{ sentTransitionNotices: { id: string; status: string; sender: { id: string } }[] }>(LIST, {}, hospitalNurse);
    expect(all.sentTransitionNotices.map((notice) => notice.id).slice(0, 2)).toEqual([draft.createTransitionNotice.id, past.createTransitionNotice.id]);
    expect(all.sentTransitionNotices.every((notice) => notice.sender.id === msw.id)).toBe(true);
    const sentOnly = await stack.data<{ sentTransitionNotices: { id: string }[] }>(LIST, { statuses: ["SENT"] }, hospitalNurse);
    expect(sentOnly.sentTransitionNotices.map((notice) => notice.id)).toContain(past.createTransitionNotice.id);
    expect(sentOnly.sentTransitionNotices.map((notice) => notice.id)).not.toContain(draft.createTransitionNotice.id);
    const others = await stack.data<{ sentTransitionNotices: { id: string }[] }>(LIST, {}, await asMember(careManager));
    expect(others.sentTransitionNotices.map((notice) => notice.id)).not.toContain(past.createTransitionNotice.id);

    const VISIT = `mutation ($id: ID!, $date: Date!) { recordFirstServiceVisit(noticeId: $id, input: { date: $date, service: VISITING_NURSING }) { firstServiceVisit { date withinFortyEightHours } } }`;
    const visit = async (date: string) => stack.graphql(VISIT, { id: past.createTransitionNotice.id, date }, await asMember(careManager));
    const future = await visit("2030-01-01");
    expect(future.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.date" });
    const beforeDischarge = await visit(new Date(Date.now() - 33 * DAY_MS).toISOString().slice(0, 10));
    expect(beforeDischarge.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.date" });
    const today = tokyoDate(new Date());
    const recorded = await visit(today);
    expect(recorded.body.data).toEqual({ recordFirstServiceVisit: { firstServiceVisit: { date: today, withinFortyEightHours: false } } });
  });
});

describe("13: a member's affiliation text is checked against the resource it names", () => {
  const CREATE_MEMBER = `mutation ($input: CreateMemberInput!, $key: String!) { createMember(input: $input, idempotencyKey: $key) { id affiliation { id } } }`;

  test("a member working at a real office with its name is stored; a wrong name, district or category, or an unknown resource, is BAD_USER_INPUT", async () => {
    const [nurse] = await demoMembers("NURSE");
    const office = nurse.affiliation!;
    const affiliation = {
      resourceId: office.id,
      name: office.names.official,
      kana: office.names.kana,
      district: office.address.district,
      category: office.category.code,
      categoryLabel: office.category.labelJa,
    };
    const member = (overrides: Record<string, unknown>) => ({
      name: "新人 看護師",
      kana: "しんじん かんごし",
      profession: "NURSE",
      affiliation: { ...affiliation, ...overrides },
    });
    const headers = await coordinator();
    const created = await stack.data<{ createMember: { affiliation: { id: string } } }>(CREATE_MEMBER, { input: member({}), key: randomUUID() }, headers);
    expect(created.createMember.affiliation).toEqual({ id: office.id });

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "つなぐ中央病院" }, "input.affiliation.name"],
      [{ district: "存在しない圏域" }, "input.affiliation.district"],
      [{ category: "pharmacy" }, "input.affiliation.category"],
      [{ resourceId: new Types.ObjectId().toHexString() }, "input.affiliation.resourceId"],
    ];
    for (const [overrides, field] of cases) {
      const refused = await stack.graphql(CREATE_MEMBER, { input: member(overrides), key: randomUUID() }, headers);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
    const UPDATE = `mutation ($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { id } }`;
    const updated = await stack.graphql(UPDATE, { id: nurse.id, input: { affiliation: { ...affiliation, name: "別の事業所" } } }, headers);
    expect(updated.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.affiliation.name" });
  });
});

describe("12: API-key scopes come from a documented list; groups, members and events sync by modifiedAfter", () => {
  test("create-api-key refuses an unknown scope; the gateway refuses a key or a token carrying one", async () => {
    {
      const store = await mongoApiKeyStore(stack.system.connection);
      await expect(createApiKey(store, { owner: "Vendor K.K.", scopes: ["anything:goes"] })).rejects.toThrow("unknown scope(s) anything:goes");
      const good = await createApiKey(store, { owner: "Vendor K.K.", scopes: ["resources:read"] });
      expect((await stack.graphql("{ publicCalendarUrl }", {}, { "x-api-key": good.key })).body.errors).toBeUndefined();
      // A key stored before the list existed, with a scope nobody checks.
      const legacy = generateApiKey();
      await store.insert({ hash: hashApiKey(legacy), prefix: legacy.slice(0, 12), owner: "Old Vendor", scopes: ["contacts:all"] });
      const refused = await stack.graphql("{ publicCalendarUrl }", {}, { "x-api-key": legacy });
      expect(refused.status).toBe(401);
      expect(refused.body.errors?.[0]?.message).toContain("unknown scope(s) contacts:all");
    }
    const token = await stack.graphql("{ publicCalendarUrl }", {}, await bearer({ role: "VENDOR", subject: "vendor-1", scopes: ["contacts:all"] }));
    expect(codes(token.body)).toEqual(["UNAUTHENTICATED"]);
  });

  test("only the groups, members and events changed after modifiedAfter are returned", async () => {
    const headers = await coordinator();
    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const group = await stack.data<{ createGroup: { id: string } }>(
      `mutation ($key: String!) { createGroup(input: { kind: MULTIDISCIPLINARY_NETWORK, name: "在宅ケア勉強会（同期テスト）" }, idempotencyKey: $key) { id } }`,
      { key: randomUUID() },
      headers,
    );
    const [nurse] = await demoMembers("NURSE");
    await stack.data(`mutation ($id: ID!) { updateMember(id: $id, input: { title: "訪問看護認定看護師" }) { id } }`, { id: nurse.id }, headers);
    const event = await stack.data<{ createEvent: { id: string } }>(
      `mutation ($input: CreateEventInput!, $key: String!) { createEvent(input: $input, idempotencyKey: $key) { id } }`,
      {
        input: {
          type: "TRAINING",
          title: "同期テスト研修",
          organiserIds: [group.createGroup.id],
          format: "ONLINE",
          onlineUrl: "https://meet.example.jp/sync",
          startsAt: new Date(Date.now() + 30 * DAY_MS).toISOString(),
          endsAt: new Date(Date.now() + 30 * DAY_MS + 3600_000).toISOString(),
          visibility: "PUBLIC",
        },
        key: randomUUID(),
      },
      headers,
    );
    const changed = await stack.data<{
      groups: { edges: { node: { id: string } }[] };
      contactDirectory: { edges: { node: { members: { id: string }[] } }[] };
      events: { edges: { node: { id: string } }[] };
    }>(
      `query ($since: DateTime!) {
        groups(filter: { modifiedAfter: $since }) { edges { node { id } } }
        contactDirectory(filter: { modifiedAfter: $since }) { edges { node { members { id } } } }
        events(filter: { modifiedAfter: $since }) { edges { node { id } } } }`,
      { since },
      headers,
    );
    expect(changed.groups.edges.map((edge) => edge.node.id)).toEqual([group.createGroup.id]);
    expect(changed.contactDirectory.edges.flatMap((edge) => edge.node.members.map((member) => member.id))).toEqual([nurse.id]);
    expect(changed.events.edges.map((edge) => edge.node.id)).toEqual([event.createEvent.id]);
  });
});

describe("11: who sees faces, staff names, hours not to call and phone numbers", () => {
  const WINDOWS = `query ($id: ID!) { resource(id: $id) {
    contactWindows { name kana role photoUrl phone avoidCallingHours { from to } }
    staff { id name photoUrl photoPublic workContact { phone } avoidCallingHours { from } } } }`;
  interface Window {
    name: string | null;
    kana: string | null;
    role: string | null;
    photoUrl: string | null;
    phone: string | null;
    avoidCallingHours: unknown[];
  }
  interface Staff {
    id: string;
    name: string;
    photoUrl: string | null;
    photoPublic: boolean;
    workContact: { phone: string | null } | null;
    avoidCallingHours: unknown[];
  }

  test("the public and residents see roles only; professionals, emergency staff and vendors with groups:contacts see people, faces, phones and hours; a photo the member published is for everyone", async () => {
    const professional = await bearer({ role: "PROFESSIONAL", subject: "pro-1", memberId: new Types.ObjectId().toHexString() });
    // A resource with a contact window that has a photo, a phone and hours not to call, and staff in the directory.
    const page = await stack.data<{ resources: { edges: { node: { id: string; contactWindows: Window[]; staff: Staff[] } }[] } }>(
      `{ resources(filter: { categories: ["visiting-nursing", "care-management", "hospital"] }, first: 100) { edges { node { id contactWindows { name kana role photoUrl phone avoidCallingHours { from to } } staff { id name photoUrl photoPublic workContact { phone } avoidCallingHours { from } } } } } }`,
      {},
      professional,
    );
    const full = page.resources.edges.find(
      ({ node }) =>
        node.staff.some((person) => person.photoUrl !== null && person.avoidCallingHours.length > 0) &&
        node.contactWindows.some((window) => window.phone !== null && window.photoUrl !== null && window.avoidCallingHours.length > 0),
    );
    expect(full).toBeDefined();
    const { id } = full!.node;
    const seen = async (headers: Record<string, string>) =>
      (await stack.data<{ resource: { contactWindows: Window[]; staff: Staff[] } }>(WINDOWS, { id }, headers)).resource;

    const everything = await seen(professional);
    const window = everything.contactWindows.find(
      (candidate) => candidate.phone !== null && candidate.photoUrl !== null && candidate.avoidCallingHours.length > 0,
    )!;
    const windowIndex = everything.contactWindows.indexOf(window);
    expect(window.name).not.toBeNull();
    expect(everything.staff.length).toBeGreaterThan(0);

    const mayContact = [
      professional,
      await bearer({ role: "EMS", subject: "crew-1" }),
      await bearer({ role: "COORDINATOR", subject: "city-1" }),
      await bearer({ role: "VENDOR", subject: "vendor-contacts", scopes: ["groups:contacts"] }),
    ];
    for (const headers of mayContact) expect(await seen(headers)).toEqual(everything);

    const mayNot = [
      {},
      await bearer({ role: "RESIDENT", subject: "resident-9" }),
      await bearer({ role: "VENDOR", subject: "vendor-read", scopes: ["resources:read"] }),
    ];
    for (const headers of mayNot) {
      const view = await seen(headers);
      expect(view.contactWindows[windowIndex]).toEqual({ name: null, kana: null, role: window.role, photoUrl: null, phone: null, avoidCallingHours: [] });
      expect(view.staff).toEqual([]);
    }

    // A member's face is for professionals unless the member chose to publish it.
    const person = everything.staff.find((candidate) => candidate.photoUrl !== null)!;
    const MEMBER = `query ($id: ID!) { member(id: $id) { name photoUrl photoPublic workContact { phone } avoidCallingHours { from } } }`;
    const publicView = await stack.data<{ member: { photoUrl: string | null; photoPublic: boolean; workContact: unknown; avoidCallingHours: unknown[] } }>(
      MEMBER,
      { id: person.id },
    );
    expect(publicView.member).toMatchObject({ photoUrl: null, photoPublic: false, workContact: null, avoidCallingHours: [] });
    await stack.data(
      `mutation ($id: ID!) { updateMember(id: $id, input: { photoPublic: true }) { id } }`,
      { id: person.id },
      await asMember({ id: person.id, name: person.name, workContact: null, affiliation: null }),
    );
    const published = await stack.data<{ member: { photoUrl: string | null; photoPublic: boolean; workContact: unknown } }>(MEMBER, { id: person.id });
    expect(published.member).toMatchObject({ photoUrl: person.photoUrl, photoPublic: true, workContact: null });
  });
});

describe("15: npm run token picks a demo member, so board, notice and calendar actions work", () => {
  test("--demo CARE_MANAGER gives a token with the member's id, name and workplace, which issueCalendarFeed accepts (a token without a member is refused)", async () => {
    const claims = await demoMemberClaims(stack.system.gatewayUrl, "CARE_MANAGER", (await coordinator()).authorization);
    const [careManager] = await demoMembers("CARE_MANAGER");
    expect(claims).toEqual({
      memberId: careManager.id,
      displayName: careManager.name,
      profession: "CARE_MANAGER",
      organizationId: careManager.affiliation!.id,
    });
    const headers = await bearer({ role: "PROFESSIONAL", subject: `demo-member-${claims.memberId}`, ...claims });
    expect((await stack.graphql("mutation { issueCalendarFeed { url } }", {}, headers)).body.errors).toBeUndefined();
    const withoutMember = await stack.graphql(
      "mutation { issueCalendarFeed { url } }",
      {},
      await bearer({ role: "PROFESSIONAL", subject: "dev-professional" }),
    );
    expect(codes(withoutMember.body)).toEqual(["FORBIDDEN"]);
    expect(withoutMember.body.errors?.[0]?.message).toContain("sign in as a member");
    await expect(demoMemberClaims(stack.system.gatewayUrl, "ASTRONAUT", (await coordinator()).authorization)).rejects.toThrow();
  });
});
