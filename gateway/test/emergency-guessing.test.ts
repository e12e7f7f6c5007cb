// Attacks on the crew's look-up through the gateway: guessing with a name and a fragment of an address, substring names, invisible reasons, and retried requests; each refusal reads no profile and writes no access log entry.
import type { CommandStartedEvent } from "mongodb";
import { codes } from "./helpers";
import { signedIn, startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack } from "./emergency-stack";

const NOW = new Date("2026-04-01T01:00:00Z");
let stack: EmergencyStack;
let crewHeaders: Record<string, string>;
let target: { id: string };

const LOOKUP = `mutation ($input: EmergencyLookupInput!) {
  emergencyLookup(input: $input) { outcome accessLogEntryId accessWindowEndsAt candidates { name age district } profile { id person { name } conditions { name } } }
}`;

interface LookupAnswer {
  outcome: string;
  accessLogEntryId: string;
  accessWindowEndsAt: string | null;
  candidates: { name: string; age: number; district: string | null }[];
  profile: { id: string; person: { name: string }; conditions: { name: string }[] } | null;
}

const person = {
  name: "坂本 昭",
  kana: "サカモト アキラ",
  dateOfBirth: "1939-02-16",
  sex: "MALE",
  phone: null,
  address: { postalCode: "923-0801", prefecture: "石川県", city: "つなぐ市", district: "中央圏域", street: "本町2-3-4", building: null },
};

beforeAll(async () => {
  stack = await startEmergencyStack({ now: NOW, lookupRateLimit: { max: 1000, windowSeconds: 600 }, seed: { count: 200 } });
  crewHeaders = await signedIn({ role: "EMS", subject: "ems-guess", displayName: "救急隊員" });
  const resident = await signedIn({ role: "RESIDENT", subject: "resident-sakamoto" });
  const created = await stack.graphql(
    `mutation ($input: EmergencyProfileInput!) { createEmergencyProfile(input: $input, idempotencyKey: "sakamoto-1") { id } }`,
    {
      input: {
        person,
        conditions: [{ name: "慢性心不全", source: "SELF_REPORTED" }],
        careTeam: {},
        consent: { scope: ["EMERGENCY_SERVICES"], method: "WRITTEN" },
      },
    },
    resident,
  );
  expect(created.body.errors).toBeUndefined();
  target = (created.body.data as { createEmergencyProfile: { id: string } }).createEmergencyProfile;
});

afterAll(async () => {
  await stack.stop();
});

const logEntries = () => stack.engine.connection.collection("emergencyAccessLog").find({}).toArray();
const profileReads = (commands: CommandStartedEvent[]) =>
  commands.filter((event) => (event.commandName === "find" || event.commandName === "aggregate") && event.command[event.commandName] === "emergencyProfiles");

/** Sends a look-up and returns the answer with what it read from the profiles and how many log entries it added. */
async function attempt(input: Record<string, unknown>) {
  const before = (await logEntries()).length;
  stack.commands.length = 0;
  const answer = await stack.graphql(LOOKUP, { input }, crewHeaders);
  const reads = profileReads(stack.commands).length;
  const added = (await logEntries()).length - before;
  return { answer, reads, added, result: (answer.body.data as { emergencyLookup: LookupAnswer } | null)?.emergencyLookup ?? null };
}

test("a name with a fragment of an address, or with a town without the house number, is refused before anything is read", async () => {
  for (const input of [
    { name: "坂本 昭", address: "石", reason: "意識低下" },
    { name: "坂本 昭", address: "本町", sex: "MALE", age: 87, reason: "意識低下" },
    { name: "坂本 昭", address: "本町2-3-4", reason: "意識低下" },
    { name: "坂本 昭", address: "本町2-3-4", sex: "MALE", reason: "意識低下" },
    { name: "坂本 昭", reason: "意識低下" },
  ]) {
    const { answer, reads, added } = await attempt(input);
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.data).toBeNull();
    expect(JSON.stringify(answer.body)).not.toContain("慢性心不全");
    expect(reads).toBe(0);
    expect(added).toBe(0);
  }
});

test("twenty blind guesses of common names with one character of address disclose nothing", async () => {
  const surnames = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "坂本",
  ];
  for (const surname of surnames) {
    const { answer, reads, added } = await attempt({ name: `${surname} 昭`, address: "石", reason: "通報あり" });
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(reads + added).toBe(0);
  }
});

test("a name is matched whole, never as a substring; an address down to the 番地 only from its start", async () => {
  const partName = await attempt({ name: "坂本", dateOfBirth: "1939-02-16", reason: "意識低下" });
  expect(partName.result).toMatchObject({ outcome: "NO_MATCH", profile: null, candidates: [] });
  expect(partName.added).toBe(1);

  const chomeOnly = await attempt({ name: "坂本 昭", address: "本町2", sex: "MALE", age: 87, reason: "意識低下" });
  expect(chomeOnly.result).toMatchObject({ outcome: "NO_MATCH", profile: null, candidates: [] });
  const middle = await attempt({ name: "坂本 昭", address: "町2-3-4", sex: "MALE", age: 87, reason: "意識低下" });
  expect(middle.result).toMatchObject({ outcome: "NO_MATCH", profile: null, candidates: [] });
  const wrongAge = await attempt({ name: "坂本 昭", address: "本町2-3-4", sex: "MALE", age: 80, reason: "意識低下" });
  expect(wrongAge.result).toMatchObject({ outcome: "NO_MATCH", profile: null, candidates: [] });
  for (const miss of [chomeOnly, middle, wrongAge]) expect(JSON.stringify(miss.answer.body)).not.toContain("慢性心不全");

  // A half-width kana name, full-width digits, kanji numbers, the prefecture and city, the 号 left out: the same full address.
  for (const address of ["本町２－３－４", "石川県つなぐ市本町二丁目3番4号", "本町2-3"]) {
    const found = await attempt({ name: "ｻｶﾓﾄ ｱｷﾗ", address, sex: "MALE", age: 87, reason: "意識低下" });
    expect(found.result).toMatchObject({ outcome: "ALLOWED", profile: { id: target.id, conditions: [{ name: "慢性心不全" }] } });
    expect(found.added).toBe(1);
  }
});

test("a reason of invisible characters is refused", async () => {
  for (const reason of ["\u200b\u200b", " \u3000 ", "\u200b急\u200d", "\u202e\u2066", "x\u00ad"]) {
    const { answer, reads, added } = await attempt({ name: "坂本 昭", dateOfBirth: "1939-02-16", reason });
    expect(codes(answer.body)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.body.errors?.[0]?.extensions?.field).toBe("input.reason");
    expect(reads + added).toBe(0);
  }
});

test("a retried look-up with the same request key answers the same without a second disclosure; another look-up under that key is a CONFLICT", async () => {
  const input = { name: "坂本 昭", dateOfBirth: "1939-02-16", reason: "胸痛の訴え", requestKey: "crew-7:2026-04-01:0001" };
  const first = await attempt(input);
  expect(first.result).toMatchObject({ outcome: "ALLOWED", profile: { id: target.id } });
  expect(first.added).toBe(1);

  const again = await attempt(input);
  expect(again.result).toEqual(first.result);
  expect(again.added).toBe(0);

  // Three copies of one request in flight at once (a crew's device retrying on a slow network): one entry.
  const raced = { ...input, requestKey: "crew-7:2026-04-01:0002" };
  const before = (await logEntries()).length;
  const answers = await Promise.all([0, 1, 2].map(() => stack.graphql(LOOKUP, { input: raced }, crewHeaders)));
  const ids = answers.map((answer) => (answer.body.data as { emergencyLookup: LookupAnswer }).emergencyLookup.accessLogEntryId);
  expect(new Set(ids).size).toBe(1);
  expect((await logEntries()).length - before).toBe(1);

  const reused = await attempt({ ...input, dateOfBirth: "1940-01-01" });
  expect(codes(reused.answer.body)).toEqual(["CONFLICT"]);
  expect(reused.added).toBe(0);

  // The same key asking for more of the profile than the first answer disclosed and logged is refused too.
  const wider = await stack.graphql(
    `mutation ($input: EmergencyLookupInput!) { emergencyLookup(input: $input) { outcome profile { id advanceCare { resuscitation } emergencyContacts { phone } } } }`,
    { input },
    crewHeaders,
  );
  expect(codes(wider.body)).toEqual(["CONFLICT"]);
  expect(JSON.stringify(wider.body)).not.toContain('phone":"');

  // Once the access window has closed, the key starts a new look-up with its own entry.
  stack.clock.advanceMinutes(31);
  const later = await attempt(input);
  expect(later.result?.outcome).toBe("ALLOWED");
  expect(later.result?.accessLogEntryId).not.toBe(first.result?.accessLogEntryId);
  expect(later.added).toBe(1);
});
