// `npm run bench:import`: imports every file in ../shared/realdata/mhlw into a fresh embedded engine and prints rows/s of the first and the last tenth of the run (their ratio shows whether look-ups slow down as the collection grows) and the total time and CPU time, beside a dry run of the same files in the same process (read, checked and built, nothing written) as the floor the writes add to.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { connectMongo, createLogger } from "@tsunagu/service-kit";
import { importResourcesFile } from "@tsunagu/resources";
import { loadLine } from "./load";
import { machineLine } from "./machine";

const DIRECTORY = resolve(__dirname, "..", "..", process.env.BENCH_IMPORT_DIR ?? "../shared/realdata/mhlw");

/** Seconds since the start and rows imported so far, after each batch. */
type Sample = [seconds: number, rows: number];

/** Rows per second between the moments the run passed `fromShare` and `toShare` of its rows. */
function rateBetween(samples: readonly Sample[], fromShare: number, toShare: number): number {
  const total = samples.at(-1)?.[1] ?? 0;
  const at = (share: number): Sample => samples.find(([, rows]) => rows >= share * total) ?? [0, 0];
  const [fromTime, fromRows] = fromShare === 0 ? ([0, 0] as Sample) : at(fromShare);
  const [toTime, toRows] = at(toShare);
  return (toRows - fromRows) / Math.max(toTime - fromTime, 1e-6);
}

async function main(): Promise<void> {
  const files = readdirSync(DIRECTORY)
    .filter((name) => name.endsWith(".csv"))
    .sort();
  if (files.length === 0) throw new Error(`No CSV files in ${DIRECTORY}`);
  const mongo = await connectMongo({ dbName: "bench-import", logger: createLogger({ name: "bench-import", level: "warn" }) });
  const dryRunSeconds = async (): Promise<number> => {
    const dryStarted = process.hrtime.bigint();
    const connection = mongo.connection.useDb("bench-import-dry-run");
    for (const name of files) await importResourcesFile(connection, join(DIRECTORY, name), { dryRun: true });
    return Number(process.hrtime.bigint() - dryStarted) / 1e9;
  };
  const loadBefore = loadLine();
  const samples: Sample[] = [];
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  let before = 0;
  let rejected = 0;
  try {
    for (const name of files) {
      const report = await importResourcesFile(mongo.connection, join(DIRECTORY, name), {
        onProgress: ({ rows }) => samples.push([seconds(), before + rows]),
      });
      before += report.rows;
      rejected += report.rejected;
    }
  } catch (error) {
    await mongo.close();
    throw error;
  }
  const total = seconds();
  const { user, system } = process.cpuUsage(cpuBefore);
  const cpuSeconds = (user + system) / 1e6;
  const dryRun = await dryRunSeconds().finally(() => mongo.close());
  const first = rateBetween(samples, 0, 0.1);
  const last = rateBetween(samples, 0.9, 1);
  process.stdout.write(
    [
      machineLine(),
      `${loadBefore} before the import, ${loadLine()} after the dry run (other work on the machine slows both; their ratio is what compares)`,
      `bench:import: ${files.length} files, ${before} rows (${rejected} rejected) from ${DIRECTORY}`,
      `first tenth: ${Math.round(first)} rows/s`,
      `last tenth:  ${Math.round(last)} rows/s (first/last = ${(first / last).toFixed(2)}x; target at most 1.2x)`,
      `total: ${total.toFixed(1)} s, ${Math.round(before / total)} rows/s overall (target at least 2,000 rows/s)`,
      // Engine and importer share this process: its CPU time is the import's cost, less disturbed by other work than the wall clock.
      `CPU time of the import: ${cpuSeconds.toFixed(1)} s (every thread of the process, GC helpers included), ${Math.round(before / cpuSeconds)} rows per CPU second`,
      `dry run of the same files (read, checked, built; nothing written): ${dryRun.toFixed(1)} s, ${Math.round(before / dryRun)} rows/s; the import takes ${(total / dryRun).toFixed(2)}x the dry run`,
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
