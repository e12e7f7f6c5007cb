// Benchmark of the hash-chained access log: appends through the audit chain (a transaction that reads and moves the chain head) against plain inserts of the same entries, one at a time and with many writers racing for the head, in alternating rounds of one run; prints throughput and the ratios.
import { ObjectId } from "mongodb";
import { AuditChain, connectMongo, createLogger } from "@tsunagu/service-kit";
import { machineLine, throughput } from "./machine";

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 2_000);
const ROUNDS = 2;
const CONCURRENCIES = [1, 20] as const;

/** An entry shaped like an emergency look-up's. */
function entry(index: number) {
  return {
    _id: new ObjectId(),
    at: new Date(),
    action: "LOOKUP",
    outcome: "ALLOWED",
    actor: { subject: `ems-${index % 50}`, role: "EMS", authMethod: "jwt", displayName: "救急隊員", profession: null, organizationId: null, memberId: null },
    profileIds: [new ObjectId()],
    reason: "自宅で意識低下、家族より通報",
    incidentNumber: `R8-${index}`,
    lookupMethod: "CARD_CODE",
    sections: ["CONDITIONS", "MEDICATIONS", "ALLERGIES"],
    accessWindowEndsAt: new Date(),
    requestId: `req-${index}`,
  };
}

async function main(): Promise<void> {
  const mongo = await connectMongo({ dbName: "bench-audit-chain", logger: createLogger({ name: "bench", level: "silent" }) });
  const db = mongo.connection.db;
  if (db === undefined) throw new Error("not connected");
  console.log(machineLine());
  console.log(`audit chain: ${ENTRIES} appends per run, ${ROUNDS} rounds alternating plain inserts and chained appends, embedded engine in memory`);
  try {
    for (const concurrency of CONCURRENCIES) {
      const plainRates: number[] = [];
      const chainedRates: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const plain = db.collection(`plain_${concurrency}_${round}`);
        plainRates.push(await throughput(ENTRIES, concurrency, (index) => plain.insertOne(entry(index))));
        const chain = new AuditChain(mongo.connection, `chained_${concurrency}_${round}`);
        await chain.ensureIndexes();
        chainedRates.push(await throughput(ENTRIES, concurrency, (index) => chain.append([entry(index)])));
        const report = await chain.verify();
        if (report.firstBreak !== null || report.entries !== ENTRIES) throw new Error(`chain broken after the run: ${JSON.stringify(report)}`);
      }
      const best = (rates: number[]) => Math.max(...rates);
      console.log(
        `  ${String(concurrency).padStart(2)} writer(s): plain ${best(plainRates).toFixed(0)}/s, chained ${best(chainedRates).toFixed(0)}/s, ` +
          `chained/plain ${(best(chainedRates) / best(plainRates)).toFixed(2)} (best of ${ROUNDS}; every chain verified intact with ${ENTRIES} entries)`,
      );
    }
  } finally {
    await mongo.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
