// `npm run import:resources -- <file.csv>`: imports an official open-data CSV (care services or medical institutions) into the resources collection, with a progress bar and every rejected row listed.
import { access, constants } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Presets, SingleBar } from "cli-progress";
import { baseConfigSchema, connectMongo, createLogger, exitOnConfigError, loadConfig } from "@tsunagu/service-kit";
import type { BaseConfig, MongoHandle } from "@tsunagu/service-kit";
import { importResourcesFile } from "@tsunagu/resources";

const USAGE =
  "usage: npm run import:resources -- <file.csv>\n" +
  "Imports 介護サービス情報公表システムのオープンデータ (jigyosho_<code>.csv) or the 医療機関一覧 dataset;\n" +
  "rows are upserted by 事業所番号 + サービス種類 or 医療機関コード. Uses MONGODB_URI, or the embedded engine on DATA_DIR.\n";

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

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true });
  const [path] = positionals;
  if (path === undefined || positionals.length !== 1) fail(USAGE);
  const config = loadConfig(baseConfigSchema);
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    fail(`Cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }

  const mongo = await connect(config);
  const bar = new SingleBar(
    { stream: process.stderr, format: "{bar} {percentage}% | {value}/{total} bytes | {duration_formatted}", hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(1, 0);
  try {
    const summary = await importResourcesFile(mongo.connection, path, {
      onProgress(bytesRead, totalBytes) {
        bar.setTotal(totalBytes);
        bar.update(bytesRead);
      },
    });
    bar.stop();
    process.stdout.write(
      `${path}: ${summary.inserted} inserted, ${summary.updated} updated, ${summary.rejected.length} rejected\n` +
        summary.rejected.map(({ problems }) => `${problems.replace(/^/gm, "  ")}\n`).join(""),
    );
  } catch (error) {
    bar.stop();
    // Header and parse errors say what is wrong with the file; rows before a parse error were imported.
    process.stderr.write(`Import of ${path} stopped: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    await mongo.close();
  }
}

main().catch(exitOnConfigError);
