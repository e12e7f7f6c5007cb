// The emergency access log's hash chain through the gateway: a local user edits, deletes, inserts, reorders and cuts entries with the raw driver, and the coordinators' integrity query and `npm run audit:verify` name each; nobody else may run the check.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ObjectId } from "mongodb";
import type { Document } from "mongodb";
import { auditHeadDirectory, readCheckpoints } from "@tsunagu/service-kit";
import { codes } from "./helpers";
import { signedIn, startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack } from "./emergency-stack";

const NOW = new Date("2026-04-01T01:00:00Z");
const REPO_ROOT = join(__dirname, "..", "..");
let stack: EmergencyStack;
let dataDir: string;
let headDirectory: string;
let coordinator: Record<string, string>;

const INTEGRITY = `{ emergencyAccessLogIntegrity { log entries headSeq checkpointSeq intact firstBreak { kind seq entryId message } } }`;

interface Integrity {
  log: string;
  entries: number;
  headSeq: number | null;
  checkpointSeq: number | null;
  intact: boolean;
  firstBreak: { kind: string; seq: number | null; entryId: string | null; message: string } | null;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tsunagu-audit-"));
  headDirectory = auditHeadDirectory(dataDir);
  stack = await startEmergencyStack({ now: NOW, seed: { count: 30 }, lookupRateLimit: { max: 1000, windowSeconds: 600 }, auditHeadDirectory: headDirectory });
  coordinator = await signedIn({ role: "COORDINATOR", subject: "city-coordinator" });
  const crew = await signedIn({ role: "EMS", subject: "ems-chain", displayName: "救急隊員" });
  for (let index = 0; index < 6; index += 1) {
    const answer = await stack.graphql(
      `mutation ($input: EmergencyLookupInput!) { emergencyLookup(input: $input) { outcome } }`,
      { input: { name: `存在 しない${index}`, dateOfBirth: "1930-01-01", reason: "意識なし" } },
      crew,
    );
    expect(answer.body.errors).toBeUndefined();
  }
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const raw = () => stack.engine.connection.collection("emergencyAccessLog");

async function integrity(): Promise<Integrity> {
  const answer = await stack.graphql(INTEGRITY, {}, coordinator);
  expect(answer.body.errors).toBeUndefined();
  return (answer.body.data as { emergencyAccessLogIntegrity: Integrity }).emergencyAccessLogIntegrity;
}

/** Saves the log, lets `tamper` change it with the raw driver, returns what the check found, then puts the log back. */
async function afterTampering(tamper: (entries: Document[]) => Promise<unknown>): Promise<Integrity> {
  const saved = await raw().find({}).toArray();
  await tamper(saved.sort((a, b) => a.chain.seq - b.chain.seq));
  const found = await integrity();
  await raw().deleteMany({});
  await raw().insertMany(saved);
  expect((await integrity()).intact).toBe(true);
  return found;
}

test("only coordinators and administrators may check the chain; an intact log is reported intact", async () => {
  for (const role of ["EMS", "RESIDENT", "PROFESSIONAL"] as const) {
    const answer = await stack.graphql(INTEGRITY, {}, await signedIn({ role, subject: `someone-${role}` }));
    expect(codes(answer.body)).toEqual(["FORBIDDEN"]);
  }
  expect(codes((await stack.graphql(INTEGRITY, {})).body)).toEqual(["FORBIDDEN"]);
  expect(await integrity()).toMatchObject({ log: "emergencyAccessLog", intact: true, firstBreak: null, headSeq: expect.any(Number) });
});

test("an entry edited around the service is named EDITED, with its id", async () => {
  const found = await afterTampering(async (entries) => {
    await raw().updateOne({ _id: entries[2]?._id }, { $set: { reason: "定期訪問" } });
  });
  expect(found.intact).toBe(false);
  expect(found.firstBreak).toMatchObject({ kind: "EDITED", seq: 3 });
});

test("a deleted entry is named DELETED; an inserted one INSERTED; two swapped entries REORDERED", async () => {
  const deleted = await afterTampering(async (entries) => raw().deleteOne({ _id: entries[1]?._id }));
  expect(deleted.firstBreak).toMatchObject({ kind: "DELETED", seq: 2 });

  const intruder = new ObjectId();
  const inserted = await afterTampering(async (entries) => raw().insertOne({ ...entries[0], _id: intruder, chain: undefined, reason: "偽装" }));
  expect(inserted.firstBreak).toMatchObject({ kind: "INSERTED", entryId: intruder.toHexString() });

  const reordered = await afterTampering(async (entries) => {
    await raw().updateOne({ _id: entries[3]?._id }, { $set: { "chain.seq": -1 } });
    await raw().updateOne({ _id: entries[4]?._id }, { $set: { "chain.seq": 4 } });
    await raw().updateOne({ _id: entries[3]?._id }, { $set: { "chain.seq": 5 } });
  });
  expect(reordered.firstBreak).toMatchObject({ kind: "REORDERED", seq: 4 });
});

test("a tail cut off with the head document set back is caught against the written-out head, by the query and by npm run audit:verify", async () => {
  const head = (await integrity()).headSeq as number;
  for (let waited = 0; readCheckpoints(headDirectory, "emergencyAccessLog").at(-1)?.seq !== head; waited += 1) {
    if (waited > 100) throw new Error("the head was never written out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(stack.logLines.some((line) => line.includes('"msg":"audit chain head"') && line.includes(`"seq":${head}`))).toBe(true);

  const saved = await raw().find({}).toArray();
  const keep = saved.filter((entry) => entry.chain.seq <= head - 2);
  const last = keep.sort((a, b) => a.chain.seq - b.chain.seq).at(-1);
  await raw().deleteMany({ "chain.seq": { $gt: head - 2 } });
  await stack.engine.connection
    .collection("auditChainHeads")
    .updateOne({ _id: "emergencyAccessLog" as never }, { $set: { seq: last?.chain.seq, hash: last?.chain.hash } });

  expect((await integrity()).firstBreak).toMatchObject({ kind: "TRUNCATED", seq: head - 1 });

  const run = promisify(execFile);
  const failed = await run("npx", ["tsx", "scripts/audit-verify.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: "test", MONGODB_URI: stack.engine.uri, MONGODB_DB: "emergency-test", DATA_DIR: dataDir },
  }).then(
    () => null,
    (error: { code: number; stdout: string }) => error,
  );
  expect(failed?.code).toBe(1);
  expect(failed?.stdout).toContain(`emergencyAccessLog: BROKEN TRUNCATED at entry ${head - 1}`);
  expect(failed?.stdout).toContain("transitionAccessLog: intact, 0 entries");
}, 60_000);
