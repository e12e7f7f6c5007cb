// Where each emergency item came from, through the gateway: every item kind carries a source the server records, only a professional the resident granted access confirms items (who and when, audited), the crew sees it, and a resident's edit of a confirmed item leaves it unconfirmed.
import { CREW_LOOKUP_QUERY } from "@tsunagu/emergency";
import { codes } from "./helpers";
import { signedIn, startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack } from "./emergency-stack";

const NOW = new Date("2026-04-01T01:00:00Z");
const DOCTOR = {
  role: "PROFESSIONAL",
  subject: "doctor-ueno",
  displayName: "上野 医師",
  profession: "PHYSICIAN",
  memberId: "65f0000000000000000000e1",
  organizationId: "65f0000000000000000000e2",
} as const;
/** A professional of another clinic, whom the resident never granted access. */
const STRANGER = {
  role: "PROFESSIONAL",
  subject: "doctor-kuroda",
  displayName: "黒田 医師",
  profession: "PHYSICIAN",
  memberId: "65f0000000000000000000f1",
} as const;

let stack: EmergencyStack;

beforeAll(async () => {
  stack = await startEmergencyStack({ now: NOW });
});

afterAll(async () => {
  await stack.stop();
});

/** A registration with every item kind a profile holds. */
const INPUT = {
  person: {
    name: "西川 トメ",
    kana: "ニシカワ トメ",
    dateOfBirth: "1937-05-05",
    sex: "FEMALE",
    address: { prefecture: "石川県", city: "つなぐ市", district: "西圏域", street: "浜田町2-4-6" },
  },
  bloodType: { abo: "B", rh: "POSITIVE" },
  conditions: [
    { name: "心房細動", icd10: "I48", since: "2019" },
    { name: "2型糖尿病", icd10: "E11" },
  ],
  medications: [{ name: "アピキサバン錠5mg", dosage: "1日2回 朝夕食後", note: "抗凝固薬" }],
  allergies: [{ substance: "造影剤（ヨード）", reaction: "じんましん", severity: "MODERATE" }],
  implantedDevices: [{ kind: "PACEMAKER", description: "MRI条件付き対応" }],
  careTeam: { primaryPhysicianId: DOCTOR.memberId },
  careLevel: "CARE_2",
  livingSituation: { livesAlone: true, familyCareCapacity: "LIMITED" },
  emergencyContacts: [{ name: "西川 健太", relation: "長男", phone: "090-5555-6666" }],
  advanceCare: { resuscitation: "DNAR", preferredPlaceOfCare: "HOME", discussedWith: ["長男", "かかりつけ医"] },
  consent: { scope: ["EMERGENCY_SERVICES", "CARE_TEAM"], method: "WRITTEN" },
};

const SOURCE = `kind recordedAt recordedBy { role name relation } verification confirmedAt confirmedBy { role name profession member { id } organization { id } }`;
const SOURCES = `id version
  bloodType { source { ${SOURCE} } }
  conditions { name note source { ${SOURCE} } }
  medications { source { ${SOURCE} } }
  allergies { source { ${SOURCE} } }
  implantedDevices { source { ${SOURCE} } }
  careTeamSource { ${SOURCE} }
  careLevel careLevelSource { ${SOURCE} }
  livingSituation { source { ${SOURCE} } }
  emergencyContacts { source { ${SOURCE} } }
  advanceCare { source { ${SOURCE} } }`;

interface Actor {
  role: string;
  name: string | null;
  relation: string | null;
  profession?: string | null;
  member?: { id: string } | null;
  organization?: { id: string } | null;
}
interface Source {
  kind: string;
  recordedAt: string | null;
  recordedBy: Actor | null;
  verification: string;
  confirmedAt: string | null;
  confirmedBy: Actor | null;
}
type Sourced = { source: Source };
interface Profile {
  id: string;
  version: number;
  bloodType: Sourced;
  conditions: (Sourced & { name: string; note: string | null })[];
  medications: Sourced[];
  allergies: Sourced[];
  implantedDevices: Sourced[];
  careTeamSource: Source;
  careLevel: string;
  careLevelSource: Source;
  livingSituation: Sourced;
  emergencyContacts: Sourced[];
  advanceCare: Sourced;
}

/** Every item's source, one per item kind (the first of each list). */
function everySource(profile: Profile): Record<string, Source | undefined> {
  return {
    bloodType: profile.bloodType.source,
    condition: profile.conditions[0]?.source,
    medication: profile.medications[0]?.source,
    allergy: profile.allergies[0]?.source,
    implantedDevice: profile.implantedDevices[0]?.source,
    careTeam: profile.careTeamSource,
    careLevel: profile.careLevelSource,
    livingSituation: profile.livingSituation.source,
    emergencyContact: profile.emergencyContacts[0]?.source,
    advanceCare: profile.advanceCare.source,
  };
}

const resident = () => signedIn({ role: "RESIDENT", subject: "resident-nishikawa", displayName: "西川 トメ" });
const READ = `query ($id: ID!) { emergencyProfile(id: $id) { ${SOURCES} } }`;
const CONFIRM = `mutation ($id: ID!, $items: [EmergencyItemInput!]!, $version: Int!) {
  confirmEmergencyItems(id: $id, items: $items, expectedVersion: $version) { ${SOURCES} }
}`;
const UPDATE = `mutation ($id: ID!, $input: EmergencyProfileUpdateInput!) { updateEmergencyProfile(id: $id, input: $input) { ${SOURCES} } }`;

async function read(id: string, headers: Record<string, string>): Promise<Profile> {
  const answer = await stack.graphql(READ, { id }, headers);
  expect(answer.body.errors).toBeUndefined();
  return (answer.body.data as { emergencyProfile: Profile }).emergencyProfile;
}

/** The stored profile as the database holds it, to show that a refused change wrote nothing. */
async function stored(id: string): Promise<unknown> {
  const { ObjectId } = await import("mongodb");
  return stack.engine.connection.collection("emergencyProfiles").findOne({ _id: new ObjectId(id) });
}

async function confirmEntries(): Promise<Record<string, unknown>[]> {
  return stack.engine.connection.collection("emergencyAccessLog").find({ action: "CONFIRM" }).toArray();
}

/** Registers the resident's profile, adds their son as a delegate and grants their doctor access; returns its id. */
async function registered(key: string): Promise<string> {
  const owner = await resident();
  const created = await stack.graphql(
    `mutation ($input: EmergencyProfileInput!, $key: String!) { createEmergencyProfile(input: $input, idempotencyKey: $key) { id } }`,
    { input: INPUT, key },
    owner,
  );
  expect(created.body.errors).toBeUndefined();
  const id = (created.body.data as { createEmergencyProfile: { id: string } }).createEmergencyProfile.id;
  const steps = [
    `mutation ($id: ID!) { addEmergencyProfileDelegate(id: $id, input: { subject: "son-kenta", name: "西川 健太", relation: "長男" }) { subject } }`,
    `mutation ($id: ID!) { grantEmergencyProfileAccess(id: $id, input: { granteeKind: MEMBER, granteeId: "${DOCTOR.memberId}" }) { id } }`,
  ];
  for (const step of steps) expect((await stack.graphql(step, { id }, owner)).body.errors).toBeUndefined();
  return id;
}

test("every item kind carries the source the server recorded: the resident's own report, unconfirmed", async () => {
  const id = await registered("confirm-sources");
  const sources = everySource(await read(id, await resident()));
  expect(Object.keys(sources)).toHaveLength(10);
  for (const [kind, source] of Object.entries(sources)) {
    expect([kind, source]).toEqual([
      kind,
      {
        kind: "SELF_REPORTED",
        recordedAt: "2026-04-01T01:00:00.000Z",
        recordedBy: { role: "RESIDENT", name: "西川 トメ", relation: null },
        verification: "UNCONFIRMED",
        confirmedAt: null,
        confirmedBy: null,
      },
    ]);
  }
});

test("a resident can neither claim a confirmation in input nor confirm: FORBIDDEN, and nothing changes", async () => {
  const id = await registered("confirm-resident");
  const owner = await resident();
  const before = await stored(id);

  const claimed = await stack.graphql(UPDATE, { id, input: { conditions: [{ name: "心房細動", icd10: "I48", source: "CLINICIAN_CONFIRMED" }] } }, owner);
  expect(codes(claimed.body)).toEqual(["FORBIDDEN"]);
  expect(JSON.stringify(claimed.body.errors)).toContain("confirmEmergencyItems");
  const registering = await stack.graphql(
    `mutation ($input: EmergencyProfileInput!) { createEmergencyProfile(input: $input, idempotencyKey: "confirm-claimed") { id } }`,
    { input: { ...INPUT, medications: [{ name: "ワルファリン錠1mg", source: "CLINICIAN_CONFIRMED" }] } },
    await signedIn({ role: "RESIDENT", subject: "resident-claiming" }),
  );
  expect(codes(registering.body)).toEqual(["FORBIDDEN"]);

  for (const caller of [owner, await signedIn({ role: "RESIDENT", subject: "son-kenta", displayName: "西川 健太" })]) {
    const answer = await stack.graphql(CONFIRM, { id, items: [{ kind: "CONDITION", index: 0 }], version: 3 }, caller);
    expect(codes(answer.body)).toEqual(["FORBIDDEN"]);
  }
  expect(await stored(id)).toEqual(before);
  expect(await confirmEntries()).toEqual([]);
  // The resident's own report of SELF_REPORTED (what older clients send) is still accepted.
  const selfReported = await stack.graphql(UPDATE, { id, input: { conditions: [{ name: "心房細動", source: "SELF_REPORTED" }] } }, owner);
  expect(selfReported.body.errors).toBeUndefined();
});

test("a professional without access gets the same answer as for a profile that does not exist", async () => {
  const id = await registered("confirm-stranger");
  const before = await stored(id);
  const stranger = await signedIn(STRANGER);
  const answers = await Promise.all(
    [id, "65f0000000000000000000ff", "not-an-id"].map((profileId) =>
      stack.graphql(CONFIRM, { id: profileId, items: [{ kind: "BLOOD_TYPE" }], version: 3 }, stranger),
    ),
  );
  const refusals = answers.map((answer) => answer.body.errors?.map((error) => [error.message, error.extensions?.code]));
  expect(refusals[0]).toEqual([[expect.stringContaining("only a professional the resident granted access may confirm items"), "FORBIDDEN"]]);
  expect(refusals[1]).toEqual(refusals[0]);
  expect(refusals[2]).toEqual(refusals[0]);
  expect(await stored(id)).toEqual(before);
});

test("the granted doctor confirms items: who and when are recorded, audited, and shown to the crew; a stale version or a missing item confirms nothing", async () => {
  const id = await registered("confirm-doctor");
  const doctor = await signedIn(DOCTOR);
  const { version } = await read(id, await resident());

  const stale = await stack.graphql(CONFIRM, { id, items: [{ kind: "CONDITION", index: 0 }], version: version - 1 }, doctor);
  expect(codes(stale.body)).toEqual(["CONFLICT"]);
  const missing = await stack.graphql(
    CONFIRM,
    {
      id,
      items: [
        { kind: "CONDITION", index: 0 },
        { kind: "ALLERGY", index: 5 },
      ],
      version,
    },
    doctor,
  );
  expect(codes(missing.body)).toEqual(["BAD_USER_INPUT"]);
  expect(missing.body.errors?.[0]?.extensions?.field).toBe("items.1.index");
  const unindexed = await stack.graphql(CONFIRM, { id, items: [{ kind: "MEDICATION" }], version }, doctor);
  expect(codes(unindexed.body)).toEqual(["BAD_USER_INPUT"]);
  expect((await read(id, await resident())).version).toBe(version);

  stack.clock.advanceMinutes(30);
  const items = [
    { kind: "CONDITION", index: 0 },
    { kind: "MEDICATION", index: 0 },
    { kind: "BLOOD_TYPE" },
    { kind: "CARE_TEAM" },
    { kind: "CARE_LEVEL" },
    { kind: "ADVANCE_CARE" },
  ];
  const answer = await stack.graphql(CONFIRM, { id, items, version }, doctor);
  expect(answer.body.errors).toBeUndefined();
  const confirmed = (answer.body.data as { confirmEmergencyItems: Profile }).confirmEmergencyItems;
  expect(confirmed.version).toBe(version + 1);
  const byDoctor = {
    role: "PROFESSIONAL",
    name: "上野 医師",
    profession: "PHYSICIAN",
    member: { id: DOCTOR.memberId },
    organization: { id: DOCTOR.organizationId },
  };
  const sources = everySource(confirmed);
  for (const kind of ["condition", "medication", "bloodType", "careTeam", "careLevel", "advanceCare"]) {
    expect([kind, sources[kind]]).toEqual([
      kind,
      expect.objectContaining({
        kind: "SELF_REPORTED",
        recordedAt: "2026-04-01T01:00:00.000Z",
        verification: "CLINICIAN_CONFIRMED",
        confirmedAt: "2026-04-01T01:30:00.000Z",
        confirmedBy: byDoctor,
      }),
    ]);
  }
  for (const kind of ["allergy", "implantedDevice", "livingSituation", "emergencyContact"]) {
    expect([kind, sources[kind]?.verification, sources[kind]?.confirmedBy]).toEqual([kind, "UNCONFIRMED", null]);
  }
  expect(confirmed.conditions[1]?.source.verification).toBe("UNCONFIRMED");

  // The confirmation is in the hash-chained access log, which the resident can read and which still verifies.
  const entries = await confirmEntries();
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({
    outcome: "ALLOWED",
    actor: { subject: DOCTOR.subject, role: "PROFESSIONAL", memberId: DOCTOR.memberId },
    sections: expect.arrayContaining(["BLOOD_TYPE", "CONDITIONS", "MEDICATIONS", "CARE_TEAM", "CARE_LEVEL", "ADVANCE_CARE"]),
    chain: { seq: expect.any(Number), hash: expect.any(String) },
  });
  const log = await stack.graphql(`{ myAccessLog(first: 5) { edges { node { action actor { subject } } } } }`, {}, await resident());
  expect((log.body.data as { myAccessLog: { edges: { node: { action: string } }[] } }).myAccessLog.edges[0]?.node).toEqual({
    action: "CONFIRM",
    actor: { subject: DOCTOR.subject },
  });
  const integrity = await stack.graphql(`{ emergencyAccessLogIntegrity { intact } }`, {}, await signedIn({ role: "COORDINATOR", subject: "city-1" }));
  expect(integrity.body.data).toEqual({ emergencyAccessLogIntegrity: { intact: true } });

  // The crew's view at the doorstep says which items a doctor confirmed, who and when.
  const card = await stack.graphql(`query ($id: ID!) { emergencyProfile(id: $id) { card { code } } }`, { id }, await resident());
  const code = (card.body.data as { emergencyProfile: { card: { code: string } } }).emergencyProfile.card.code;
  // The crew's own operation, less the fields of the resources and groups subgraphs this stack does not run.
  const crewQuery = CREW_LOOKUP_QUERY.split("\n")
    .filter((line) => !/primaryHospital|careManager/.test(line))
    .join("\n");
  const lookup = await stack.graphql(
    crewQuery,
    { input: { cardCode: code, reason: "意識低下", incidentNumber: "R8-0401-0777" } },
    await signedIn({ role: "EMS", subject: "ems-7" }),
  );
  expect(lookup.body.errors).toBeUndefined();
  const seen = (lookup.body.data as { emergencyLookup: { profile: Record<string, unknown> } }).emergencyLookup.profile;
  const confirmation = {
    kind: "SELF_REPORTED",
    verification: "CLINICIAN_CONFIRMED",
    confirmedAt: "2026-04-01T01:30:00.000Z",
    confirmedBy: { name: "上野 医師", profession: "PHYSICIAN" },
  };
  const reported = { kind: "SELF_REPORTED", verification: "UNCONFIRMED", confirmedAt: null, confirmedBy: null };
  expect(seen).toMatchObject({
    conditions: [
      { name: "心房細動", source: confirmation },
      { name: "2型糖尿病", source: reported },
    ],
    medications: [{ source: confirmation }],
    allergies: [{ source: reported }],
    implantedDevices: [{ source: reported }],
    bloodType: { source: confirmation },
    careLevelSource: confirmation,
    advanceCare: { source: confirmation },
  });
});

test("an edit by the resident or a delegate leaves the edited item unconfirmed and records who made it; unchanged items keep their confirmation", async () => {
  const id = await registered("confirm-edit");
  const { version } = await read(id, await resident());
  const items = [{ kind: "CONDITION", index: 0 }, { kind: "CONDITION", index: 1 }, { kind: "BLOOD_TYPE" }, { kind: "EMERGENCY_CONTACT", index: 0 }];
  expect((await stack.graphql(CONFIRM, { id, items, version }, await signedIn(DOCTOR))).body.errors).toBeUndefined();

  stack.clock.advanceMinutes(60);
  const [first, second] = INPUT.conditions;
  const edit = { conditions: [second, { ...first, note: "2024年にアブレーション" }], emergencyContacts: INPUT.emergencyContacts };
  const edited = await stack.graphql(UPDATE, { id, input: edit }, await signedIn({ role: "RESIDENT", subject: "son-kenta", displayName: "西川 健太" }));
  expect(edited.body.errors).toBeUndefined();
  const profile = (edited.body.data as { updateEmergencyProfile: Profile }).updateEmergencyProfile;
  expect(profile.conditions.map((condition) => [condition.name, condition.source.verification])).toEqual([
    ["2型糖尿病", "CLINICIAN_CONFIRMED"],
    ["心房細動", "UNCONFIRMED"],
  ]);
  expect(profile.conditions[1]?.source).toEqual({
    kind: "DELEGATE_REPORTED",
    recordedAt: "2026-04-01T02:30:00.000Z",
    recordedBy: { role: "RESIDENT", name: "西川 健太", relation: "長男" },
    verification: "UNCONFIRMED",
    confirmedAt: null,
    confirmedBy: null,
  });
  // The contact was sent again unchanged, and the blood type was not sent: both stay confirmed.
  expect(profile.emergencyContacts[0]?.source.verification).toBe("CLINICIAN_CONFIRMED");
  expect(profile.bloodType.source.verification).toBe("CLINICIAN_CONFIRMED");

  const changedBlood = await stack.graphql(UPDATE, { id, input: { bloodType: { abo: "AB", rh: "POSITIVE" } } }, await resident());
  const blood = (changedBlood.body.data as { updateEmergencyProfile: Profile }).updateEmergencyProfile.bloodType.source;
  expect(blood).toMatchObject({ kind: "SELF_REPORTED", verification: "UNCONFIRMED", confirmedBy: null, recordedBy: { role: "RESIDENT", name: "西川 トメ" } });
});

test("items stored before sources were recorded read as unrecorded and unconfirmed, even a resident's own CLINICIAN_CONFIRMED claim, and can be confirmed", async () => {
  const id = await registered("confirm-legacy");
  const { ObjectId } = await import("mongodb");
  await stack.engine.connection.collection("emergencyProfiles").updateOne(
    { _id: new ObjectId(id) },
    {
      $set: { "conditions.0.source": "CLINICIAN_CONFIRMED", "conditions.1.source": "SELF_REPORTED" },
      $unset: { "bloodType.source": "", careLevelSource: "", "implantedDevices.0.source": "" },
    },
  );
  const profile = await read(id, await resident());
  const unrecorded = { kind: "UNRECORDED", recordedAt: null, recordedBy: null, verification: "UNCONFIRMED", confirmedAt: null, confirmedBy: null };
  expect([
    profile.conditions[0]?.source,
    profile.conditions[1]?.source,
    profile.bloodType.source,
    profile.careLevelSource,
    profile.implantedDevices[0]?.source,
  ]).toEqual([unrecorded, unrecorded, unrecorded, unrecorded, unrecorded]);
  const answer = await stack.graphql(CONFIRM, { id, items: [{ kind: "CONDITION", index: 1 }], version: profile.version }, await signedIn(DOCTOR));
  expect(answer.body.errors).toBeUndefined();
  const conditions = (answer.body.data as { confirmEmergencyItems: Profile }).confirmEmergencyItems.conditions;
  expect(conditions.map((condition) => [condition.source.kind, condition.source.verification])).toEqual([
    ["UNRECORDED", "UNCONFIRMED"],
    ["UNRECORDED", "CLINICIAN_CONFIRMED"],
  ]);
});
