// `npm run check:hsds` (run by .ci/run after npm test): every HSDS endpoint's answers and the full export, for the demo city and then with the ministry's real open data imported, validated with ajv against the official HSDS 3.0 and 3.1 schemas in ../shared/hsds.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import type { ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { HSDS_EXPORT_TABLES, exportHsds, importResourcesFile, openResourceModels } from "@tsunagu/resources";
import type { HsdsExportTable } from "@tsunagu/resources";
import { startResourcesStack } from "../subgraphs/resources/test/stack";
import type { ResourcesStack } from "../subgraphs/resources/test/stack";

const SHARED = join(__dirname, "..", "..", "shared");
const HSDS_SCHEMAS = join(SHARED, "hsds");
const REAL_DATA = join(SHARED, "realdata", "mhlw");
const VERSIONS = ["3.0", "3.1"] as const;
const BASE = "https://hsds.schemas.local/";

type SchemaName =
  | "page"
  | "service"
  | "service_list"
  | "service_at_location"
  | "service_at_location_list"
  | "organization"
  | "organization_list"
  | "location"
  | "taxonomy"
  | "taxonomy_term"
  | "organization_table"
  | "service_at_location_table";

/** The official schemas of one HSDS version, compiled: the compiled (nested) ones and the table ones with their $refs. */
function loadValidators(version: string): Record<SchemaName, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat("csv", true);
  const folder = join(HSDS_SCHEMAS, version);
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".json") && name !== "openapi.json")) {
    ajv.addSchema({ ...(JSON.parse(readFileSync(join(folder, file), "utf8")) as Record<string, unknown>), $id: `${BASE}${version}/${file}` });
  }
  for (const file of readdirSync(join(folder, "compiled")).filter((name) => name.endsWith(".json"))) {
    ajv.addSchema({
      ...(JSON.parse(readFileSync(join(folder, "compiled", file), "utf8")) as Record<string, unknown>),
      $id: `${BASE}${version}/compiled/${file}`,
    });
  }
  const openapi = JSON.parse(readFileSync(join(folder, "openapi.json"), "utf8")) as { components: { schemas: { Page: object } } };
  const get = (path: string) => {
    const validate = ajv.getSchema(`${BASE}${version}/${path}`);
    if (validate === undefined) throw new Error(`HSDS ${version}: no schema ${path}`);
    return validate;
  };
  return {
    page: ajv.compile({
      ...openapi.components.schemas.Page,
      required: ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
    }),
    service: get("compiled/service.json"),
    service_list: get("compiled/service_list.json"),
    service_at_location: get("compiled/service_at_location.json"),
    service_at_location_list: get("compiled/service_at_location_list.json"),
    organization: get("compiled/organization.json"),
    organization_list: get("compiled/organization_list.json"),
    location: get("location.json"),
    taxonomy: get("taxonomy.json"),
    taxonomy_term: get("taxonomy_term.json"),
    organization_table: get("organization.json"),
    service_at_location_table: get("service_at_location.json"),
  };
}

/** Collects failures instead of stopping at the first, so one run shows everything that is wrong. */
class Report {
  readonly failures: string[] = [];
  checked = 0;

  expect(validate: ValidateFunction, value: unknown, where: string): void {
    this.checked += 1;
    if (!validate(value)) this.failures.push(`${where}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  }

  that(condition: boolean, message: string): void {
    this.checked += 1;
    if (!condition) this.failures.push(message);
  }
}

interface Page {
  total_items: number;
  total_pages: number;
  contents: Record<string, unknown>[];
}

/**
 * GETs `path` from the gateway. A GET that meets a kept-alive socket closed under it, or a gateway timeout on a machine
 * busy with other work, is sent again once, as an HSDS client would: this check is about what the answers hold.
 */
async function getJson(stack: ResourcesStack, path: string, retried = false): Promise<{ status: number; body: unknown }> {
  try {
    const response = await fetch(new URL(path, stack.gateway.url));
    if (response.status === 504 && !retried) {
      await response.body?.cancel();
      return getJson(stack, path, true);
    }
    return { status: response.status, body: await response.json() };
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (retried || (code !== "ECONNRESET" && code !== "UND_ERR_SOCKET")) throw error;
    return getJson(stack, path, true);
  }
}

/** Every page of a list endpoint, each page validated as a Page and each item with `item`. */
async function walkList(
  stack: ResourcesStack,
  report: Report,
  validators: Record<SchemaName, ValidateFunction>[],
  path: string,
  item: SchemaName,
  perPage = 100,
): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for (let number = 1; ; number += 1) {
    const separator = path.includes("?") ? "&" : "?";
    const { status, body } = await getJson(stack, `${path}${separator}page=${number}&per_page=${perPage}`);
    report.that(status === 200, `${path} page ${number}: HTTP ${status}`);
    if (status !== 200) return all;
    const page = body as Page;
    validators.forEach((set, index) => {
      report.expect(set.page, page, `${VERSIONS[index]} ${path} page ${number}`);
      page.contents.forEach((content, position) => report.expect(set[item], content, `${VERSIONS[index]} ${path} page ${number} item ${position}`));
    });
    all.push(...page.contents);
    if (number >= page.total_pages) {
      report.that(all.length === page.total_items, `${path}: walked ${all.length} items of ${page.total_items}`);
      return all;
    }
  }
}

/** The endpoints of the API over whatever the stack holds, validated against every version's schemas. */
async function checkEndpoints(stack: ResourcesStack, report: Report, validators: Record<SchemaName, ValidateFunction>[], label: string): Promise<void> {
  const services = await walkList(stack, report, validators, "/hsds/services", "service_list");
  await walkList(stack, report, validators, "/hsds/services?full=true", "service", 50);
  await walkList(stack, report, validators, "/hsds/service_at_locations", "service_at_location_list");
  await walkList(stack, report, validators, "/hsds/organizations", "organization_list");
  await walkList(stack, report, validators, "/hsds/locations", "location");
  await walkList(stack, report, validators, "/hsds/taxonomies", "taxonomy");
  const terms = await walkList(stack, report, validators, "/hsds/taxonomy_terms", "taxonomy_term");
  report.that(services.length > 0 && terms.length > 0, `${label}: no services or no taxonomy terms`);
  // Single records, for a sample across the list.
  const step = Math.max(1, Math.floor(services.length / 40));
  for (let index = 0; index < services.length; index += step) {
    const id = String(services[index]?.id);
    const service = await getJson(stack, `/hsds/services/${id}`);
    validators.forEach((set, v) => report.expect(set.service, service.body, `${VERSIONS[v]} ${label} /hsds/services/${id}`));
    const full = service.body as { organization?: { id: string }; service_at_locations?: { id: string }[] };
    const organization = await getJson(stack, `/hsds/organizations/${full.organization?.id ?? "none"}?full_service=true`);
    validators.forEach((set, v) => report.expect(set.organization, organization.body, `${VERSIONS[v]} ${label} /hsds/organizations/${full.organization?.id}`));
    const atLocation = await getJson(stack, `/hsds/service_at_locations/${full.service_at_locations?.[0]?.id ?? "none"}`);
    validators.forEach((set, v) =>
      report.expect(set.service_at_location, atLocation.body, `${VERSIONS[v]} ${label} /hsds/service_at_locations/${full.service_at_locations?.[0]?.id}`),
    );
  }
  const near = await getJson(stack, "/hsds/service_at_locations?proximity=3000&latitude=36.4&longitude=136.45&search=%E8%A8%AA%E5%95%8F");
  report.that(near.status === 200, `${label}: proximity + search answered HTTP ${near.status}`);
}

/** The export of whatever the stack holds, each record of each table validated. */
async function checkExport(
  stack: ResourcesStack,
  report: Report,
  validators: Record<SchemaName, ValidateFunction>[],
  label: string,
): Promise<Record<HsdsExportTable, number>> {
  const directory = mkdtempSync(join(tmpdir(), "tsunagu-hsds-"));
  try {
    const counts = await exportHsds(await openResourceModels(stack.resources.connection), directory);
    const schemaOf: Record<HsdsExportTable, SchemaName> = {
      services: "service",
      organizations: "organization_table",
      locations: "location",
      service_at_locations: "service_at_location_table",
      taxonomies: "taxonomy",
      taxonomy_terms: "taxonomy_term",
    };
    for (const table of HSDS_EXPORT_TABLES) {
      const records = JSON.parse(readFileSync(join(directory, `${table}.json`), "utf8")) as unknown[];
      report.that(records.length === counts[table], `${label} export ${table}: ${records.length} records, ${counts[table]} counted`);
      records.forEach((record, index) =>
        validators.forEach((set, v) => report.expect(set[schemaOf[table]], record, `${VERSIONS[v]} ${label} export ${table}[${index}]`)),
      );
    }
    return counts;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(HSDS_SCHEMAS)) {
    process.stderr.write(`check:hsds needs the official HSDS schemas in ${HSDS_SCHEMAS}\n`);
    process.exitCode = 1;
    return;
  }
  const validators = VERSIONS.map(loadValidators);
  const report = new Report();
  const stack = await startResourcesStack({ seedDemoAt: new Date("2026-04-01T00:00:00Z") });
  try {
    await checkEndpoints(stack, report, validators, "demo city");
    const demo = await checkExport(stack, report, validators, "demo city");
    process.stdout.write(`demo city: ${JSON.stringify(demo)}\n`);
    const files = existsSync(REAL_DATA)
      ? readdirSync(REAL_DATA)
          .filter((name) => name.endsWith(".csv"))
          .sort()
      : [];
    report.that(files.length > 0, `no real open-data files in ${REAL_DATA}`);
    for (const file of files) await importResourcesFile(stack.resources.connection, join(REAL_DATA, file));
    await checkEndpoints(stack, report, validators, "with the ministry's open data");
    const imported = await checkExport(stack, report, validators, "with the ministry's open data");
    process.stdout.write(`with ${files.length} open-data files: ${JSON.stringify(imported)}\n`);
  } finally {
    await stack.stop();
  }
  for (const failure of report.failures.slice(0, 30)) process.stdout.write(`FAIL ${failure}\n`);
  process.stdout.write(`check:hsds: ${report.checked - report.failures.length} passed, ${report.failures.length} failed\n`);
  process.exitCode = report.failures.length === 0 ? 0 : 1;
}

void main();
