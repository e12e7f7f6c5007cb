// `npm run import:resources -- [--mapping m.yaml] [--prefecture 17 | --city 172031] [--dry-run] <file.csv>...`: imports official open-data CSVs with a progress bar (rows/s) and a report of every issue.
import { access, constants } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Presets, SingleBar } from "cli-progress";
import { baseConfigSchema, connectMongo, createLogger, exitOnConfigError, loadConfig } from "@tsunagu/service-kit";
import type { BaseConfig, MongoHandle } from "@tsunagu/service-kit";
import { formatIssue, importResourcesFile, readMappingFile } from "@tsunagu/resources";
import type { ImportReport, ImportScope } from "@tsunagu/resources";

const USAGE =
  "usage: npm run import:resources -- [--mapping <mapping.yaml|json>] [--prefecture <NN>] [--city <NNNNNN>] [--dry-run] <file.csv>...\n" +
  "Recognises 介護サービス情報公表システムのオープンデータ (jigyosho_<code>.csv), the Digital Agency's 医療機関一覧 and\n" +
  "介護サービス事業所一覧 (UTF-8 or Shift_JIS); a city's own layout needs --mapping. --prefecture / --city import only that\n" +
  "prefecture's (都道府県コード) or city's (市町村コード) rows; --dry-run reports without writing.\n" +
  "Uses MONGODB_URI, or the embedded engine on DATA_DIR.\n";

/** The embedded engine's lock on DATA_DIR, held while `npm start` runs. */
const DATA_DIR_LOCKED = /data directory (.+) is in use by process (\d+)/;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  return process.exit(1);
}

async function connect(config: BaseConfig): Promise<MongoHandle> {
  const logger = createLogger({ name: "import-resources", level: config.LOG_LEVEL ?? "warn" });
  try {
    return await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  } catch (error) {
    const locked = error instanceof Error ? DATA_DIR_LOCKED.exec(error.message) : null;
    if (locked === null) throw error;
    return fail(
      `The embedded database in ${locked[1]} is in use by process ${locked[2]} (is \`npm start\` running?).\n` +
        "Stop it and run the import again, or point MONGODB_URI at the MongoDB it uses.",
    );
  }
}

function scopeOf(prefecture: string | undefined, city: string | undefined): ImportScope {
  if (prefecture !== undefined && !/^\d{1,2}$/.test(prefecture)) fail(`--prefecture takes a 都道府県コード (01-47), not ${prefecture}\n${USAGE}`);
  if (city !== undefined && !/^\d{5,6}$/.test(city)) fail(`--city takes a 市町村コード (5 or 6 digits), not ${city}\n${USAGE}`);
  return { prefectureCode: prefecture?.padStart(2, "0"), cityCode: city };
}

function printReport(report: ImportReport, dryRun: boolean): void {
  const counts =
    `${report.file} (${report.layout})${dryRun ? " [dry run: nothing written]" : ""}: ${report.rows} rows, ` +
    `${report.inserted} inserted, ${report.updated} updated, ${report.unchanged} unchanged, ` +
    `${report.warned} warned, ${report.rejected} rejected` +
    (report.outOfScope > 0 ? `, ${report.outOfScope} outside the prefecture/city` : "");
  const lines = [counts];
  if (report.rejections.length > 0) lines.push("  rejected (取り込まなかった行):", ...report.rejections.map((issue) => `    ${formatIssue(issue)}`));
  if (report.warnings.length > 0) lines.push("  warnings (取り込んだが読めなかったセル):", ...report.warnings.map((issue) => `    ${formatIssue(issue)}`));
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      mapping: { type: "string" },
      prefecture: { type: "string" },
      city: { type: "string" },
      "dry-run": { type: "boolean", default: false },
    },
  });
  if (positionals.length === 0) fail(USAGE);
  const scope = scopeOf(values.prefecture, values.city);
  const dryRun = values["dry-run"] ?? false;
  const config = loadConfig(baseConfigSchema);
  for (const path of [...positionals, ...(values.mapping ? [values.mapping] : [])]) {
    try {
      await access(path, constants.R_OK);
    } catch (error) {
      fail(`Cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const layout = values.mapping ? await readMappingFile(values.mapping).catch((error: Error) => fail(error.message)) : undefined;

  const mongo = await connect(config);
  try {
    for (const path of positionals) {
      const bar = new SingleBar(
        {
          stream: process.stderr,
          format: `${path} {bar} {percentage}% | {rows} rows | {speed} rows/s | {duration_formatted}`,
          hideCursor: true,
        },
        Presets.shades_classic,
      );
      const started = Date.now();
      bar.start(1, 0, { rows: 0, speed: 0 });
      try {
        const report = await importResourcesFile(mongo.connection, path, {
          layout,
          scope,
          dryRun,
          onProgress({ bytesRead, totalBytes, rows }) {
            const seconds = Math.max((Date.now() - started) / 1000, 0.001);
            bar.setTotal(totalBytes);
            bar.update(bytesRead, { rows, speed: Math.round(rows / seconds) });
          },
        });
        bar.stop();
        printReport(report, dryRun);
      } catch (error) {
        bar.stop();
        // Header and parse errors say what is wrong with the file; rows before a parse error were imported.
        process.stderr.write(`Import of ${path} stopped: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    }
  } finally {
    await mongo.close();
  }
}

main().catch(exitOnConfigError);
