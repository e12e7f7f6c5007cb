// Changing resources through the gateway as clients: who may write (roles, vendor key scopes), idempotent create, validation naming the field, concurrency, verification, availability, archiving and the verification queue.
import { bearer, codes } from "../../../gateway/test/helpers";
import type { GraphQLBody } from "../../../gateway/test/helpers";
import { createApiKey } from "../../../gateway/src/api-keys";
import { DEFAULT_TAXONOMY } from "../src/taxonomy";
import { startResourcesStack } from "./stack";
import type { ResourcesStack } from "./stack";

const FIELDS = `id version archived archivedAt createdAt updatedAt
  names { official kana } category { code } address { postalCode district }
  contactWindows { name phone }
  capacity { available maximum unit updatedAt }
  provenance { source verifiedAt verifiedBy modifiedAt }`;

const CREATE = `mutation ($input: ResourceInput!, $key: String!) { createResource(input: $input, idempotencyKey: $key) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: ResourceChangesInput!, $version: Int) { updateResource(id: $id, input: $input, expectedVersion: $version) { ${FIELDS} } }`;
const VERIFY = `mutation ($id: ID!) { verifyResource(id: $id) { ${FIELDS} } }`;
const AVAILABILITY = `mutation ($id: ID!, $input: AvailabilityInput!) { updateAvailability(id: $id, input: $input) { ${FIELDS} } }`;
const ARCHIVE = `mutation ($id: ID!) { archiveResource(id: $id) { ${FIELDS} } }`;
const SEARCH = `query ($filter: ResourceFilter, $first: Int, $after: String) {
  resources(filter: $filter, first: $first, after: $after) { totalCount pageInfo { endCursor } edges { node { id names { official } } } } }`;
const STALE = `query ($olderThan: DateTime!, $first: Int, $after: String) {
  staleResources(olderThan: $olderThan, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id provenance { verifiedAt } } } } }`;

interface Written {
  id: string;
  version: number;
  archived: boolean;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  names: { official: string; kana: string | null };
  category: { code: string };
  address: { postalCode: string | null; district: string | null };
  contactWindows: Array<{ name: string; phone: string | null }>;
  capacity: { available: number | null; maximum: number | null; unit: string; updatedAt: string | null } | null;
  provenance: { source: string; verifiedAt: string | null; verifiedBy: string | null; modifiedAt: string };
}

/** A visiting-nursing station as a provider registers it; `serial` keeps names and office numbers distinct. */
function station(serial: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "FORMAL",
    category: "visiting-nursing",
    names: { official: `訪問看護ステーションみらい${serial}号`, kana: `ホウモンカンゴステーションミライ${serial}ゴウ` },
    identifiers: { careOfficeNumber: `17601${String(serial).padStart(5, "0")}`, careServiceCode: "130" },
    address: { postalCode: "9230801", prefecture: "石川県", city: "つなぐ市", district: "中央圏域", street: "本町1丁目2番3号" },
    location: { latitude: 36.401, longitude: 136.451 },
    openingHours: { weekly: [{ day: "MON", opens: "08:30", closes: "17:30" }], closedOnPublicHolidays: true },
    contact: { phone: "0761-00-1111", email: "mirai@example.org", url: "https://example.org/mirai" },
    contactWindows: [
      {
        name: "看護 花子",
        role: "管理者",
        phone: "0761-00-1112",
        email: "hanako@example.org",
        preferredChannel: "PHONE",
        avoidCallingHours: [{ from: "12:00", to: "13:00", reason: "昼休み" }],
      },
    ],
    accepts: ["TUBE_FEEDING", "TERMINAL_CARE"],
    capacity: { available: 3, maximum: 10, unit: "CASES" },
    provenance: { source: "PROVIDER" },
    ...overrides,
  };
}

const COORDINATOR = { role: "COORDINATOR", subject: "coordinator-1", displayName: "長寿介護課 山田" } as const;

let stack: ResourcesStack;
let coordinator: Record<string, string>;
let serial = 0;

beforeAll(async () => {
  stack = await startResourcesStack();
  coordinator = await bearer(COORDINATOR);
});

afterAll(() => stack?.stop());

function data<T>(body: GraphQLBody, field: string): T {
  expect(body.errors).toBeUndefined();
  return body.data?.[field] as T;
}

async function create(input = station((serial += 1)), headers = coordinator, key = `key-${serial}-${Date.now()}`): Promise<Written> {
  return data<Written>((await stack.graphql(CREATE, { input, key }, headers)).body, "createResource");
}

/** The single error of a body, as `{ code, field }`. */
function refusal(body: GraphQLBody): { code: unknown; field: unknown } {
  expect(body.errors).toHaveLength(1);
  const [error] = body.errors ?? [];
  return { code: error?.extensions?.code, field: error?.extensions?.field };
}

async function countNamed(official: string, filter: Record<string, unknown> = {}): Promise<number> {
  const page = data<{ totalCount: number }>((await stack.graphql(SEARCH, { filter: { text: official, ...filter } })).body, "resources");
  return page.totalCount;
}

describe("who may write", () => {
  test.each([
    ["the public", "UNAUTHENTICATED", async () => ({})],
    ["a professional", "FORBIDDEN", () => bearer({ role: "PROFESSIONAL", subject: "nurse-1" })],
    ["a resident", "FORBIDDEN", () => bearer({ role: "RESIDENT", subject: "resident-1" })],
    ["an EMS crew", "FORBIDDEN", () => bearer({ role: "EMS", subject: "ems-1" })],
  ])("%s cannot create: %s", async (_who, code, headers) => {
    const answer = await stack.graphql(CREATE, { input: station(900), key: "refused-key-1" }, await headers());
    expect(refusal(answer.body)).toEqual({ code, field: undefined });
    expect(answer.body.data).toBeNull();
    expect(await countNamed("訪問看護ステーションみらい900号")).toBe(0);
  });

  test("a vendor key with resources:read reads but cannot create; one with resources:write creates", async () => {
    const reader = await createApiKey(stack.apiKeys, { owner: "Reader K.K.", scopes: ["resources:read"] });
    const writer = await createApiKey(stack.apiKeys, { owner: "Writer K.K.", scopes: ["resources:read", "resources:write"] });
    const input = station((serial += 1));
    const official = (input.names as { official: string }).official;

    const read = await stack.graphql(SEARCH, { filter: { categories: ["visiting-nursing"] } }, { "x-api-key": reader.key });
    expect(read.body.errors).toBeUndefined();
    const refused = await stack.graphql(CREATE, { input, key: "vendor-key-0001" }, { "x-api-key": reader.key });
    expect(refusal(refused.body)).toEqual({ code: "FORBIDDEN", field: undefined });
    expect(refused.body.errors?.[0]?.message).toBe(
      "VENDOR は資源を登録することができません。コーディネーター・管理者・resources:write のベンダーキーのみ (coordinators, admins and vendor keys with resources:write only) (the VENDOR role cannot create resources)",
    );
    expect(await countNamed(official)).toBe(0);

    const created = await create(input, { "x-api-key": writer.key }, "vendor-key-0001");
    expect(created.names.official).toBe(official);
    expect(await countNamed(official)).toBe(1);
  });
});

describe("create", () => {
  test("stores the input normalised, stamps times, and counts version 1", async () => {
    const before = Date.now();
    const created = await create();
    expect(created).toMatchObject({
      version: 1,
      archived: false,
      archivedAt: null,
      category: { code: "visiting-nursing" },
      address: { postalCode: "923-0801", district: "中央圏域" },
      contactWindows: [{ name: "看護 花子", phone: "0761-00-1112" }],
      capacity: { available: 3, maximum: 10, unit: "CASES" },
      provenance: { source: "PROVIDER", verifiedAt: null, verifiedBy: null },
    });
    for (const stamp of [created.createdAt, created.provenance.modifiedAt, created.capacity?.updatedAt]) {
      expect(Date.parse(stamp ?? "")).toBeGreaterThanOrEqual(before);
      expect(Date.parse(stamp ?? "")).toBeLessThanOrEqual(Date.now());
    }
  });

  test("a retry with the same idempotency key returns the first resource, however the input is spelled", async () => {
    const input = station((serial += 1));
    const first = await create(input, coordinator, "retry-key-0001");
    const reordered = Object.fromEntries(Object.entries({ ...input, description: null }).reverse());
    const again = await create(reordered, coordinator, "retry-key-0001");
    expect(again).toEqual(first);
    expect(await countNamed((input.names as { official: string }).official)).toBe(1);
  });

  test("concurrent retries of one create make one resource", async () => {
    const input = station((serial += 1));
    const answers = await Promise.all(Array.from({ length: 5 }, () => stack.graphql(CREATE, { input, key: "racing-key-0001" }, coordinator)));
    const ids = answers.map((answer) => data<Written>(answer.body, "createResource").id);
    expect(new Set(ids).size).toBe(1);
    expect(await countNamed((input.names as { official: string }).official)).toBe(1);
  });

  test("reusing a key with another input is CONFLICT naming idempotencyKey; keys belong to their caller", async () => {
    await create(station((serial += 1)), coordinator, "reused-key-0001");
    const other = station((serial += 1));
    const reused = await stack.graphql(CREATE, { input: other, key: "reused-key-0001" }, coordinator);
    expect(refusal(reused.body)).toEqual({ code: "CONFLICT", field: "idempotencyKey" });
    const elsewhere = await create(other, await bearer({ role: "ADMIN", subject: "admin-1" }), "reused-key-0001");
    expect(elsewhere.names.official).toBe((other.names as { official: string }).official);
  });

  test("an official identifier another resource has is CONFLICT naming the input field", async () => {
    const first = station((serial += 1));
    await create(first);
    const clash = station((serial += 1), { identifiers: first.identifiers });
    const answer = await stack.graphql(CREATE, { input: clash, key: "clashing-key-0001" }, coordinator);
    expect(refusal(answer.body)).toEqual({ code: "CONFLICT", field: "input.identifiers.careOfficeNumber" });
  });
});

describe("validation names the field", () => {
  test("every problem of an input is listed, the first in `field`", async () => {
    const input = station(901, {
      names: { official: "" },
      location: { latitude: 95, longitude: 136.45 },
      contact: { phone: "123", email: "not-an-address" },
    });
    const answer = await stack.graphql(CREATE, { input, key: "invalid-key-0001" }, coordinator);
    const [error] = answer.body.errors ?? [];
    expect(error?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.names.official" });
    expect((error?.extensions?.problems as Array<{ field: string }>).map((problem) => problem.field)).toEqual([
      "input.names.official",
      "input.location.latitude",
      "input.contact.phone",
      "input.contact.email",
    ]);
    expect(error?.message).toContain("input.location.latitude: 緯度は-90〜90です (latitude -90..90)");
  });

  test.each([
    ["an unknown category", { category: "no-such-category" }, "input.category"],
    ["a kind other than the category's", { kind: "COMMUNITY" }, "input.kind"],
    ["an oversized name", { names: { official: "あ".repeat(201) } }, "input.names.official"],
    ["a photo URL that is not http(s)", { contactWindows: [{ name: "看護 花子", photoUrl: "ftp://example.org/a.jpg" }] }, "input.contactWindows.0.photoUrl"],
    ["a vacancy above the maximum", { capacity: { available: 11, maximum: 10, unit: "CASES" } }, "input.capacity.available"],
  ])("%s", async (_case, overrides, field) => {
    const answer = await stack.graphql(CREATE, { input: station(902, overrides), key: "invalid-key-0002" }, coordinator);
    expect(refusal(answer.body)).toEqual({ code: "BAD_USER_INPUT", field });
  });

  test("a short idempotency key and a malformed id", async () => {
    const key = await stack.graphql(CREATE, { input: station(903), key: "short" }, coordinator);
    expect(refusal(key.body)).toEqual({ code: "BAD_USER_INPUT", field: "idempotencyKey" });
    const id = await stack.graphql('{ resource(id: "not-an-id") { id } }');
    expect(refusal(id.body)).toEqual({ code: "BAD_USER_INPUT", field: "id" });
  });

  test.each([
    ["an out-of-range latitude", { filter: { near: { latitude: 100, longitude: 136.45, radiusMeters: 500 } } }, "filter.near.latitude"],
    ["a radius over 50 km", { filter: { near: { latitude: 36.4, longitude: 136.45, radiusMeters: 60_000 } } }, "filter.near.radiusMeters"],
    ["a text over 100 characters", { filter: { text: "あ".repeat(101) } }, "filter.text"],
    ["a malformed openAt", { filter: { openAt: "tomorrow" } }, "filter.openAt"],
    ["an openAt without offset", { filter: { openAt: "2025-06-02T10:00:00" } }, "filter.openAt"],
    ["an unknown category", { filter: { categories: ["hospital", "no-such-category"] } }, "filter.categories.1"],
    ["an empty list", { filter: { districts: [] } }, "filter.districts"],
    ["first over the cap", { first: 101 }, "first"],
    ["a negative first", { first: -1 }, "first"],
    ["a cursor that is not one", { after: "garbage" }, "after"],
  ])("search with %s", async (_case, variables, field) => {
    const answer = await stack.graphql(SEARCH, variables);
    expect(refusal(answer.body)).toEqual({ code: "BAD_USER_INPUT", field });
  });

  test("a cursor of another search is refused", async () => {
    await create();
    await create();
    const page = data<{ pageInfo: { endCursor: string } }>((await stack.graphql(SEARCH, { first: 1 })).body, "resources");
    const other = await stack.graphql(SEARCH, { filter: { kinds: ["FORMAL"] }, first: 1, after: page.pageInfo.endCursor });
    expect(refusal(other.body)).toEqual({ code: "BAD_USER_INPUT", field: "after" });
    expect(other.body.errors?.[0]?.message).toContain("the cursor belongs to another query");
  });
});

describe("update, verify, availability, archive", () => {
  test("an update replaces the content at the expected version; a stale version is CONFLICT", async () => {
    const created = await create();
    const renamed = station(serial, { names: { official: "あおぞら訪問看護ステーション", kana: "アオゾラホウモンカンゴステーション" } });
    const updated = data<Written>((await stack.graphql(UPDATE, { id: created.id, input: renamed, version: 1 }, coordinator)).body, "updateResource");
    expect(updated).toMatchObject({ id: created.id, version: 2, createdAt: created.createdAt, names: { official: "あおぞら訪問看護ステーション" } });
    expect(await countNamed("あおぞら")).toBe(1);
    expect(await countNamed(created.names.official)).toBe(0);

    const stale = await stack.graphql(UPDATE, { id: created.id, input: renamed, version: 1 }, coordinator);
    expect(refusal(stale.body)).toEqual({ code: "CONFLICT", field: "expectedVersion" });
    const lastWriteWins = await stack.graphql(UPDATE, { id: created.id, input: renamed }, coordinator);
    expect(data<Written>(lastWriteWins.body, "updateResource").version).toBe(3);
  });

  test("verification stamps when and by whom, and survives a later update", async () => {
    const created = await create();
    const before = Date.now();
    const verified = data<Written>((await stack.graphql(VERIFY, { id: created.id }, coordinator)).body, "verifyResource");
    expect(verified.provenance.verifiedBy).toBe("長寿介護課 山田");
    expect(Date.parse(verified.provenance.verifiedAt ?? "")).toBeGreaterThanOrEqual(before);
    expect(verified.version).toBe(2);
    const updated = data<Written>((await stack.graphql(UPDATE, { id: created.id, input: station(serial) }, coordinator)).body, "updateResource");
    expect(updated.provenance).toMatchObject({ verifiedAt: verified.provenance.verifiedAt, verifiedBy: "長寿介護課 山田" });
  });

  test("availability is stamped now, keeps the maximum, and shows in hasVacancy searches and modifiedAfter", async () => {
    const created = await create();
    const official = created.names.official;
    const before = new Date().toISOString();
    const full = data<Written>((await stack.graphql(AVAILABILITY, { id: created.id, input: { available: 0 } }, coordinator)).body, "updateAvailability");
    expect(full.capacity).toMatchObject({ available: 0, maximum: 10, unit: "CASES" });
    expect(Date.parse(full.capacity?.updatedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(before));
    expect(full.provenance.modifiedAt >= before).toBe(true);
    expect(await countNamed(official, { hasVacancy: true })).toBe(0);
    expect(await countNamed(official, { hasVacancy: false })).toBe(1);
    expect(await countNamed(official, { modifiedAfter: before })).toBe(1);
    expect(await countNamed(official, { modifiedAfter: new Date(Date.now() + 60_000).toISOString() })).toBe(0);

    const over = await stack.graphql(AVAILABILITY, { id: created.id, input: { available: 11 } }, coordinator);
    expect(refusal(over.body)).toEqual({ code: "BAD_USER_INPUT", field: "input.available" });
  });

  test("the staff of a resource may update its availability, staff of another may not", async () => {
    const created = await create();
    const staff = await bearer({ role: "PROFESSIONAL", subject: "nurse-2", organizationId: created.id });
    const answer = await stack.graphql(AVAILABILITY, { id: created.id, input: { available: 5 } }, staff);
    expect(data<Written>(answer.body, "updateAvailability").capacity?.available).toBe(5);
    const outsider = await bearer({ role: "PROFESSIONAL", subject: "nurse-3", organizationId: "0123456789abcdef01234567" });
    const refused = await stack.graphql(AVAILABILITY, { id: created.id, input: { available: 1 } }, outsider);
    expect(refusal(refused.body)).toEqual({ code: "FORBIDDEN", field: undefined });
  });

  test("an archived resource is hidden from searches, still readable by id, and cannot be changed", async () => {
    const created = await create();
    const official = created.names.official;
    const archived = data<Written>((await stack.graphql(ARCHIVE, { id: created.id }, coordinator)).body, "archiveResource");
    expect(archived).toMatchObject({ archived: true, version: 2 });
    expect(await countNamed(official)).toBe(0);
    expect(await countNamed(official, { includeArchived: true })).toBe(1);
    const byId = await stack.graphql(`query ($id: ID!) { resource(id: $id) { archived archivedAt } }`, { id: created.id });
    expect(byId.body.data).toEqual({ resource: { archived: true, archivedAt: archived.archivedAt } });

    const again = data<Written>((await stack.graphql(ARCHIVE, { id: created.id }, coordinator)).body, "archiveResource");
    expect(again.archivedAt).toBe(archived.archivedAt);
    const change = await stack.graphql(UPDATE, { id: created.id, input: station(serial) }, coordinator);
    expect(refusal(change.body)).toEqual({ code: "CONFLICT", field: undefined });
    const missing = await stack.graphql(VERIFY, { id: "0123456789abcdef01234567" }, coordinator);
    expect(refusal(missing.body)).toEqual({ code: "NOT_FOUND", field: undefined });
  });
});

describe("verification queue", () => {
  test("never verified first, then oldest verification; verified after the cut-off is not stale", async () => {
    const stale = await Promise.all([create(), create()]);
    const cutOff = new Date().toISOString();
    const verified = data<Written>((await stack.graphql(VERIFY, { id: stale[1].id }, coordinator)).body, "verifyResource");

    const everything = data<{ totalCount: number; edges: Array<{ node: { id: string; provenance: { verifiedAt: string | null } } }> }>(
      (await stack.graphql(STALE, { olderThan: new Date(Date.now() + 60_000).toISOString(), first: 100 }, coordinator)).body,
      "staleResources",
    );
    const order = everything.edges.map((edge) => edge.node.provenance.verifiedAt);
    const firstVerified = order.findIndex((value) => value !== null);
    expect(firstVerified).toBeGreaterThan(0);
    expect(order.slice(firstVerified).every((value) => value !== null)).toBe(true);
    expect(everything.edges.at(-1)?.node.id).toBe(verified.id);

    const beforeVerification = data<{ totalCount: number }>((await stack.graphql(STALE, { olderThan: cutOff }, coordinator)).body, "staleResources");
    expect(beforeVerification.totalCount).toBe(everything.totalCount - 1);
  });

  test("the queue pages without repeats and is for those who verify", async () => {
    await create();
    const olderThan = new Date(Date.now() + 60_000).toISOString();
    const ids: string[] = [];
    let after: string | undefined;
    let total: number;
    do {
      const page = data<{ totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: Array<{ node: { id: string } }> }>(
        (await stack.graphql(STALE, { olderThan, first: 2, after }, coordinator)).body,
        "staleResources",
      );
      total = page.totalCount;
      ids.push(...page.edges.map((edge) => edge.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
    } while (after !== undefined);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);

    const publicly = await stack.graphql(STALE, { olderThan });
    expect(codes(publicly.body)).toEqual(["UNAUTHENTICATED"]);
  });
});

test("the taxonomy is data, in display order with Japanese and English labels and parents", async () => {
  const answer = await stack.graphql("{ resourceCategories { code labelJa labelEn kana kind parent { code } } }");
  expect(data(answer.body, "resourceCategories")).toEqual(
    DEFAULT_TAXONOMY.map((entry) => ({
      code: entry.code,
      labelJa: entry.ja,
      labelEn: entry.en,
      kana: entry.kana,
      kind: entry.kind,
      parent: entry.parent === null ? null : { code: entry.parent },
    })),
  );
});
