// Searching the demo city through the gateway as a client: Japanese text, distance, open-at, vacancy, coverage, pagination, contact visibility, entity batching.
import { PUBLIC_IDENTITY, gatewaySignedHeaders, matchesSearchKeys, searchTerms } from "@tsunagu/service-kit";
import { bearer, codes, postAsGateway, postGraphQL } from "../../../gateway/test/helpers";
import { createApiKey } from "../../../gateway/src/api-keys";
import { descendantCodes } from "../src/categories";
import { DEMO_CITY, DEMO_CITY_COUNTS, DEMO_CITY_DISTRICTS, generateDemoCity } from "../src/demo-city";
import { DistrictTable } from "../src/districts";
import { resourceSearchKeys } from "../src/domain";
import { isOpenAt } from "../src/opening-hours";
import { DEFAULT_TAXONOMY, categorySearchTerms } from "../src/taxonomy";
import { SearchDocument } from "./generated/operations";
import type { ResourceFilter, SearchQuery } from "./generated/operations";
import { startResourcesStack } from "./stack";
import type { ResourcesStack } from "./stack";

/** Monday 2 June 2025, 09:00 in Tokyo: the moment the demo city's verifications and vacancies are relative to. */
const NOW = new Date("2025-06-02T00:00:00Z");
const CITY = generateDemoCity({ now: NOW });
const BY_NAME = new Map(CITY.map((resource) => [resource.names.official, resource]));
const CENTRE = { latitude: DEMO_CITY.center.latitude, longitude: DEMO_CITY.center.longitude };

type Connection = SearchQuery["resources"];
type Edge = Connection["edges"][number];

let stack: ResourcesStack;

beforeAll(async () => {
  stack = await startResourcesStack({ seedDemoAt: NOW });
});

afterAll(() => stack?.stop());

async function search(filter: ResourceFilter, first = 100, after?: string): Promise<Connection> {
  return (await stack.client.data(SearchDocument, { filter, first, after })).resources;
}

/** Every page of a search, `size` at a time, checking the page information on the way. */
async function pageThrough(filter: ResourceFilter, size: number): Promise<{ edges: Edge[]; pages: number }> {
  const edges: Edge[] = [];
  let after: string | undefined;
  for (let pages = 1; ; pages += 1) {
    const page = await search(filter, size, after);
    expect(page.edges.length).toBeLessThanOrEqual(size);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== undefined);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    edges.push(...page.edges);
    if (!page.pageInfo.hasNextPage) return { edges, pages };
    expect(page.edges).toHaveLength(size);
    after = page.pageInfo.endCursor ?? undefined;
  }
}

/** Great-circle distance on MongoDB's sphere (radius 6,378.1 km), computed independently of the engine. */
function metres(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = (degrees: number) => (degrees * Math.PI) / 180;
  const h =
    Math.sin(rad(b.latitude - a.latitude) / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(rad(b.longitude - a.longitude) / 2) ** 2;
  return 2 * 6_378_100 * Math.asin(Math.sqrt(h));
}

const names = (edges: readonly Edge[]) => edges.map((edge) => edge.node.names.official);

describe("text", () => {
  test("「ほうもんかんご」「ﾎｳﾓﾝｶﾝｺﾞ」「訪問看護」 find the same stations", async () => {
    const [hiragana, halfWidth, kanji] = await Promise.all(["ほうもんかんご", "ﾎｳﾓﾝｶﾝｺﾞ", "訪問看護"].map((text) => search({ text })));
    expect(names(halfWidth.edges)).toEqual(names(hiragana.edges));
    expect(names(kanji.edges)).toEqual(names(hiragana.edges));
    const stations = CITY.filter((resource) => resource.category === "visiting-nursing").map((resource) => resource.names.official);
    expect(stations).toHaveLength(DEMO_CITY_COUNTS["visiting-nursing"]);
    expect(names(kanji.edges)).toEqual(expect.arrayContaining(stations));
    expect(kanji.totalCount).toBe(kanji.edges.length);
  });

  test("several words must all match; katakana, full-width and spacing do not matter", async () => {
    const text = "さくら　ﾔｯｷｮｸ";
    const terms = searchTerms(text);
    const expected = CITY.filter((resource) => {
      const category = DEFAULT_TAXONOMY.find((entry) => entry.code === resource.category);
      return category !== undefined && matchesSearchKeys(resourceSearchKeys(resource, categorySearchTerms(category)), terms);
    });
    expect(expected.length).toBeGreaterThan(1);
    const page = await search({ text });
    expect(names(page.edges).sort()).toEqual(expected.map((resource) => resource.names.official).sort());
    expect(page.edges.every((edge) => edge.node.category.code === "pharmacy")).toBe(true);
  });
});

describe("near", () => {
  test("results are sorted by distance, each edge carrying its distance in metres, all within the radius", async () => {
    const radiusMeters = 1500;
    const page = await search({ near: { ...CENTRE, radiusMeters } });
    const expected = CITY.filter((resource) => resource.location && metres(CENTRE, resource.location) <= radiusMeters);
    expect(page.totalCount).toBe(expected.length);
    expect(names(page.edges).sort()).toEqual(expected.map((resource) => resource.names.official).sort());
    const distances = page.edges.map((edge) => edge.distanceMeters as number);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    for (const edge of page.edges) {
      const location = edge.node.location as { latitude: number; longitude: number };
      expect(edge.distanceMeters).toBeCloseTo(metres(CENTRE, location), 3);
      expect(edge.distanceMeters).toBeLessThanOrEqual(radiusMeters);
    }
  });

  test("edges have no distance without near", async () => {
    const page = await search({ text: "病院" }, 3);
    expect(page.edges.map((edge) => edge.distanceMeters)).toEqual([null, null, null]);
  });

  test("paging through a near search loses and repeats nothing, in distance order", async () => {
    const filter = { near: { ...CENTRE, radiusMeters: 1500 } };
    const whole = await search(filter);
    const { edges, pages } = await pageThrough(filter, 9);
    expect(pages).toBe(Math.ceil(whole.totalCount / 9));
    expect(edges.map((edge) => edge.node.id)).toEqual(whole.edges.map((edge) => edge.node.id));
    expect(new Set(edges.map((edge) => edge.node.id)).size).toBe(whole.totalCount);
  });
});

describe("pagination", () => {
  test("every resource exactly once across pages of 100, with the total on each page", async () => {
    const { edges, pages } = await pageThrough({}, 100);
    expect(pages).toBe(Math.ceil(CITY.length / 100));
    expect(edges).toHaveLength(CITY.length);
    expect(new Set(edges.map((edge) => edge.node.id)).size).toBe(CITY.length);
    expect(new Set(names(edges))).toEqual(new Set(CITY.map((resource) => resource.names.official)));
    expect((await search({}, 5)).totalCount).toBe(CITY.length);
  });

  test("first: 0 answers only the total", async () => {
    const page = await search({ kinds: ["COMMUNITY"] }, 0);
    expect(page.edges).toEqual([]);
    expect(page.totalCount).toBe(CITY.filter((resource) => resource.kind === "COMMUNITY").length);
    expect(page.pageInfo.hasNextPage).toBe(true);
  });
});

describe("open at", () => {
  test.each([
    ["Monday 10:00", "2025-06-02T10:00:00+09:00"],
    ["Sunday 03:00 (only round-the-clock places)", "2025-06-01T03:00:00+09:00"],
    ["Saturday 14:00", "2025-06-07T14:00:00+09:00"],
  ])("%s: exactly the places open then, on the Tokyo clock", async (_when, openAt) => {
    const expected = CITY.filter((resource) => resource.openingHours && isOpenAt(resource.openingHours, new Date(openAt)));
    const { edges } = await pageThrough({ openAt }, 100);
    expect(names(edges).sort()).toEqual(expected.map((resource) => resource.names.official).sort());
    expect((await search({ openAt }, 1)).totalCount).toBe(expected.length);
  });

  test("open-at combines with near and pages in distance order", async () => {
    const openAt = "2025-06-01T03:00:00+09:00";
    const near = { ...CENTRE, radiusMeters: 3000 };
    const expected = CITY.filter(
      (resource) =>
        resource.openingHours &&
        isOpenAt(resource.openingHours, new Date(openAt)) &&
        resource.location &&
        metres(CENTRE, resource.location) <= near.radiusMeters,
    );
    expect(expected.length).toBeGreaterThan(4);
    const { edges } = await pageThrough({ openAt, near }, 4);
    expect(names(edges).sort()).toEqual(expected.map((resource) => resource.names.official).sort());
    const distances = edges.map((edge) => edge.distanceMeters as number);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
  });

  test("openStatus tells open, closed, and unknown where no hours are recorded", async () => {
    const query = `query ($filter: ResourceFilter) { resources(filter: $filter, first: 1) { edges { node {
      monday: openStatus(at: "2025-06-02T10:00:00+09:00") night: openStatus(at: "2025-06-02T23:00:00+09:00") } } } }`;
    const office = await stack.graphql(query, { filter: { categories: ["community-support-center"] } });
    expect(office.body.data?.resources).toEqual({ edges: [{ node: { monday: "OPEN", night: "CLOSED" } }] });
    expect(CITY.some((resource) => resource.category === "watching-over" && resource.openingHours === undefined)).toBe(true);
    const network = await stack.graphql(query, { filter: { categories: ["watching-over"] } });
    expect(network.body.data?.resources).toEqual({ edges: [{ node: { monday: "UNKNOWN", night: "UNKNOWN" } }] });
  });
});

describe("vacancy", () => {
  test.each([
    [true, (available: number | undefined) => available !== undefined && available > 0],
    [false, (available: number | undefined) => available === 0],
  ])("hasVacancy: %s", async (hasVacancy, expected) => {
    const wanted = CITY.filter((resource) => expected(resource.capacity?.available));
    const { edges } = await pageThrough({ hasVacancy }, 100);
    expect(names(edges).sort()).toEqual(wanted.map((resource) => resource.names.official).sort());
    expect(edges.every((edge) => expected(edge.node.capacity?.available ?? undefined))).toBe(true);
  });
});

describe("coverage", () => {
  const COVERAGE = `query ($districts: [String!], $categories: [ID!]) {
    resourceCoverage(districts: $districts, categories: $categories) {
      districts categories { code } cells { district category { code } count } gaps { district category { code } count }
    }
  }`;

  /** The demo city's districts come from its district table, as seeding assigns them. */
  const table = new DistrictTable(
    DEMO_CITY_DISTRICTS.districts.map((entry) => ({ ...entry, _id: undefined as never, prefecture: DEMO_CITY.prefecture, city: DEMO_CITY.city })),
  );

  function expectedCount(district: string, code: string): number {
    const codes = descendantCodes(DEFAULT_TAXONOMY, code);
    return CITY.filter(
      (resource) => codes.includes(resource.category) && (table.districtOf(resource.address) === district || resource.servedDistricts.includes(district)),
    ).length;
  }

  test("every district × category with its count, zero cells included and listed as gaps", async () => {
    const answer = await stack.graphql(COVERAGE);
    const coverage = answer.body.data?.resourceCoverage as {
      districts: string[];
      categories: Array<{ code: string }>;
      cells: Array<{ district: string; category: { code: string }; count: number }>;
      gaps: Array<{ district: string; category: { code: string }; count: number }>;
    };
    expect([...coverage.districts].sort()).toEqual([...DEMO_CITY.districts].sort());
    const leaves = DEFAULT_TAXONOMY.filter((entry) => entry.parent !== null).map((entry) => entry.code);
    expect(coverage.categories.map((category) => category.code)).toEqual(leaves);
    expect(coverage.cells).toHaveLength(coverage.districts.length * leaves.length);
    for (const cell of coverage.cells) expect(cell.count).toBe(expectedCount(cell.district, cell.category.code));
    expect(coverage.gaps).toEqual(coverage.cells.filter((cell) => cell.count === 0));
    // 訪問入浴 is not in the demo city at all: a gap in every district.
    expect(coverage.gaps.filter((gap) => gap.category.code === "visiting-bathing")).toHaveLength(DEMO_CITY.districts.length);
  });

  test("chosen districts and a group category counting the categories under it", async () => {
    const answer = await stack.graphql(COVERAGE, { districts: ["中央圏域", "存在しない圏域"], categories: ["medical"] });
    expect(answer.body.data?.resourceCoverage).toEqual({
      districts: ["中央圏域", "存在しない圏域"],
      categories: [{ code: "medical" }],
      cells: [
        { district: "中央圏域", category: { code: "medical" }, count: expectedCount("中央圏域", "medical") },
        { district: "存在しない圏域", category: { code: "medical" }, count: 0 },
      ],
      gaps: [{ district: "存在しない圏域", category: { code: "medical" }, count: 0 }],
    });
    expect(expectedCount("中央圏域", "medical")).toBeGreaterThan(0);
  });
});

describe("contact windows", () => {
  const WINDOWS = `{ resources(filter: { categories: ["hospital"] }, first: 20) { edges { node { names { official }
    contactWindows { name role photoUrl phone email avoidCallingHours { days from to reason } } } } } }`;

  interface WindowAnswer {
    name: string | null;
    role: string | null;
    photoUrl: string | null;
    phone: string | null;
    email: string | null;
    avoidCallingHours: Array<{ days: string[]; from: string; to: string; reason: string | null }>;
  }

  async function windowsAs(headers: Record<string, string>): Promise<Map<string, WindowAnswer[]>> {
    const answer = await stack.graphql(WINDOWS, {}, headers);
    expect(answer.body.errors).toBeUndefined();
    const edges = (answer.body.data?.resources as { edges: Array<{ node: { names: { official: string }; contactWindows: WindowAnswer[] } }> }).edges;
    expect(edges).toHaveLength(DEMO_CITY_COUNTS.hospital);
    return new Map(edges.map(({ node }) => [node.names.official, node.contactWindows]));
  }

  /** What the demo city holds for a hospital's windows, with the person, phone, e-mail and hours as a caller may see them. */
  function stored(name: string, visible: boolean): WindowAnswer[] {
    return (BY_NAME.get(name)?.contactWindows ?? []).map((window) => ({
      name: visible ? window.name : null,
      role: window.role ?? null,
      photoUrl: visible ? (window.photoUrl ?? null) : null,
      phone: visible ? (window.phone ?? null) : null,
      email: visible ? (window.email ?? null) : null,
      avoidCallingHours: visible ? window.avoidCallingHours.map((hours) => ({ ...hours, reason: hours.reason ?? null })) : [],
    }));
  }

  test("the public, residents and vendors without groups:contacts see the windows' roles only: no person, face, direct phone, e-mail or hours", async () => {
    const { key } = await createApiKey(stack.apiKeys, { owner: "Portal K.K.", scopes: ["resources:read"] });
    for (const headers of [{}, { "x-api-key": key }, await bearer({ role: "RESIDENT", subject: "resident-1" })]) {
      const windows = await windowsAs(headers);
      for (const [name, answer] of windows) expect(answer).toEqual(stored(name, false));
    }
  });

  test("a vendor with groups:contacts sees the people, faces, direct phone, e-mail and hours", async () => {
    const { key } = await createApiKey(stack.apiKeys, { owner: "Care Platform K.K.", scopes: ["resources:read", "groups:contacts"] });
    const windows = await windowsAs({ "x-api-key": key });
    for (const [name, answer] of windows) expect(answer).toEqual(stored(name, true));
  });

  test.each(["PROFESSIONAL", "COORDINATOR", "EMS", "ER", "ADMIN"] as const)("%s sees the person, direct phone and e-mail", async (role) => {
    const windows = await windowsAs(await bearer({ role, subject: `${role.toLowerCase()}-1` }));
    for (const [name, answer] of windows) expect(answer).toEqual(stored(name, true));
    expect([...windows.values()].flat().every((window) => /^0761-\d{2}-\d{4}$/.test(window.phone ?? ""))).toBe(true);
  });
});

describe("entities", () => {
  test("_entities for 100 resources costs exactly one database query, answered in order", async () => {
    const ids = (await search({}, 100)).edges.map((edge) => edge.node.id).reverse();
    const representations = ids.map((id) => ({ __typename: "Resource", id }));
    stack.commands.length = 0;
    const answer = await postAsGateway(
      stack.subgraph.url,
      "resources",
      {
        query: "query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Resource { id names { official } } } }",
        variables: { representations },
      },
      PUBLIC_IDENTITY,
    );
    expect(answer.body.errors).toBeUndefined();
    const entities = answer.body.data?._entities as Array<{ id: string; names: { official: string } }>;
    expect(entities.map((entity) => entity.id)).toEqual(ids);
    expect(entities.every((entity) => BY_NAME.has(entity.names.official))).toBe(true);
    expect(stack.commands.map((command) => [command.commandName, command.command[command.commandName]])).toEqual([["find", "resources"]]);
    // The search and place keys (about a third of a resource's bytes) resolve no field, so they are not read.
    expect(stack.commands[0].command.projection).toEqual({ searchKeys: 0, searchGrams: 0, placeKeys: 0 });
  });

  test("an unknown or malformed id resolves to null", async () => {
    const answer = await postAsGateway(
      stack.subgraph.url,
      "resources",
      {
        query: "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Resource { id } } }",
        variables: {
          r: [
            { __typename: "Resource", id: "0123456789abcdef01234567" },
            { __typename: "Resource", id: "nope" },
          ],
        },
      },
      PUBLIC_IDENTITY,
    );
    expect(answer.body).toEqual({ data: { _entities: [null, null] } });
  });
});

describe("the subgraph answers only the gateway", () => {
  test.each([
    ["without a signature", {}],
    [
      "signed with another secret",
      gatewaySignedHeaders(
        PUBLIC_IDENTITY,
        "another-secret-0123456789abcdefghij",
        "resources",
        "http://127.0.0.1/graphql",
        '{"query":"{ resources { totalCount } }"}',
      ),
    ],
  ])("a direct call %s is refused with 401", async (_case, headers) => {
    const answer = await postGraphQL(stack.subgraph.url, { query: "{ resources { totalCount } }" }, headers);
    expect(answer.status).toBe(401);
    expect(codes(answer.body)).toEqual(["UNAUTHENTICATED"]);
    expect(answer.body.data).toBeUndefined();
  });
});
