// `npm run check:realdata`: imports every real file in ../shared/realdata (relative to the repository root) into a fresh embedded engine and checks counts, re-import, coordinator edits, districts, coverage and places; prints a per-file table and exits non-zero on any failure.
import { createReadStream, existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "csv-parse";
import type { Types } from "mongoose";
import { trusted } from "mongoose";
import { connectMongo, createLogger } from "@tsunagu/service-kit";
import { defineDistricts, importResourcesFile, openResourceModels, readMappingFile } from "@tsunagu/resources";
import type { ImportReport } from "@tsunagu/resources";
import { resourceCoverage } from "../subgraphs/resources/src/coverage";
import { validateResourceInput } from "../subgraphs/resources/src/domain";
import { searchPlaces } from "../subgraphs/resources/src/places";
import { searchFilterSchema } from "../subgraphs/resources/src/search";
import { updateResource } from "../subgraphs/resources/src/writes";

const ROOT = resolve(__dirname, "..");
const REALDATA = resolve(ROOT, "..", "shared", "realdata");
const MAPPINGS = join(ROOT, "docs", "import-mappings");
const FIXTURES = join(ROOT, "subgraphs", "resources", "test", "fixtures");

const failures: string[] = [];
const table: string[][] = [["file", "layout", "rows", "inserted", "updated", "unchanged", "warned", "rejected", "expected rejected", "result"]];

function check(condition: boolean, message: string): void {
  if (!condition) failures.push(message);
}

/** Rows a file truly cannot identify or place: no name, or neither 事業所番号 nor 住所 (counted independently of the importer). */
async function unidentifiableRows(path: string): Promise<number> {
  let header: string[] | undefined;
  let count = 0;
  for await (const record of createReadStream(path).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true })) as AsyncIterable<string[]>) {
    if (!header) {
      header = record;
      continue;
    }
    const cell = (name: string) => (record[header!.indexOf(name)] ?? "").trim();
    if (cell("事業所名") === "" || (cell("事業所番号") === "" && cell("住所") === "")) count += 1;
  }
  return count;
}

function row(report: ImportReport, expectedRejected: number | string, ok: boolean): void {
  table.push([
    report.file,
    report.layout,
    String(report.rows),
    String(report.inserted),
    String(report.updated),
    String(report.unchanged),
    String(report.warned),
    String(report.rejected),
    String(expectedRejected),
    ok ? "ok" : "FAIL",
  ]);
}

async function main(): Promise<void> {
  if (!existsSync(REALDATA)) throw new Error(`${REALDATA} is missing: the real-data check reads ../shared/realdata from the repository root`);
  const mongo = await connectMongo({ dbName: "check-realdata", logger: createLogger({ name: "check-realdata", level: "warn" }) });
  const { connection } = mongo;
  const models = await openResourceModels(connection);
  try {
    // 1. Every ministry file: no rejected row but those that truly lack a name, or both id and address.
    const mhlw = join(REALDATA, "mhlw");
    for (const name of readdirSync(mhlw)
      .filter((file) => file.endsWith(".csv"))
      .sort()) {
      const path = join(mhlw, name);
      const report = await importResourcesFile(connection, path);
      const expected = await unidentifiableRows(path);
      const ok = report.rejected === expected && report.inserted + report.updated + report.unchanged >= report.rows - report.rejected;
      check(ok, `${name}: ${report.rejected} rejected (expected ${expected}), ${report.inserted} inserted of ${report.rows} rows`);
      row(report, expected, ok);
    }

    // 2. The Digital Agency's templates (header rows only): recognised, nothing rejected; AED and evacuation lists through mapping files.
    const agency = join(REALDATA, "digital-agency");
    const templates: Array<[string, string | undefined]> = [
      ["xxxxxx_hospital.csv", undefined],
      ["xxxxxx_care_service.csv", undefined],
      ["xxxxxx_aed.csv", "aed.yaml"],
      ["xxxxxx_evacuation_space.csv", "evacuation-space.yaml"],
    ];
    for (const [name, mapping] of templates) {
      const layout = mapping ? await readMappingFile(join(MAPPINGS, mapping)) : undefined;
      const report = await importResourcesFile(connection, join(agency, name), { layout });
      const ok = report.rejected === 0;
      check(ok, `${name}: ${report.rejected} rejected`);
      row(report, 0, ok);
    }

    // 3. Hokkaido's real rows: UTF-8, then the same rows in Shift_JIS find nothing to update.
    const utf8 = await importResourcesFile(connection, join(agency, "hokkaido_iryokikan_excerpt_utf8.csv"));
    const utf8Ok = utf8.rows === 4 && utf8.inserted === 4 && utf8.rejected === 0;
    check(utf8Ok, `hokkaido utf8: ${JSON.stringify({ inserted: utf8.inserted, rejected: utf8.rejected })}`);
    row(utf8, 0, utf8Ok);
    const sjis = await importResourcesFile(connection, join(agency, "hokkaido_iryokikan_excerpt_sjis.csv"));
    const sjisOk = sjis.rows === 4 && sjis.unchanged === 4 && sjis.updated === 0 && sjis.rejected === 0;
    check(sjisOk, `hokkaido sjis: the Shift_JIS copy should be unchanged: ${JSON.stringify({ unchanged: sjis.unchanged, updated: sjis.updated })}`);
    row(sjis, 0, sjisOk);

    // 4. A city's own lists through mapping files: the same real rows as a list of the city's own layout, and an AED list.
    const own = await importResourcesFile(connection, join(agency, "hokkaido_iryokikan_excerpt_utf8.csv"), {
      layout: await readMappingFile(join(MAPPINGS, "hospital-list.yaml")),
    });
    const ownOk = own.inserted === 4 && own.rejected === 0;
    check(ownOk, `own hospital list: ${JSON.stringify({ inserted: own.inserted, rejected: own.rejected })}`);
    row({ ...own, file: `${own.file} (mapping)` }, 0, ownOk);
    const aed = await importResourcesFile(connection, join(FIXTURES, "city-aed.csv"), { layout: await readMappingFile(join(FIXTURES, "city-aed.yaml")) });
    const aedOk = aed.inserted === 2 && aed.rejected === 1;
    check(aedOk, `city AED list: ${JSON.stringify({ inserted: aed.inserted, rejected: aed.rejected })}`);
    row(aed, 1, aedOk);

    // 5. Re-import: nothing updated. A coordinator's edit survives.
    const sample = join(mhlw, "jigyosho_550.csv");
    const target = await models.Resource.findOne({ sourceKey: /^care:.*:550$/ }).lean();
    if (!target) throw new Error("no imported 介護医療院");
    const { _id, kind, category, names, operatorName, identifiers, address, contact, openingHours, suspended } = target;
    const { districtSource: _source, ...plainAddress } = address;
    const input = validateResourceInput({
      kind,
      category,
      names,
      operatorName,
      identifiers,
      address: plainAddress,
      contact: { ...contact, phone: "0120-000-000" },
      openingHours: { ...(openingHours ?? {}), closures: [{ from: "2026-12-29", to: "2027-01-03", reason: "年末年始" }] },
      suspended,
      provenance: { source: "COORDINATOR" },
    });
    if (!input.ok) throw new Error(`cannot edit ${names.official}: ${JSON.stringify(input.errors)}`);
    await updateResource(models, _id, input.value, undefined, new Date(), "check:realdata coordinator");
    const again = await importResourcesFile(connection, sample);
    const kept = await models.Resource.findById(_id).lean();
    const againOk = again.updated === 0 && again.inserted === 0 && kept?.contact.phone === "0120-000-000" && kept.openingHours?.closures.length === 1;
    check(againOk, `re-import of ${again.file}: ${again.updated} updated, phone ${kept?.contact.phone}`);
    row({ ...again, file: `${again.file} (again, after an edit)` }, 0, againOk);

    // 6. Districts as data: 札幌市中央区's towns as one district; coverage then counts the imported services there.
    const city = { prefecture: "北海道", city: "札幌市中央区" };
    const inCity = await models.Resource.countDocuments({ "address.prefecture": city.prefecture, "address.city": city.city });
    const defined = await defineDistricts(models, {
      ...city,
      districts: [
        {
          name: "中央区圏域",
          towns: ["北", "南", "大通", "円山", "宮の森", "宮ケ丘", "宮ヶ丘", "旭ケ丘", "旭ヶ丘", "伏見", "双子山", "盤渓", "界川", "山鼻", "中島公園", "桑園"],
        },
      ],
    });
    const coverage = await resourceCoverage(models, { districts: ["中央区圏域"] });
    const counted = coverage.cells.reduce((total, cell) => total + cell.count, 0);
    const assigned = await models.Resource.countDocuments({ "address.district": "中央区圏域", archivedAt: null, suspended: trusted({ $ne: true }) });
    const coverageOk = inCity > 0 && defined.reassigned > 0 && counted === assigned && assigned > inCity / 2;
    check(coverageOk, `districts: ${inCity} in ${city.city}, ${defined.reassigned} assigned, coverage counts ${counted} of ${assigned}`);
    process.stdout.write(`districts: ${city.city} ${inCity} services, ${defined.reassigned} given 中央区圏域, coverage counts ${counted}\n`);

    // 7. One card per place: a place with several services appears once, with them.
    const [shared] = await models.Resource.aggregate<{ _id: Types.ObjectId; count: number }>([
      { $group: { _id: "$placeId", count: { $sum: 1 } } },
      { $match: { count: { $gt: 1 } } },
      { $limit: 1 },
    ]);
    const place = shared && (await models.Resource.find({ placeId: shared._id }).lean());
    if (!place) throw new Error("no place with several services");
    const page = await searchPlaces(models, searchFilterSchema.parse({ text: place[0].names.official }), { first: 100 });
    const cards = page.edges.filter((edge) => edge.placeId.equals(shared._id));
    const placeOk = cards.length === 1 && cards[0].matchingServices.length >= 1 && place.length === shared.count;
    check(placeOk, `places: ${place[0].names.official} shows ${cards.length} cards`);
    process.stdout.write(
      `places: 「${place[0].names.official}」 one card with ${shared.count} services (${place.map((s) => s.identifiers.careServiceCode).join(", ")})\n`,
    );
  } catch (error) {
    failures.push(`stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    await mongo.close();
  }
  const widths = table[0].map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
  process.stdout.write(`${table.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ")).join("\n")}\n`);
  if (failures.length > 0) {
    process.stdout.write(`check:realdata FAILED\n${failures.map((failure) => `  ${failure}`).join("\n")}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write("check:realdata passed\n");
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
