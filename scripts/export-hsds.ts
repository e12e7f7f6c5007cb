// `npm run export:hsds -- --out ./hsds-export`: writes the directory in Open Referral HSDS 3.1's JSON form, one file per table, from the database the system uses.
import { parseArgs } from "node:util";
import { baseConfigSchema, connectMongo, createLogger, exitOnConfigError, loadConfig } from "@tsunagu/service-kit";
import { exportHsds, openResourceModels } from "@tsunagu/resources";

const USAGE = "usage: npm run export:hsds -- --out <directory>\n";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string" }, help: { type: "boolean" } } });
  if (values.help === true || values.out === undefined) {
    process.stderr.write(USAGE);
    process.exitCode = values.help === true ? 0 : 2;
    return;
  }
  const config = loadConfig(baseConfigSchema);
  const logger = createLogger({ name: "export-hsds", level: "warn" });
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  try {
    const counts = await exportHsds(await openResourceModels(mongo.connection), values.out);
    for (const [table, count] of Object.entries(counts)) process.stdout.write(`${table}.json\t${count}\n`);
  } finally {
    await mongo.close();
  }
}

main().catch(exitOnConfigError);
