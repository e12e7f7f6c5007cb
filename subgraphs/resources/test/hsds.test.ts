// The Open Referral HSDS 3.1 endpoints through the gateway's origin, as a vendor's system calls them: paging, filters, ids that round-trip, nested records, vacancy as service_capacity, holidays in schedules, and clear errors.
import { bearer } from "../../../gateway/test/helpers";
import { hsdsId, hsdsIdOfText, keyOfHsdsId } from "../src/hsds/ids";
import { startResourcesStack } from "./stack";
import type { ResourcesStack } from "./stack";

interface Page<T = Record<string, unknown>> {
  total_items: number;
  total_pages: number;
  page_number: number;
  size: number;
  first_page: boolean;
  last_page: boolean;
  empty: boolean;
  contents: T[];
}
type Service = { id: string; name: string; status: string; organization_id: string; last_modified: string } & Record<string, unknown>;

let stack: ResourcesStack;

beforeAll(async () => {
  stack = await startResourcesStack({ seedDemoAt: new Date("2026-04-01T00:00:00Z") });
});

afterAll(() => stack?.stop());

async function get<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(new URL(path, stack.gateway.url), init);
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

async function graphqlTotal(filter: Record<string, unknown>): Promise<number> {
  const answer = await stack.graphql(`query ($filter: ResourceFilter) { resources(filter: $filter, first: 1) { totalCount } }`, { filter });
  return (answer.body.data as { resources: { totalCount: number } }).resources.totalCount;
}

test("services page through the whole directory without gaps or repeats, with HSDS's page fields", async () => {
  const total = await graphqlTotal({});
  const first = await get<Page<Service>>("/hsds/services?per_page=100");
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({
    total_items: total,
    total_pages: Math.ceil(total / 100),
    page_number: 1,
    size: 100,
    first_page: true,
    last_page: false,
    empty: false,
  });
  const ids = new Set(first.body.contents.map((service) => service.id));
  for (let page = 2; page <= first.body.total_pages; page += 1) {
    const next = await get<Page<Service>>(`/hsds/services?per_page=100&page=${page}`);
    expect(next.body.last_page).toBe(page === first.body.total_pages);
    for (const service of next.body.contents) ids.add(service.id);
  }
  expect(ids.size).toBe(total);
  const beyond = await get<Page>(`/hsds/services?per_page=100&page=${first.body.total_pages + 1}`);
  expect(beyond.body).toMatchObject({ empty: true, size: 0, last_page: true, contents: [] });
});

test("an HSDS id is a UUID that carries the resource's id, and the full service nests organization, location, schedules and taxonomy", async () => {
  const answer = await stack.graphql(
    `{ resources(filter: { text: "ほうもんかんご" }, first: 1) { edges { node { id names { official } address { city } } } } }`,
  );
  const node = (answer.body.data as { resources: { edges: { node: { id: string; names: { official: string }; address: { city: string } } }[] } }).resources
    .edges[0]?.node;
  if (node === undefined) throw new Error("the demo city has visiting-nursing stations");
  const id = hsdsId("service", node.id);
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(keyOfHsdsId("service", id)).toBe(node.id);
  expect(keyOfHsdsId("location", id)).toBeUndefined();
  const { status, body } = await get<
    Service & {
      organization: { id: string; name: string };
      service_at_locations: { location: { addresses: { city: string; country: string }[] } }[];
      attributes: { taxonomy_term: { code: string } }[];
      schedules: { byday?: string; opens_at?: string }[];
    }
  >(`/hsds/services/${id}`);
  expect(status).toBe(200);
  expect(body).toMatchObject({ id, name: node.names.official, status: "active", organization: { id: body.organization_id } });
  expect(body.service_at_locations[0]?.location.addresses[0]).toMatchObject({ city: node.address.city, country: "JP" });
  expect(body.attributes[0]?.taxonomy_term.code).toBe("visiting-nursing");
  expect(body.schedules.some((schedule) => schedule.byday !== undefined && schedule.opens_at !== undefined)).toBe(true);
});

test("text search in kana, taxonomy terms and proximity filter like the graph does", async () => {
  const nursing = await get<Page<Service>>(`/hsds/services?search=${encodeURIComponent("ほうもんかんご")}&per_page=200`);
  expect(nursing.body.total_items).toBe(await graphqlTotal({ text: "ほうもんかんご" }));
  expect(nursing.body.total_items).toBeGreaterThan(0);
  const term = hsdsIdOfText("taxonomyTerm", "visiting-nursing");
  const byTerm = await get<Page<Service>>(`/hsds/services?taxonomy_term_id=${term}&per_page=200`);
  expect(byTerm.body.total_items).toBe(await graphqlTotal({ categories: ["visiting-nursing"] }));
  const near = await get<Page<{ service: Service }>>("/hsds/service_at_locations?proximity=2000&latitude=36.4&longitude=136.45&per_page=200");
  expect(near.body.total_items).toBe(await graphqlTotal({ near: { latitude: 36.4, longitude: 136.45, radiusMeters: 2000 } }));
  expect(near.body.contents.every((item) => typeof item.service.name === "string")).toBe(true);
  const terms = await get<Page<{ id: string; code: string }>>("/hsds/taxonomy_terms?per_page=200");
  expect(terms.body.contents.map((t) => t.code)).toContain("visiting-nursing");
  const one = await get<{ code: string }>(`/hsds/taxonomy_terms/${term}`);
  expect(one.body.code).toBe("visiting-nursing");
});

test("a vacancy is a service_capacity with its unit and as-of time; a public holiday closure is a dated schedule", async () => {
  const answer = await stack.graphql(
    `{ resources(filter: { hasVacancy: true }, first: 1) { edges { node { id capacity { available maximum updatedAt } openingHours { closedOnPublicHolidays } } } } }`,
  );
  const node = (
    answer.body.data as {
      resources: {
        edges: {
          node: {
            id: string;
            capacity: { available: number; maximum: number | null; updatedAt: string };
            openingHours: { closedOnPublicHolidays: boolean } | null;
          };
        }[];
      };
    }
  ).resources.edges[0]?.node;
  if (node === undefined) throw new Error("the demo city has vacancies");
  const { body } = await get<{
    capacities: { available: number; updated: string; unit: { name: string } }[];
    schedules: { valid_from?: string; description?: string }[];
  }>(`/hsds/services/${hsdsId("service", node.id)}`);
  expect(body.capacities).toEqual([
    expect.objectContaining({
      available: node.capacity.available,
      updated: new Date(node.capacity.updatedAt).toISOString(),
      unit: expect.objectContaining({ name: expect.any(String) }),
    }),
  ]);
  const listed = await stack.graphql(`{ resources(first: 100) { edges { node { id openingHours { closedOnPublicHolidays } } } } }`);
  const closing = (
    listed.body.data as { resources: { edges: { node: { id: string; openingHours: { closedOnPublicHolidays: boolean } | null } }[] } }
  ).resources.edges.find((edge) => edge.node.openingHours?.closedOnPublicHolidays === true);
  if (closing === undefined) throw new Error("the demo city has places closed on public holidays");
  const holidays = (
    await get<{ schedules: { valid_from?: string; valid_to?: string; description?: string }[] }>(`/hsds/services/${hsdsId("service", closing.node.id)}`)
  ).body.schedules.filter((schedule) => schedule.description?.startsWith("祝日休業"));
  expect(holidays.length).toBeGreaterThan(0);
  expect(holidays.every((schedule) => /^\d{4}-\d{2}-\d{2}$/.test(schedule.valid_from ?? "") && schedule.valid_from === schedule.valid_to)).toBe(true);
});

test("organizations group services by 法人番号 and list them; locations and service_at_locations answer by id", async () => {
  const organizations = await get<Page<{ id: string; name: string }>>("/hsds/organizations?per_page=200");
  expect(organizations.body.total_items).toBeGreaterThan(0);
  const corporate = organizations.body.contents.find((organization) => keyOfHsdsId("corporation", organization.id) !== undefined);
  if (corporate === undefined) throw new Error("the demo city has corporations");
  const full = await get<{ id: string; services: Service[]; locations: { id: string }[] }>(`/hsds/organizations/${corporate.id}`);
  expect(full.body.id).toBe(corporate.id);
  expect(full.body.services.length).toBeGreaterThan(0);
  expect(full.body.services.every((service) => service.organization_id === corporate.id)).toBe(true);
  const filtered = await get<Page<Service>>(`/hsds/services?organization_id=${corporate.id}&per_page=200`);
  expect(filtered.body.contents.map((service) => service.id).sort()).toEqual(full.body.services.map((service) => service.id).sort());
  const location = full.body.locations[0];
  expect((await get<{ id: string }>(`/hsds/locations/${location?.id}`)).body.id).toBe(location?.id);
});

test("bad parameters, unknown ids and writes get clear answers with stable codes; the public view holds no staff contacts", async () => {
  expect(await get("/hsds/services?per_page=1000")).toMatchObject({ status: 400, body: { code: "BAD_USER_INPUT", parameter: "per_page" } });
  expect(await get("/hsds/services?taxonomy_term_id=00000000-0000-8000-8000-000000000000")).toMatchObject({
    status: 400,
    body: { code: "BAD_USER_INPUT", parameter: "taxonomy_term_id" },
  });
  expect(await get("/hsds/service_at_locations?proximity=100")).toMatchObject({ status: 400, body: { code: "BAD_USER_INPUT", parameter: "proximity" } });
  expect(await get(`/hsds/services/${hsdsId("service", "0123456789abcdef01234567")}`)).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
  expect(await get("/hsds/services/not-a-uuid")).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
  expect(await get("/hsds/services", { method: "POST" })).toMatchObject({ status: 405, body: { code: "METHOD_NOT_ALLOWED" } });
  // Signed in or not, HSDS is the public directory: no contact window's names or direct lines.
  const coordinator = await bearer({ role: "COORDINATOR", subject: "coordinator-1" });
  const { body } = await get<Page<{ contacts: unknown[] }>>("/hsds/services?full=true&per_page=50", { headers: coordinator });
  expect(body.contents.every((service) => service.contacts.length === 0)).toBe(true);
});
