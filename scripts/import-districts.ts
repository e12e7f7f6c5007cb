// `npm run import:districts -- <districts.yaml|json>`: replaces a city's 日常生活圏域 (towns and optional polygons) and re-assigns its resources' districts.
import { parseArgs } from "node:util";
import { baseConfigSchema, connectMongo, createLogger, exitOnConfigError, loadConfig } from "@tsunagu/service-kit";
import { defineDistricts, openResourceModels, readDistrictFile } from "@tsunagu/resources";

const USAGE =
  "usage: npm run import:districts -- <districts.yaml|json>\nSee README, 「Districts (日常生活圏域) as data」. Uses MONGODB_URI, or the embedded engine on DATA_DIR.\n";

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true });
  if (positionals.length !== 1) {
    process.stderr.write(USAGE);
    process.exit(1);
  }
  const file = await readDistrictFile(positionals[0]).catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    return process.exit(1);
  });
  const config = loadConfig(baseConfigSchema);
  const logger = createLogger({ name: "import-districts", level: config.LOG_LEVEL ?? "warn" });
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  try {
    const { districts, reassigned } = await defineDistricts(await openResourceModels(mongo.connection), file);
    process.stdout.write(`${file.prefecture}${file.city}: ${districts} districts; ${reassigned} resources re-assigned\n`);
  } finally {
    await mongo.close();
  }
}

main().catch(exitOnConfigError);
