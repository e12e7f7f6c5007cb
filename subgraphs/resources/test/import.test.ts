// Importing official files into the subgraph and reading them through the gateway: counts, idempotent re-import, coordinators' edits kept, places with their services, districts and coverage.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bearer } from "../../../gateway/test/helpers";
import { defineDistricts, importResourcesFile, readDistrictFile, readMappingFile } from "../src/index";
import { openResourceModels } from "../src/models";
import { startResourcesStack } from "./stack";
import type { ResourcesStack } from "./stack";

const fixture = (name: string) => join(__dirname, "fixtures", name);

const PLACES = `query ($text: String) { places(filter: { text: $text }, first: 10) {
  totalCount edges { matchingServices { id category { code } } node { id names { official } address { district street } organization { corporateNumber name }
  services { id identifiers { careOfficeNumber careServiceCode } } } } } }`;
const RESOURCE = `query ($id: ID!) { resource(id: $id) { id version updatedAt names { official kana } contact { phone url }
  openingHours { closures { from to reason } openDays }
  place { id services { names { official } } }
  importIssues { file line column value reason }
  fieldProvenance { field source file editedBy } } }`;
const UPDATE = `mutation ($id: ID!, $input: ResourceChangesInput!) { updateResource(id: $id, input: $input) { version contact { phone } } }`;

let stack: ResourcesStack;
let coordinator: Record<string, string>;

beforeAll(async () => {
  stack = await startResourcesStack();
  coordinator = await bearer({ role: "COORDINATOR", subject: "coordinator-1", displayName: "長寿介護課 山田" });
  const models = await openResourceModels(stack.resources.connection);
  await defineDistricts(models, await readDistrictFile(fixture("komatsu-districts.yaml")));
});

afterAll(() => stack?.stop());

async function idOf(sourceKey: string): Promise<string> {
  const { Resource } = await openResourceModels(stack.resources.connection);
  const found = await Resource.findOne({ sourceKey }).lean();
  if (!found) throw new Error(`no resource ${sourceKey}`);
  return found._id.toHexString();
}

describe("the ministry's layout, twice", () => {
  test("a first import counts inserted, warned and rejected rows; a dry run before it writes nothing", async () => {
    const dry = await importResourcesFile(stack.resources.connection, fixture("mhlw-messy.csv"), { dryRun: true });
    expect(dry).toMatchObject({ rows: 10, inserted: 8, rejected: 2 });
    const { Resource } = await openResourceModels(stack.resources.connection);
    expect(await Resource.countDocuments()).toBe(0);

    const report = await importResourcesFile(stack.resources.connection, fixture("mhlw-messy.csv"));
    expect(report).toMatchObject({ rows: 10, inserted: 8, updated: 0, unchanged: 0, warned: 4, rejected: 2, outOfScope: 0 });
    expect(report.rejections.map((issue) => [issue.line, issue.column])).toEqual([
      [7, "事業所名"],
      [8, "住所"],
    ]);
    expect(report.warnings.map((issue) => [issue.line, issue.column])).toEqual([
      [3, "URL"],
      [4, "事業所名カナ"],
      [4, "法人番号"],
      [4, "URL"],
      [5, "URL"],
      [6, "サービスの種類"],
    ]);
  });

  test("re-importing the unchanged file updates nothing: versions and modifiedAt stay", async () => {
    const id = await idOf("care:1760100029:130");
    const before = (await stack.graphql(RESOURCE, { id }, coordinator)).body.data?.resource as { version: number; updatedAt: string };
    const again = await importResourcesFile(stack.resources.connection, fixture("mhlw-messy.csv"));
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 8, rejected: 2 });
    const after = (await stack.graphql(RESOURCE, { id }, coordinator)).body.data?.resource as { version: number; updatedAt: string };
    expect(after).toMatchObject({ version: before.version, updatedAt: before.updatedAt });
  });

  test("coordinators see a record's import issues with the raw value; the public does not", async () => {
    const id = await idOf("care:1760100029:130");
    const seen = await stack.graphql(RESOURCE, { id }, coordinator);
    expect((seen.body.data?.resource as { importIssues: unknown }).importIssues).toEqual([
      { file: "mhlw-messy.csv", line: 3, column: "URL", value: "http//example.org/aoba", reason: "http(s)のURLではありません (not an http(s) URL)" },
    ]);
    const anonymous = await stack.graphql(RESOURCE, { id });
    expect((anonymous.body.data?.resource as { importIssues: unknown }).importIssues).toBeNull();
    const listed = await stack.graphql(`{ resourcesWithImportIssues(first: 20) { totalCount } }`, {}, coordinator);
    expect(listed.body.data?.resourcesWithImportIssues).toEqual({ totalCount: 4 });
  });

  test("a coordinator's edit survives a re-import of a changed file, which updates only what the source owns", async () => {
    const id = await idOf("care:1760100029:130");
    const input = {
      kind: "FORMAL",
      category: "visiting-nursing",
      names: { official: "あおば訪問看護ステーション", kana: "アオバホウモンカンゴステーション" },
      identifiers: { careOfficeNumber: "1760100029", careServiceCode: "130", corporateNumber: "3220005000202" },
      address: { prefecture: "石川県", city: "小松市", street: "園町ハ123番地" },
      contact: { phone: "0761-99-0001" },
      openingHours: {
        openDays: ["MON", "TUE", "WED", "THU", "FRI"],
        closedOnPublicHolidays: true,
        closures: [{ from: "2026-08-13", to: "2026-08-16", reason: "お盆休み" }],
      },
      provenance: { source: "COORDINATOR" },
    };
    const edited = await stack.graphql(UPDATE, { id, input }, coordinator);
    expect(edited.body.errors).toBeUndefined();

    const changed = join(mkdtempSync(join(tmpdir(), "tsunagu-import-")), "mhlw-messy.csv");
    writeFileSync(
      changed,
      readFileSync(fixture("mhlw-messy.csv"), "utf8")
        .replace("http//example.org/aoba", "https://example.org/aoba")
        .replace("０７６１ー００ー２３４５", "0761-00-9999"),
    );
    const report = await importResourcesFile(stack.resources.connection, changed);
    expect(report).toMatchObject({ inserted: 0, updated: 1, unchanged: 7 });

    const after = (await stack.graphql(RESOURCE, { id }, coordinator)).body.data?.resource as {
      contact: { phone: string; url: string };
      openingHours: { closures: unknown[] };
      importIssues: unknown[];
      fieldProvenance: Array<{ field: string; source: string; editedBy: string | null; file: string | null }>;
      names: { kana: string };
    };
    expect(after.contact).toEqual({ phone: "0761-99-0001", url: "https://example.org/aoba" });
    expect(after.openingHours.closures).toEqual([{ from: "2026-08-13", to: "2026-08-16", reason: "お盆休み" }]);
    expect(after.names.kana).toBe("アオバホウモンカンゴステーション");
    expect(after.importIssues).toEqual([]);
    const provenance = new Map(after.fieldProvenance.map((entry) => [entry.field, entry]));
    expect(provenance.get("contact.phone")).toMatchObject({ source: "COORDINATOR", editedBy: "長寿介護課 山田" });
    expect(provenance.get("contact.url")).toMatchObject({ source: "OPEN_DATA", file: "mhlw-messy.csv", editedBy: null });
  });
});

describe("places, districts and coverage", () => {
  test("a search shows one card per place with its services: one office number, or one corporation at one address", async () => {
    const aoba = await stack.graphql(PLACES, { text: "あおば" });
    expect(aoba.body.errors).toBeUndefined();
    const found = aoba.body.data?.places as {
      totalCount: number;
      edges: Array<{
        matchingServices: Array<{ category: { code: string } }>;
        node: { names: { official: string }; address: { district: string }; services: Array<{ identifiers: { careServiceCode: string } }> };
      }>;
    };
    expect(found.totalCount).toBe(1);
    expect(found.edges[0].node.address.district).toBe("中央圏域");
    expect(found.edges[0].node.services.map((service) => service.identifiers.careServiceCode).sort()).toEqual(["130", "430"]);
    expect(found.edges[0].matchingServices.map((service) => service.category.code).sort()).toEqual(["care-management", "visiting-nursing"]);

    const sakura = await stack.graphql(PLACES, { text: "さくら" });
    const place = (sakura.body.data?.places as typeof found).edges;
    expect(place).toHaveLength(1);
    expect(place[0].node.services.map((service) => service.identifiers.careServiceCode).sort()).toEqual(["130", "550"]);
  });

  test("a Resource answers its place, so other subgraphs' references keep working by id", async () => {
    const id = await idOf("care:1760100029:430");
    const answer = await stack.graphql(RESOURCE, { id }, coordinator);
    const resource = answer.body.data?.resource as { place: { services: Array<{ names: { official: string } }> } };
    expect(resource.place.services.map((service) => service.names.official).sort()).toEqual(["あおば訪問看護ステーション", "ケアプランセンターあおば"]);
  });

  test("districts come from the city's table (towns, or a polygon); coordinators list what no district claims; coverage counts imported services", async () => {
    const unassigned = await stack.graphql(`{ unassignedResources(first: 20) { edges { node { names { official } address { city } } } } }`, {}, coordinator);
    expect(unassigned.body.data?.unassignedResources).toEqual({
      edges: [
        { node: { names: { official: "かわきた看護小規模多機能" }, address: { city: "川北町" } } },
        { node: { names: { official: "札幌の訪問入浴" }, address: { city: "札幌市中央区" } } },
      ],
    });
    const forbidden = await stack.graphql(`{ unassignedResources(first: 1) { totalCount } }`);
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    // The table itself, for anyone (the desk names the city from it), sorted by name.
    // A polygon comes back as the MultiPolygon of one, as the file gave it.
    const districts = await stack.graphql(`{ districts(city: "小松市") { prefecture city name hasArea area { type coordinates } } }`);
    const east = [
      [
        [136.46, 36.38],
        [136.5, 36.38],
        [136.5, 36.42],
        [136.46, 36.42],
        [136.46, 36.38],
      ],
    ];
    expect(districts.body).toEqual({
      data: {
        districts: [
          { prefecture: "石川県", city: "小松市", name: "中央圏域", hasArea: false, area: null },
          { prefecture: "石川県", city: "小松市", name: "南圏域", hasArea: false, area: null },
          { prefecture: "石川県", city: "小松市", name: "東圏域", hasArea: true, area: { type: "MultiPolygon", coordinates: [east] } },
        ],
      },
    });

    const coverage = await stack.graphql(
      `{ resourceCoverage(districts: ["中央圏域", "南圏域"], categories: ["care-medical-institution", "day-care", "visiting-nursing"]) { cells { district category { code } count } } }`,
    );
    expect(coverage.body.data?.resourceCoverage).toEqual({
      cells: [
        { district: "中央圏域", category: { code: "care-medical-institution" }, count: 1 },
        { district: "中央圏域", category: { code: "day-care" }, count: 0 },
        { district: "中央圏域", category: { code: "visiting-nursing" }, count: 2 },
        { district: "南圏域", category: { code: "care-medical-institution" }, count: 0 },
        { district: "南圏域", category: { code: "day-care" }, count: 1 },
        { district: "南圏域", category: { code: "visiting-nursing" }, count: 0 },
      ],
    });
  });

  test("the Digital Agency's care template joins an office's services at one place; the polygon places a clinic without a town", async () => {
    const report = await importResourcesFile(stack.resources.connection, fixture("da-care-service.csv"));
    expect(report).toMatchObject({ inserted: 3, rejected: 0 });
    const himawari = await stack.graphql(PLACES, { text: "ひまわりケア" });
    const edges = (himawari.body.data?.places as { edges: Array<{ node: { address: { district: string }; services: unknown[] } }> }).edges;
    expect(edges).toHaveLength(1);
    expect(edges[0].node).toMatchObject({ address: { district: "南圏域" } });
    expect(edges[0].node.services).toHaveLength(3);

    const hospitals = await importResourcesFile(stack.resources.connection, fixture("da-hospital.csv"));
    expect(hospitals).toMatchObject({ inserted: 2, rejected: 0 });
    const { Resource } = await openResourceModels(stack.resources.connection);
    const clinic = await Resource.findOne({ "names.official": "こまつ東クリニック" }).lean();
    expect(clinic?.address.district).toBe("東圏域");
  });

  test("a prefecture's Shift_JIS 医療機関一覧 and a city's AED list through a mapping file import", async () => {
    const sjis = await importResourcesFile(stack.resources.connection, fixture("medical-institutions-sjis.csv"));
    expect(sjis.rejected).toBe(0);
    expect(sjis.inserted).toBeGreaterThan(0);
    const layout = await readMappingFile(fixture("city-aed.yaml"));
    const aed = await importResourcesFile(stack.resources.connection, fixture("city-aed.csv"), { layout });
    expect(aed).toMatchObject({ inserted: 2, rejected: 1 });
    const listed = await stack.graphql(
      `{ resources(filter: { categories: ["aed"] }, first: 5) { edges { node { names { official } address { district } } } } }`,
    );
    expect(listed.body.data?.resources).toEqual({
      edges: [
        { node: { names: { official: "小松市役所" }, address: { district: "中央圏域" } } },
        { node: { names: { official: "芦城公民館" }, address: { district: "中央圏域" } } },
      ],
    });
  });
});

describe("files that cannot be imported", () => {
  test("a header of no layout is refused; a missing file is an error, not an empty import", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tsunagu-import-")), "unknown.csv");
    writeFileSync(path, "名前,住所\nさくら,本町\n");
    await expect(importResourcesFile(stack.resources.connection, path)).rejects.toThrow(/足りない列/);
    await expect(importResourcesFile(stack.resources.connection, fixture("missing.csv"))).rejects.toThrow(/ENOENT/);
  });
});

test("a district file whose polygon ring is not closed is refused with the ring named", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "districts-")), "open-ring.yaml");
  const ring = "[[136.46, 36.38], [136.50, 36.38], [136.50, 36.42], [136.46, 36.42]]";
  writeFileSync(path, `prefecture: 石川県\ncity: 能美市\ndistricts:\n  - name: 東圏域\n    area: { type: Polygon, coordinates: [${ring}] }\n`);
  await expect(readDistrictFile(path)).rejects.toThrow(/districts\.0\.area\.coordinates\.0: .*a ring must be closed/);
});

describe("paging places", () => {
  const PAGE = `query ($first: Int!, $after: String, $text: String) { places(filter: { text: $text }, first: $first, after: $after) {
    edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`;
  type PlacesPage = { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null } };
  const page = async (variables: Record<string, unknown>) => {
    const { body } = await stack.graphql(PAGE, variables, coordinator);
    return { places: body.data?.places as PlacesPage | undefined, codes: (body.errors ?? []).map((error) => error.extensions?.code) };
  };

  test("two pages of two are the first four places, and a cursor of another search or a forged one is refused", async () => {
    const four = (await page({ first: 4 })).places?.edges.map((edge) => edge.node.id) ?? [];
    expect(four).toHaveLength(4);
    const first = (await page({ first: 2 })).places as PlacesPage;
    const second = (await page({ first: 2, after: first.pageInfo.endCursor })).places as PlacesPage;
    expect([...first.edges, ...second.edges].map((edge) => edge.node.id)).toEqual(four);
    expect([first.pageInfo.hasPreviousPage, second.pageInfo.hasPreviousPage, second.pageInfo.hasNextPage]).toEqual([false, true, true]);
    expect((await page({ first: 2, after: first.pageInfo.endCursor, text: "訪問" })).codes).toEqual(["BAD_USER_INPUT"]);
    expect((await page({ first: 2, after: "bm90LWEtY3Vyc29y" })).codes).toEqual(["BAD_USER_INPUT"]);
  });
});
