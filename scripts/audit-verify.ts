// `npm run audit:verify`: checks the hash chains of the emergency and transitions access logs against their head documents and the heads written out under DATA_DIR/audit, and names the first broken link; exits 1 when one is broken.
import {
  AuditChain,
  auditHeadDirectory,
  baseConfigSchema,
  connectMongo,
  createLogger,
  exitOnConfigError,
  loadConfig,
  readCheckpoints,
} from "@tsunagu/service-kit";
import type { ChainReport } from "@tsunagu/service-kit";
import type { Connection } from "mongoose";
import { EMERGENCY_ACCESS_LOG } from "@tsunagu/emergency";
import { TRANSITIONS_ACCESS_LOG } from "@tsunagu/transitions";

/** The chained logs, in the order they are reported. */
export const CHAINED_LOGS = [EMERGENCY_ACCESS_LOG, TRANSITIONS_ACCESS_LOG] as const;

/** Verifies every chained log on `connection` against the heads written out under `headDirectory`. */
export async function verifyAuditLogs(connection: Connection, headDirectory: string): Promise<ChainReport[]> {
  const reports: ChainReport[] = [];
  for (const log of CHAINED_LOGS) reports.push(await new AuditChain(connection, log).verify(readCheckpoints(headDirectory, log)));
  return reports;
}

/** One line per log: intact with its length, or the first broken link. */
export function describeReport(report: ChainReport): string {
  const compared = report.checkpoint === null ? "no head written out yet" : `written-out head at entry ${report.checkpoint.seq}`;
  if (report.firstBreak === null) return `${report.log}: intact, ${report.entries} entries (${compared})`;
  const { kind, seq, entryId, message } = report.firstBreak;
  return `${report.log}: BROKEN ${kind} at entry ${seq ?? "?"}${entryId === null ? "" : ` (_id ${entryId})`}: ${message}`;
}

async function main(): Promise<void> {
  const config = loadConfig(baseConfigSchema);
  const logger = createLogger({ name: "audit-verify", level: "warn" });
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  try {
    const reports = await verifyAuditLogs(mongo.connection, auditHeadDirectory(config.DATA_DIR));
    for (const report of reports) process.stdout.write(`${describeReport(report)}\n`);
    process.exitCode = reports.every((report) => report.firstBreak === null) ? 0 : 1;
  } finally {
    await mongo.close();
  }
}

if (require.main === module) main().catch(exitOnConfigError);
