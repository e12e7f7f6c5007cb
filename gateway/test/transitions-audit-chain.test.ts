// The transitions access log's hash chain through the gateway: reads of notices are chained entries, and the coordinators' integrity query names an entry edited or deleted with the raw driver; other roles may not run it.
import { Types } from "mongoose";
import { bearer, codes } from "./helpers";
import { startTransitionsStack } from "./transitions-stack";
import type { TransitionsStack } from "./transitions-stack";

let stack: TransitionsStack;
const sender = { memberId: new Types.ObjectId().toHexString(), organizationId: new Types.ObjectId().toHexString() };
const as = (who: { memberId: string; organizationId: string }) => bearer({ role: "PROFESSIONAL", subject: `member-${who.memberId}`, ...who });
const INTEGRITY = `{ transitionAccessLogIntegrity { log entries headSeq intact firstBreak { kind seq entryId } } }`;

beforeAll(async () => {
  stack = await startTransitionsStack();
  const headers = await as(sender);
  for (let index = 0; index < 3; index += 1) {
    const created = await stack.graphql(
      `mutation ($input: CreateTransitionNoticeInput!, $key: String!) { createTransitionNotice(input: $input, idempotencyKey: $key) { id } }`,
      {
        input: {
          type: "ADMISSION_INFO",
          patient: { name: `患者 ${index}`, dateOfBirth: "1940-01-01" },
          recipientId: new Types.ObjectId().toHexString(),
          admission: { adl: "自立" },
        },
        key: `chain-key-${index}`,
      },
      headers,
    );
    expect(created.body.errors).toBeUndefined();
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function integrity() {
  const answer = await stack.graphql(INTEGRITY, {}, await bearer({ role: "COORDINATOR", subject: "city" }));
  expect(answer.body.errors).toBeUndefined();
  return (
    answer.body.data as {
      transitionAccessLogIntegrity: { entries: number; headSeq: number; intact: boolean; firstBreak: { kind: string; seq: number } | null };
    }
  ).transitionAccessLogIntegrity;
}

test("entries are chained; an edit and a deletion around the service are named; only coordinators and administrators may check", async () => {
  expect(codes((await stack.graphql(INTEGRITY, {}, await as(sender))).body)).toEqual(["FORBIDDEN"]);
  expect(await integrity()).toMatchObject({ entries: 3, headSeq: 3, intact: true, firstBreak: null });

  const log = stack.engine.connection.collection("transitionAccessLog");
  const saved = await log.find({}).toArray();
  await log.updateOne({ "chain.seq": 2 }, { $set: { outcome: "DENIED" } });
  expect((await integrity()).firstBreak).toMatchObject({ kind: "EDITED", seq: 2 });

  await log.deleteMany({});
  await log.insertMany(saved.filter((entry) => entry.chain.seq !== 1));
  expect((await integrity()).firstBreak).toMatchObject({ kind: "DELETED", seq: 1 });
});
