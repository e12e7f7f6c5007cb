// The emergency subgraph through the gateway: break-glass look-ups with their audit entries, grants, consent, rate limits shared by replicas, access windows, an append-only log, signed-only access, batched entity reads, and logs without secrets or medical content.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Kind, parse } from "graphql";
import type { ObjectTypeDefinitionNode } from "graphql";
import { createLogger } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import { EMERGENCY_READ_SCOPE, startEmergencySubgraph } from "@tsunagu/emergency";
import { createApiKey } from "../src/api-keys";
import { codes, postAsGateway, testSubgraphKeys } from "./helpers";
import type { HttpAnswer } from "./helpers";
import { signedIn, startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack } from "./emergency-stack";

const NOW = new Date("2026-04-01T01:00:00Z");
const RATE_LIMIT = { max: 3, windowSeconds: 600 };
const HOSPITAL_ID = "65f000000000000000000001";
const NURSE = {
  role: "PROFESSIONAL",
  subject: "nurse-kato",
  displayName: "加藤 看護師",
  profession: "看護師",
  memberId: "65f0000000000000000000a1",
  organizationId: "65f0000000000000000000b1",
} as const;
const COLLEAGUE = {
  role: "PROFESSIONAL",
  subject: "nurse-mori",
  profession: "看護師",
  memberId: "65f0000000000000000000a2",
  organizationId: "65f0000000000000000000b1",
} as const;

let stack: EmergencyStack;

beforeAll(async () => {
  stack = await startEmergencyStack({ now: NOW, lookupRateLimit: RATE_LIMIT, seed: { count: 400 } });
});

afterAll(async () => {
  await stack.stop();
});

const resident = (subject: string, displayName = "住民") => signedIn({ role: "RESIDENT", subject, displayName });
const crew = (subject: string) => signedIn({ role: "EMS", subject, displayName: `救急隊員 ${subject}`, organizationId: "65f0000000000000000000c1" });

/** A resident's registration; `name`, `dateOfBirth` and `street` vary between tests. */
function profileInput(name: string, kana: string, dateOfBirth: string, street = "本町2-3-4") {
  return {
    person: {
      name,
      kana,
      dateOfBirth,
      sex: "FEMALE",
      phone: "０７６１（２２）１２３４",
      address: { postalCode: "923-0801", prefecture: "石川県", city: "つなぐ市", district: "中央圏域", street },
    },
    bloodType: { abo: "A", rh: "POSITIVE" },
    conditions: [{ name: "心房細動", icd10: "I48", since: "2019", source: "CLINICIAN_CONFIRMED" }],
    medications: [{ name: "アピキサバン錠5mg", dosage: "1日2回 朝夕食後", note: "抗凝固薬（出血しやすい）", source: "SELF_REPORTED" }],
    allergies: [{ substance: "ペニシリン系抗菌薬", reaction: "発疹", severity: "MODERATE", source: "SELF_REPORTED" }],
    careTeam: { primaryHospitalId: HOSPITAL_ID },
    careLevel: "CARE_2",
    livingSituation: { livesAlone: true, familyCareCapacity: "LIMITED", note: "合鍵は隣家に預けている" },
    emergencyContacts: [
      { name: "山田 直樹", relation: "長男", phone: "090-1234-5678", reachableHours: "平日18時以降" },
      { name: "山田 由美", relation: "長女", phone: "090-8765-4321" },
    ],
    advanceCare: { resuscitation: "DNAR", preferredPlaceOfCare: "HOME", notes: "自宅で最期を迎えたい", discussedWith: ["長男", "かかりつけ医"] },
    consent: { scope: ["EMERGENCY_SERVICES", "CARE_TEAM"], method: "WRITTEN" },
  };
}

const CREATE = `mutation ($input: EmergencyProfileInput!, $key: String!) {
  createEmergencyProfile(input: $input, idempotencyKey: $key) { id version card { code printed qrPayload } person { name age } }
}`;

interface Created {
  id: string;
  code: string;
  printed: string;
  headers: Record<string, string>;
}

let keySequence = 0;

async function register(subject: string, input: ReturnType<typeof profileInput>): Promise<Created> {
  const headers = await resident(subject);
  const answer = await stack.graphql(CREATE, { input, key: `create-${subject}-${++keySequence}` }, headers);
  expect(answer.body.errors).toBeUndefined();
  const created = (answer.body.data as { createEmergencyProfile: { id: string; card: { code: string; printed: string } } }).createEmergencyProfile;
  return { id: created.id, code: created.card.code, printed: created.card.printed, headers };
}

const LOOKUP = `mutation ($input: EmergencyLookupInput!) {
  emergencyLookup(input: $input) {
    outcome accessLogEntryId accessWindowEndsAt
    candidates { name age district }
    profile { id person { name age } conditions { name } medications { name note } allergies { substance severity } advanceCare { resuscitation } emergencyContacts { priority name phone } }
  }
}`;

interface LookupAnswer {
  outcome: string;
  accessLogEntryId: string;
  accessWindowEndsAt: string | null;
  candidates: { name: string; age: number; district: string | null }[];
  profile: { id: string; person: { name: string; age: number }; conditions: { name: string }[]; medications: { name: string; note: string }[] } | null;
}

function lookedUp(answer: HttpAnswer): LookupAnswer {
  expect(answer.body.errors).toBeUndefined();
  return (answer.body.data as { emergencyLookup: LookupAnswer }).emergencyLookup;
}

const READ = `query ($id: ID!) { emergencyProfile(id: $id) { id person { name } conditions { name } card { code } } }`;

const MY_LOG = `query ($first: Int) { myAccessLog(first: $first) { edges { node {
  id at action outcome reason incidentNumber lookupMethod sections accessWindowEndsAt profileIds
  actor { subject role displayName organization { id } }
} } } }`;

interface LogNode {
  id: string;
  at: string;
  action: string;
  outcome: string;
  reason: string | null;
  incidentNumber: string | null;
  lookupMethod: string | null;
  sections: string[];
  accessWindowEndsAt: string | null;
  profileIds: string[];
  actor: { subject: string | null; role: string; displayName: string | null; organization: { id: string } | null };
}

async function myLog(headers: Record<string, string>): Promise<LogNode[]> {
  const answer = await stack.graphql(MY_LOG, { first: 100 }, headers);
  expect(answer.body.errors).toBeUndefined();
  return (answer.body.data as { myAccessLog: { edges: { node: LogNode }[] } }).myAccessLog.edges.map((edge) => edge.node);
}

/** The raw entries in the database (what no API may change). */
function storedEntries() {
  return stack.engine.connection.collection("emergencyAccessLog").find({}).sort({ _id: 1 }).toArray();
}

test("an EMS look-up by card code with a reason returns the profile and writes one entry the resident then sees in myAccessLog", async () => {
  const yamada = await register("resident-yamada", profileInput("山田 花子", "やまだ はなこ", "1941-06-15"));
  expect(yamada.code).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
  expect(yamada.printed).toBe(`${yamada.code.slice(0, 5)}-${yamada.code.slice(5)}`);

  const before = await storedEntries();
  const answer = await stack.graphql(
    LOOKUP,
    { input: { cardCode: yamada.printed.toLowerCase(), reason: "自宅で意識障害、家族からの119番通報", incidentNumber: "R8-0401-0012" } },
    await crew("ems-sato"),
  );
  const result = lookedUp(answer);
  expect(result.outcome).toBe("ALLOWED");
  expect(result.profile).toEqual({
    id: yamada.id,
    person: { name: "山田 花子", age: 84 },
    conditions: [{ name: "心房細動" }],
    medications: [{ name: "アピキサバン錠5mg", note: "抗凝固薬（出血しやすい）" }],
    allergies: [{ substance: "ペニシリン系抗菌薬", severity: "MODERATE" }],
    advanceCare: { resuscitation: "DNAR" },
    emergencyContacts: [
      { priority: 1, name: "山田 直樹", phone: "090-1234-5678" },
      { priority: 2, name: "山田 由美", phone: "090-8765-4321" },
    ],
  });
  expect(result.accessWindowEndsAt).toBe("2026-04-01T01:30:00.000Z");

  const added = (await storedEntries()).slice(before.length);
  expect(added).toHaveLength(1);
  expect(added[0]).toMatchObject({ action: "LOOKUP", outcome: "ALLOWED", reason: "自宅で意識障害、家族からの119番通報", incidentNumber: "R8-0401-0012" });
  expect(added[0]?._id.toHexString()).toBe(result.accessLogEntryId);

  const lookups = (await myLog(yamada.headers)).filter((entry) => entry.action === "LOOKUP");
  expect(lookups).toEqual([
    {
      id: result.accessLogEntryId,
      at: NOW.toISOString(),
      action: "LOOKUP",
      outcome: "ALLOWED",
      reason: "自宅で意識障害、家族からの119番通報",
      incidentNumber: "R8-0401-0012",
      lookupMethod: "CARD_CODE",
      sections: ["PERSON", "CONDITIONS", "MEDICATIONS", "ALLERGIES", "EMERGENCY_CONTACTS", "ADVANCE_CARE"],
      accessWindowEndsAt: "2026-04-01T01:30:00.000Z",
      profileIds: [yamada.id],
      actor: { subject: "ems-sato", role: "EMS", displayName: "救急隊員 ems-sato", organization: { id: "65f0000000000000000000c1" } },
    },
  ]);
});

test("sections left out by @skip/@include with variables are not logged as read", async () => {
  const kimura = await register("resident-kimura", profileInput("木村 トメ", "キムラ トメ", "1936-09-09"));
  const partial = `mutation ($input: EmergencyLookupInput!, $withMedications: Boolean!, $hideAllergies: Boolean!) {
    emergencyLookup(input: $input) {
      outcome accessLogEntryId
      profile { person { name } medications @include(if: $withMedications) { name } allergies @skip(if: $hideAllergies) { substance }
        ... on EmergencyProfile @skip(if: $hideAllergies) { advanceCare { resuscitation } } }
    }
  }`;
  const answer = await stack.graphql(
    partial,
    { input: { cardCode: kimura.code, reason: "路上で転倒、意識あり", incidentNumber: "R8-0401-0099" }, withMedications: false, hideAllergies: true },
    await crew("ems-partial"),
  );
  const result = (answer.body.data as { emergencyLookup: { outcome: string; accessLogEntryId: string; profile: Record<string, unknown> } }).emergencyLookup;
  expect(answer.body.errors).toBeUndefined();
  expect(result.profile).toEqual({ person: { name: "木村 トメ" } });
  const entry = (await myLog(kimura.headers)).find((logged) => logged.id === result.accessLogEntryId);
  expect(entry?.sections).toEqual(["PERSON"]);
});

test("a look-up without a reason is BAD_USER_INPUT and records nothing", async () => {
  const tanaka = await register("resident-tanaka", profileInput("田中 キヨ", "タナカ キヨ", "1938-02-01"));
  const headers = await crew("ems-noreason");
  const before = await storedEntries();

  const omitted = await stack.graphql(`mutation ($code: String!) { emergencyLookup(input: { cardCode: $code }) { outcome } }`, { code: tanaka.code }, headers);
  expect(codes(omitted.body)).toEqual(["BAD_USER_INPUT"]);

  const blank = await stack.graphql(LOOKUP, { input: { cardCode: tanaka.code, reason: "   " } }, headers);
  expect(codes(blank.body)).toEqual(["BAD_USER_INPUT"]);
  expect(blank.body.errors?.[0]?.extensions?.field).toBe("input.reason");
  expect(blank.body.data).toBeNull();

  const mistyped = await stack.graphql(
    LOOKUP,
    { input: { cardCode: `${tanaka.code.slice(0, 9)}${tanaka.code[9] === "2" ? "3" : "2"}`, reason: "転倒" } },
    headers,
  );
  expect(codes(mistyped.body)).toEqual(["BAD_USER_INPUT"]);
  expect(mistyped.body.errors?.[0]?.extensions?.field).toBe("input.cardCode");

  expect(await storedEntries()).toHaveLength(before.length);
});

test("a look-up matching several people returns only name, age and district, never medical content; the full address with sex and age then finds one", async () => {
  const first = await register("resident-sato-1", profileInput("佐藤 一郎", "サトウ イチロウ", "1940-05-05", "栄町1-1-1"));
  await register("resident-sato-2", profileInput("佐藤 一郎", "サトウ イチロウ", "1940-05-05", "緑町4-5-6"));
  const headers = await crew("ems-ambiguous");

  const answer = await stack.graphql(LOOKUP, { input: { name: "さとう いちろう", dateOfBirth: "1940-05-05", reason: "路上で倒れていた" } }, headers);
  const result = lookedUp(answer);
  expect(result.outcome).toBe("AMBIGUOUS");
  expect(result.profile).toBeNull();
  expect(result.candidates).toEqual([
    { name: "佐藤 一郎", age: 85, district: "中央圏域" },
    { name: "佐藤 一郎", age: 85, district: "中央圏域" },
  ]);
  const text = JSON.stringify(answer.body);
  for (const medical of ["心房細動", "アピキサバン", "ペニシリン", "DNAR", "090-"]) expect(text).not.toContain(medical);
  const entry = (await storedEntries()).find((stored) => stored._id.toHexString() === result.accessLogEntryId);
  expect(entry).toMatchObject({ outcome: "AMBIGUOUS", sections: ["CANDIDATES"], lookupMethod: "NAME_AND_DATE_OF_BIRTH", accessWindowEndsAt: null });
  expect(entry?.profileIds).toHaveLength(2);

  const refined = lookedUp(
    await stack.graphql(LOOKUP, { input: { name: "佐藤一郎", address: "栄町一丁目1番1号", sex: "FEMALE", age: 85, reason: "路上で倒れていた" } }, headers),
  );
  expect(refined.outcome).toBe("ALLOWED");
  expect(refined.profile?.id).toBe(first.id);
});

test("a look-up that matches no one is recorded as NO_MATCH", async () => {
  const headers = await crew("ems-nomatch");
  const result = lookedUp(await stack.graphql(LOOKUP, { input: { name: "存在 しない", dateOfBirth: "1930-01-01", reason: "意識なし" } }, headers));
  expect(result).toMatchObject({ outcome: "NO_MATCH", profile: null, candidates: [] });
  const entry = (await storedEntries()).find((stored) => stored._id.toHexString() === result.accessLogEntryId);
  expect(entry).toMatchObject({ action: "LOOKUP", outcome: "NO_MATCH", profileIds: [], actor: { subject: "ems-nomatch", role: "EMS" } });
});

test("a professional reads only with a grant to them or their institution, the read is audited, and revoking or withdrawing consent stops it", async () => {
  const kimura = await register("resident-kimura", profileInput("木村 トメ", "キムラ トメ", "1935-09-09"));
  const nurse = await signedIn(NURSE);
  const colleague = await signedIn(COLLEAGUE);

  expect(codes((await stack.graphql(READ, { id: kimura.id }, nurse)).body)).toEqual(["FORBIDDEN"]);

  const GRANT = `mutation ($id: ID!, $input: AccessGrantInput!) { grantEmergencyProfileAccess(id: $id, input: $input) { id granteeKind member { id } active } }`;
  const granted = await stack.graphql(GRANT, { id: kimura.id, input: { granteeKind: "MEMBER", granteeId: NURSE.memberId } }, kimura.headers);
  const grant = (granted.body.data as { grantEmergencyProfileAccess: { id: string } }).grantEmergencyProfileAccess;
  expect(granted.body.data).toEqual({ grantEmergencyProfileAccess: { id: grant.id, granteeKind: "MEMBER", member: { id: NURSE.memberId }, active: true } });
  const again = await stack.graphql(GRANT, { id: kimura.id, input: { granteeKind: "MEMBER", granteeId: NURSE.memberId } }, kimura.headers);
  expect((again.body.data as { grantEmergencyProfileAccess: { id: string } }).grantEmergencyProfileAccess.id).toBe(grant.id);

  const read = await stack.graphql(READ, { id: kimura.id }, nurse);
  expect(read.body.data).toEqual({ emergencyProfile: { id: kimura.id, person: { name: "木村 トメ" }, conditions: [{ name: "心房細動" }], card: null } });
  expect(codes((await stack.graphql(READ, { id: kimura.id }, colleague)).body)).toEqual(["FORBIDDEN"]);
  const audited = (await myLog(kimura.headers)).find((entry) => entry.actor.subject === NURSE.subject);
  expect(audited).toMatchObject({ action: "READ", outcome: "ALLOWED", sections: ["PERSON", "CONDITIONS", "CARD"], actor: { role: "PROFESSIONAL" } });

  const REVOKE = `mutation ($id: ID!, $grant: ID!) { revokeEmergencyProfileAccess(id: $id, grantId: $grant) { active revokedAt } }`;
  const revoked = await stack.graphql(REVOKE, { id: kimura.id, grant: grant.id }, kimura.headers);
  expect(revoked.body.data).toEqual({ revokeEmergencyProfileAccess: { active: false, revokedAt: NOW.toISOString() } });
  expect(codes((await stack.graphql(READ, { id: kimura.id }, nurse)).body)).toEqual(["FORBIDDEN"]);

  await stack.graphql(GRANT, { id: kimura.id, input: { granteeKind: "ORGANIZATION", granteeId: NURSE.organizationId } }, kimura.headers);
  expect((await stack.graphql(READ, { id: kimura.id }, colleague)).body.errors).toBeUndefined();
  const withdrawn = await stack.graphql(`mutation ($id: ID!) { withdrawEmergencyConsent(id: $id) { active withdrawnAt } }`, { id: kimura.id }, kimura.headers);
  expect(withdrawn.body.data).toEqual({ withdrawEmergencyConsent: { active: false, withdrawnAt: NOW.toISOString() } });
  expect(codes((await stack.graphql(READ, { id: kimura.id }, colleague)).body)).toEqual(["FORBIDDEN"]);
  const byCard = lookedUp(await stack.graphql(LOOKUP, { input: { cardCode: kimura.code, reason: "呼吸苦" } }, await crew("ems-consent")));
  expect(byCard.outcome).toBe("NO_MATCH");
  expect((await stack.graphql(READ, { id: kimura.id }, kimura.headers)).body.errors).toBeUndefined();
});

test("the public, coordinators and vendors without the emergency scope under consent get FORBIDDEN", async () => {
  const mori = await register("resident-mori", profileInput("森 節子", "モリ セツコ", "1944-03-03"));
  const lookup = { input: { cardCode: mori.code, reason: "テスト" } };

  expect(codes((await stack.graphql(READ, { id: mori.id })).body)).toEqual(["FORBIDDEN"]);
  expect(codes((await stack.graphql(LOOKUP, lookup)).body)).toEqual(["FORBIDDEN"]);
  expect(codes((await stack.graphql(`{ myEmergencyProfiles { id } }`)).body)).toEqual(["FORBIDDEN"]);
  const coordinator = await signedIn({ role: "COORDINATOR", subject: "city-staff" });
  expect(codes((await stack.graphql(READ, { id: mori.id }, coordinator)).body)).toEqual(["FORBIDDEN"]);

  const unscoped = await createApiKey(stack.apiKeys, { owner: "Vendor K.K.", scopes: ["resources:read"] });
  expect(codes((await stack.graphql(READ, { id: mori.id }, { "x-api-key": unscoped.key })).body)).toEqual(["FORBIDDEN"]);
  expect(codes((await stack.graphql(LOOKUP, lookup, { "x-api-key": unscoped.key })).body)).toEqual(["FORBIDDEN"]);

  const scoped = await createApiKey(stack.apiKeys, { owner: "Regional EHR K.K.", scopes: [EMERGENCY_READ_SCOPE] });
  expect(codes((await stack.graphql(READ, { id: mori.id }, { "x-api-key": scoped.key })).body)).toEqual(["FORBIDDEN"]);
  const CONSENT = `mutation ($id: ID!, $input: EmergencyConsentInput!) { giveEmergencyConsent(id: $id, input: $input) { scope method active } }`;
  const consented = await stack.graphql(
    CONSENT,
    { id: mori.id, input: { scope: ["EMERGENCY_SERVICES", "CONNECTED_SYSTEMS"], method: "ELECTRONIC" } },
    mori.headers,
  );
  expect(consented.body.data).toEqual({ giveEmergencyConsent: { scope: ["EMERGENCY_SERVICES", "CONNECTED_SYSTEMS"], method: "ELECTRONIC", active: true } });
  const read = await stack.graphql(READ, { id: mori.id }, { "x-api-key": scoped.key });
  expect(read.body.data).toEqual({ emergencyProfile: { id: mori.id, person: { name: "森 節子" }, conditions: [{ name: "心房細動" }], card: null } });
});

test("look-ups are rate limited per user through the database, so two replicas of the subgraph share one count", async () => {
  const ishida = await register("resident-ishida", profileInput("石田 和子", "イシダ カズコ", "1946-07-07"));
  const headers = await crew("ems-busy");
  for (let i = 0; i < RATE_LIMIT.max; i++) {
    expect(lookedUp(await stack.graphql(LOOKUP, { input: { cardCode: ishida.code, reason: `出動 ${i}` } }, headers)).outcome).toBe("ALLOWED");
  }
  const limited = await stack.graphql(LOOKUP, { input: { cardCode: ishida.code, reason: "出動 4" } }, headers);
  expect(codes(limited.body)).toEqual(["RATE_LIMITED"]);
  expect(limited.body.errors?.[0]?.extensions?.retryAfterSeconds).toBe(600);
  expect(await stack.engine.connection.collection("emergencyAccessLog").countDocuments({ "actor.subject": "ems-busy", outcome: "RATE_LIMITED" })).toBe(1);
  expect(lookedUp(await stack.graphql(LOOKUP, { input: { cardCode: ishida.code, reason: "別の隊員" } }, await crew("ems-other"))).outcome).toBe("ALLOWED");

  const replica = await startEmergencySubgraph({
    connection: stack.engine.connection,
    keys: testSubgraphKeys("emergency"),
    logger: createLogger({ name: "replica", level: "silent" }),
    lookupRateLimit: RATE_LIMIT,
    clock: stack.clock.now,
  });
  try {
    const identity: Identity = { role: "EMS", authMethod: "jwt", subject: "ems-replicas", scopes: [] };
    const body = { query: LOOKUP, variables: { input: { cardCode: ishida.code, reason: "レプリカ" } } };
    const outcomes = [];
    for (const url of [stack.emergency.url, replica.url, stack.emergency.url, replica.url]) {
      const answer = await postAsGateway(url, "emergency", body, identity);
      outcomes.push(answer.body.errors?.[0]?.extensions?.code ?? "OK");
    }
    expect(outcomes).toEqual(["OK", "OK", "OK", "RATE_LIMITED"]);
  } finally {
    await replica.stop();
  }

  stack.clock.advanceMinutes(10);
  expect(lookedUp(await stack.graphql(LOOKUP, { input: { cardCode: ishida.code, reason: "次の出動" } }, headers)).outcome).toBe("ALLOWED");
});

test("a look-up opens an access window in which the same crew member re-reads without a new reason, still recorded; it closes after 30 minutes", async () => {
  const hayashi = await register("resident-hayashi", profileInput("林 文子", "ハヤシ フミコ", "1939-12-24"));
  const headers = await crew("ems-window");
  expect(codes((await stack.graphql(READ, { id: hayashi.id }, headers)).body)).toEqual(["FORBIDDEN"]);
  const opened = lookedUp(await stack.graphql(LOOKUP, { input: { cardCode: hayashi.code, reason: "胸痛", incidentNumber: "R8-0401-0099" } }, headers));

  stack.clock.advanceMinutes(20);
  const reread = await stack.graphql(READ, { id: hayashi.id }, headers);
  expect(reread.body.data).toEqual({ emergencyProfile: { id: hayashi.id, person: { name: "林 文子" }, conditions: [{ name: "心房細動" }], card: null } });
  expect(codes((await stack.graphql(READ, { id: hayashi.id }, await crew("ems-stranger"))).body)).toEqual(["FORBIDDEN"]);
  const reads = (await myLog(hayashi.headers)).filter((entry) => entry.actor.subject === "ems-window" && entry.action === "READ");
  expect(reads).toHaveLength(1);
  expect(reads[0]).toMatchObject({ outcome: "ALLOWED", reason: "胸痛", incidentNumber: "R8-0401-0099", accessWindowEndsAt: opened.accessWindowEndsAt });

  stack.clock.advanceMinutes(11);
  expect(codes((await stack.graphql(READ, { id: hayashi.id }, headers)).body)).toEqual(["FORBIDDEN"]);
});

test("_entities for an EmergencyProfile sent straight to the subgraph is refused without the gateway's signature, and FORBIDDEN for the public with it", async () => {
  const [seeded] = await stack.engine.connection.collection("emergencyProfiles").find({ "creation.by": "seed:demo" }).limit(1).toArray();
  const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on EmergencyProfile { conditions { name } medications { name } } } }`;
  const variables = { r: [{ __typename: "EmergencyProfile", id: seeded?._id.toHexString() }] };

  const unsigned = await stack.direct(query, variables);
  expect(unsigned.status).toBe(401);
  expect(codes(unsigned.body)).toEqual(["UNAUTHENTICATED"]);
  expect(unsigned.body.data).toBeUndefined();
  const forged = await postAsGateway(
    stack.emergency.url,
    "emergency",
    { query, variables },
    { role: "ER", authMethod: "jwt", subject: "x", scopes: [] },
    "forged-secret-0123456789abcdefghijkl",
  );
  expect(forged.status).toBe(401);

  const asPublic = await stack.direct(query, variables, { role: "PUBLIC", authMethod: "none", scopes: [] });
  expect(asPublic.body.data).toEqual({ _entities: [null] });
  expect(codes(asPublic.body)).toEqual(["FORBIDDEN"]);
});

test("100 representations in one _entities request cost one profile query and one log insert", async () => {
  const profiles = await stack.engine.connection
    .collection("emergencyProfiles")
    .find({ "consent.scope": "CONNECTED_SYSTEMS", "creation.by": "seed:demo" })
    .limit(100)
    .toArray();
  expect(profiles).toHaveLength(100);
  const vendor: Identity = { role: "VENDOR", authMethod: "apiKey", subject: "key-regional-ehr", scopes: [EMERGENCY_READ_SCOPE] };
  const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on EmergencyProfile { id person { name } allergies { substance } } } }`;
  const before = (await storedEntries()).length;
  stack.commands.length = 0;

  const answer = await stack.direct(query, { r: profiles.map((p) => ({ __typename: "EmergencyProfile", id: p._id.toHexString() })) }, vendor);
  expect(answer.body.errors).toBeUndefined();
  const entities = (answer.body.data as { _entities: { id: string; person: { name: string } }[] })._entities;
  expect(entities.map((e) => e.id)).toEqual(profiles.map((p) => p._id.toHexString()));
  expect(entities[0]?.person.name).toBe(profiles[0]?.person.name);

  const sent = stack.commands.map((c) => `${c.commandName}:${String(c.command[c.commandName])}`);
  // One insert of the 100 entries, chained in one transaction: the chain head read and moved once.
  expect(sent).toEqual(["find:emergencyProfiles", "find:auditChainHeads", "insert:emergencyAccessLog", "update:auditChainHeads", "commitTransaction:1"]);
  const added = (await storedEntries()).slice(before);
  expect(added).toHaveLength(100);
  expect(added[0]).toMatchObject({
    action: "READ",
    outcome: "ALLOWED",
    sections: ["PERSON", "ALLERGIES"],
    actor: { role: "VENDOR", subject: "key-regional-ehr" },
  });
});

test("coordinators review the log with flags for many look-ups by one user and look-ups without an incident number, and see stale profiles without medical content", async () => {
  const coordinator = await signedIn({ role: "COORDINATOR", subject: "city-staff" });
  const REVIEW = `query ($from: DateTime!, $to: DateTime!) { accessLogReview(from: $from, to: $to) {
    entryCount lookupCount flags { kind count actor { subject role } entryIds } entries(first: 2) { edges { node { action } } pageInfo { hasNextPage } }
  } }`;
  const review = await stack.graphql(REVIEW, { from: "2026-04-01T00:00:00+09:00", to: "2026-04-02T00:00:00+09:00" }, coordinator);
  expect(review.body.errors).toBeUndefined();
  const data = (
    review.body.data as {
      accessLogReview: {
        entryCount: number;
        lookupCount: number;
        flags: { kind: string; count: number; actor: { subject: string } }[];
        entries: { pageInfo: { hasNextPage: boolean } };
      };
    }
  ).accessLogReview;
  const lookups = await stack.engine.connection.collection("emergencyAccessLog").countDocuments({ action: "LOOKUP" });
  expect(data.lookupCount).toBe(lookups);
  expect(data.entryCount).toBe(await stack.engine.connection.collection("emergencyAccessLog").countDocuments({}));
  expect(data.entries.pageInfo.hasNextPage).toBe(true);
  const withoutIncident = data.flags.filter((flag) => flag.kind === "WITHOUT_INCIDENT_NUMBER").map((flag) => flag.actor.subject);
  expect(withoutIncident).toEqual(expect.arrayContaining(["ems-ambiguous", "ems-busy", "ems-replicas", "ems-nomatch"]));
  expect(withoutIncident).not.toContain("ems-sato");

  const many = await signedIn({ role: "ER", subject: "er-curious" });
  for (let i = 0; i < 3; i++) await stack.graphql(LOOKUP, { input: { name: "誰か", dateOfBirth: "1930-01-01", reason: "確認" } }, many);
  const flagged = await stack.graphql(REVIEW, { from: "2026-04-01T00:00:00+09:00", to: "2026-04-02T00:00:00+09:00" }, coordinator);
  const kinds = (flagged.body.data as { accessLogReview: { flags: { kind: string; count: number; actor: { subject: string } }[] } }).accessLogReview.flags
    .filter((flag) => flag.actor.subject === "er-curious")
    .map((flag) => [flag.kind, flag.count]);
  expect(kinds).toEqual([
    ["REPEATED_NO_MATCH", 3],
    ["WITHOUT_INCIDENT_NUMBER", 3],
  ]);
  expect(codes((await stack.graphql(REVIEW, { from: "2026-01-01T00:00:00Z", to: "2026-06-01T00:00:00Z" }, coordinator)).body)).toEqual(["BAD_USER_INPUT"]);
  expect(codes((await stack.graphql(REVIEW, { from: "2026-04-01T00:00:00Z", to: "2026-04-02T00:00:00Z" }, await crew("ems-sato"))).body)).toEqual([
    "FORBIDDEN",
  ]);

  const STALE = `{ profilesNeedingReview(first: 100) { edges { node { profileId name district lastReviewedAt } } pageInfo { hasNextPage } } }`;
  const stale = await stack.graphql(STALE, {}, coordinator);
  expect(stale.body.errors).toBeUndefined();
  const reminders = (stale.body.data as { profilesNeedingReview: { edges: { node: { lastReviewedAt: string } }[] } }).profilesNeedingReview.edges.map(
    (e) => e.node,
  );
  const sixMonthsAgo = stack.clock.now();
  sixMonthsAgo.setUTCMonth(sixMonthsAgo.getUTCMonth() - 6);
  const expected = await stack.engine.connection.collection("emergencyProfiles").countDocuments({ lastReviewedAt: { $lt: sixMonthsAgo } });
  expect(expected).toBeGreaterThan(100);
  expect(reminders).toHaveLength(100);
  expect(reminders.every((r) => r.lastReviewedAt < sixMonthsAgo.toISOString())).toBe(true);
  expect(JSON.stringify(stale.body)).not.toMatch(/conditions|medications/);
});

/** Runs each mutation of the schema once and returns their names. */
async function everyMutation(): Promise<Set<string>> {
  const ran = new Set<string>();
  const run = async (name: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
    const answer = await stack.graphql(query, variables, headers);
    expect({ name, errors: answer.body.errors }).toEqual({ name, errors: undefined });
    ran.add(name);
    return answer.body.data as Record<string, Record<string, unknown>>;
  };
  const owner = await resident("resident-nomura");
  const created = await run(
    "createEmergencyProfile",
    CREATE,
    { input: profileInput("野村 久子", "ノムラ ヒサコ", "1943-04-04"), key: "create-nomura-1" },
    owner,
  );
  const id = created.createEmergencyProfile?.id as string;
  const code = (created.createEmergencyProfile?.card as { code: string }).code;
  await run("emergencyLookup", LOOKUP, { input: { cardCode: code, reason: "脱水疑い" } }, await crew("ems-mutations"));
  await run(
    "updateEmergencyProfile",
    `mutation ($id: ID!) { updateEmergencyProfile(id: $id, input: { careLevel: CARE_3 }, expectedVersion: 1) { version careLevel } }`,
    { id },
    owner,
  );
  await run("markEmergencyProfileReviewed", `mutation ($id: ID!) { markEmergencyProfileReviewed(id: $id) { lastReviewedAt } }`, { id }, owner);
  const granted = await run(
    "grantEmergencyProfileAccess",
    `mutation ($id: ID!) { grantEmergencyProfileAccess(id: $id, input: { granteeKind: MEMBER, granteeId: "${NURSE.memberId}" }) { id } }`,
    { id },
    owner,
  );
  await run(
    "revokeEmergencyProfileAccess",
    `mutation ($id: ID!, $g: ID!) { revokeEmergencyProfileAccess(id: $id, grantId: $g) { active } }`,
    { id, g: granted.grantEmergencyProfileAccess?.id },
    owner,
  );
  await run(
    "addEmergencyProfileDelegate",
    `mutation ($id: ID!) { addEmergencyProfileDelegate(id: $id, input: { subject: "family-nomura", name: "野村 健太", relation: "長男" }) { subject } }`,
    { id },
    owner,
  );
  await run(
    "removeEmergencyProfileDelegate",
    `mutation ($id: ID!) { removeEmergencyProfileDelegate(id: $id, subject: "family-nomura") { subject } }`,
    { id },
    owner,
  );
  await run("withdrawEmergencyConsent", `mutation ($id: ID!) { withdrawEmergencyConsent(id: $id) { active } }`, { id }, owner);
  await run(
    "giveEmergencyConsent",
    `mutation ($id: ID!) { giveEmergencyConsent(id: $id, input: { scope: [EMERGENCY_SERVICES], method: WRITTEN }) { active } }`,
    { id },
    owner,
  );
  await run("reissueEmergencyCard", `mutation ($id: ID!) { reissueEmergencyCard(id: $id) { code } }`, { id }, owner);
  return ran;
}

test("no mutation in the schema changes or deletes an access log entry", async () => {
  const before = await storedEntries();
  expect(before.length).toBeGreaterThan(100);

  const ran = await everyMutation();
  const sdl = parse(readFileSync(join(__dirname, "..", "..", "schema", "emergency.graphql"), "utf8"));
  const mutation = sdl.definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === "Mutation");
  expect([...ran].sort()).toEqual((mutation?.fields ?? []).map((field) => field.name.value).sort());

  const after = await storedEntries();
  expect(after.slice(0, before.length)).toEqual(before);
  expect(after.length).toBeGreaterThanOrEqual(before.length + ran.size);
});

test("a family delegate reads and edits the profile; the card code is theirs and the resident's alone", async () => {
  const ueda = await register("resident-ueda", profileInput("上田 美代子", "ウエダ ミヨコ", "1937-08-08"));
  const family = await resident("family-ueda", "上田 進");
  expect(codes((await stack.graphql(READ, { id: ueda.id }, family)).body)).toEqual(["FORBIDDEN"]);
  await stack.graphql(
    `mutation ($id: ID!) { addEmergencyProfileDelegate(id: $id, input: { subject: "family-ueda", name: "上田 進", relation: "長男" }) { subject } }`,
    { id: ueda.id },
    ueda.headers,
  );
  const mine = await stack.graphql(`{ myEmergencyProfiles { id card { code } delegates { subject relation } } }`, {}, family);
  expect(mine.body.data).toEqual({
    myEmergencyProfiles: [{ id: ueda.id, card: { code: ueda.code }, delegates: [{ subject: "family-ueda", relation: "長男" }] }],
  });
  const updated = await stack.graphql(
    `mutation ($id: ID!, $input: EmergencyProfileUpdateInput!) { updateEmergencyProfile(id: $id, input: $input) { version medications { name } } }`,
    { id: ueda.id, input: { medications: [{ name: "ワルファリン錠1mg", note: "抗凝固薬", source: "SELF_REPORTED" }] } },
    family,
  );
  expect(updated.body.data).toEqual({ updateEmergencyProfile: { version: 3, medications: [{ name: "ワルファリン錠1mg" }] } });
  const stale = await stack.graphql(
    `mutation ($id: ID!) { updateEmergencyProfile(id: $id, input: { careLevel: CARE_1 }, expectedVersion: 1) { version } }`,
    { id: ueda.id },
    family,
  );
  expect(codes(stale.body)).toEqual(["CONFLICT"]);
  const denied = await stack.graphql(
    `mutation ($id: ID!) { removeEmergencyProfileDelegate(id: $id, subject: "family-ueda") { subject } }`,
    { id: ueda.id },
    family,
  );
  expect(codes(denied.body)).toEqual(["FORBIDDEN"]);
  const retried = await stack.graphql(
    CREATE,
    { input: profileInput("上田 美代子", "ウエダ ミヨコ", "1937-08-08"), key: `create-resident-ueda-${keySequence}` },
    ueda.headers,
  );
  expect((retried.body.data as { createEmergencyProfile: { id: string } }).createEmergencyProfile.id).toBe(ueda.id);
});

test("no log line holds a card code, a reason, a condition or a medication", async () => {
  const codesInFile = await stack.engine.connection
    .collection("emergencyProfiles")
    .find({ "creation.by": { $ne: "seed:demo" } })
    .toArray();
  const logs = stack.logLines.join("\n");
  expect(stack.logLines.length).toBeGreaterThan(50);
  expect(logs).toContain("RATE_LIMITED");
  for (const profile of codesInFile) expect(logs).not.toContain(profile.cardCode);
  for (const secret of ["心房細動", "アピキサバン", "ペニシリン", "自宅で意識障害", "胸痛", "090-1234-5678", "やまだ", "山田 花子"]) {
    expect(logs).not.toContain(secret);
  }
});
