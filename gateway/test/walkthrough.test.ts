// Issue 13's defects, each walked through the gateway of the whole system (demo data) as its user would: what was refused, changed or shown wrongly before, and is right now.
import { randomUUID } from "node:crypto";
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
  return data.groups.edges[0]!.node.id;
}

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
    expect((wife.body.data as { registerForEvent: { registration: { status: string; name: string } } }).registerForEvent.registration).toMatchObject({ status: "REGISTERED", name: "北見 花子" });
    const again = await register("北見　太郎");
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", reason: "ALREADY_REGISTERED" });
  });
});

describe("9: updating a resource changes only the fields sent", () => {
  test("a coordinator renames a short-stay; its vacancy, address and contact windows stay", async () => {
    const headers = await coordinator();
    const found = await stack.data<{ resources: { edges: { node: { id: string } }[] } }>(`{ resources(filter: { categories: ["short-stay"] }, first: 1) { edges { node { id } } } }`);
    const id = found.resources.edges[0]!.node.id;
    const FIELDS = "names { official kana } description address { city district street } capacity { available maximum unit updatedAt } contactWindows { name } version";
    await stack.data(`mutation ($id: ID!) { updateAvailability(id: $id, input: { available: 3, maximum: 20, unit: BEDS }) { id } }`, { id }, headers);
    const before = await stack.data<{ resource: Record<string, unknown> & { version: number } }>(`query ($id: ID!) { resource(id: $id) { ${FIELDS} } }`, { id });
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

describe("14: refusals say what was refused", () => {
  test("an anonymous read of the verification queue names the queue, not changing resources", async () => {
    const anonymous = await stack.graphql(`{ staleResources(olderThan: "2026-01-01T00:00:00+09:00") { totalCount } }`);
    expect(codes(anonymous.body)).toEqual(["UNAUTHENTICATED"]);
    expect(anonymous.body.errors?.[0]?.message).toContain("read the verification queue (staleResources)");
    expect(anonymous.body.errors?.[0]?.message).not.toContain("change resources");
    const resident = await stack.graphql(`{ staleResources(olderThan: "2026-01-01T00:00:00+09:00") { totalCount } }`, {}, await bearer({ role: "RESIDENT", subject: "resident-1" }));
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
      (await stack.data<{ consultations: { totalCount: number } }>(`{ consultations(filter: { from: "2029-01-01T00:00:00+09:00" }) { totalCount } }`, {}, headers)).consultations.totalCount;
    expect(await count()).toBe(0);
    const past = await stack.graphql(RECORD, { input: input(new Date(Date.now() - 3600_000).toISOString()), key: randomUUID() }, headers);
    expect(past.body.errors).toBeUndefined();
  });
});

