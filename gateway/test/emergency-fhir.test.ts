// The FHIR export through the gateway: an IPS document Bundle that passes the FHIR R4 definitions and the IPS rules, with the elements a hospital reads, and audited.
import type {
  Bundle,
  Composition,
  Condition,
  Consent,
  DeviceUseStatement,
  FhirResource,
  MedicationStatement,
  Patient,
  AllergyIntolerance,
  Provenance,
} from "fhir/r4";
import { codes } from "./helpers";
import { signedIn, startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack } from "./emergency-stack";
import { ipsProblems } from "../../subgraphs/emergency/test/ips-validation";

const NOW = new Date("2026-04-01T01:00:00Z");
let stack: EmergencyStack;

beforeAll(async () => {
  stack = await startEmergencyStack({ now: NOW });
});

afterAll(async () => {
  await stack.stop();
});

const INPUT = {
  person: {
    name: "北村 千代子",
    kana: "キタムラ チヨコ",
    dateOfBirth: "1940-10-10",
    sex: "FEMALE",
    phone: "0761-22-5678",
    address: { postalCode: "923-0861", prefecture: "石川県", city: "つなぐ市", district: "東圏域", street: "旭町3-2-1", building: "あさひ荘101" },
  },
  conditions: [
    { name: "心房細動", icd10: "I48", since: "2018-04" },
    { name: "アルツハイマー型認知症", since: "2022", note: "物忘れ外来で診断", source: "SELF_REPORTED" },
  ],
  medications: [
    { name: "アピキサバン錠5mg", dosage: "1日2回 朝夕食後", since: "2018-04", note: "抗凝固薬" },
    { name: "ドネペジル塩酸塩錠5mg", dosage: "1日1回 朝食後", source: "SELF_REPORTED" },
  ],
  allergies: [{ substance: "ペニシリン系抗菌薬", reaction: "発疹", severity: "SEVERE", source: "SELF_REPORTED" }],
  implantedDevices: [{ kind: "PACEMAKER", description: "MRI条件付き対応" }],
  careLevel: "CARE_1",
  livingSituation: { livesAlone: false, keyPerson: { name: "北村 大輔", relation: "長男", phone: "090-1111-2222" }, familyCareCapacity: "LIMITED" },
  emergencyContacts: [{ name: "北村 大輔", relation: "長男", phone: "090-1111-2222", reachableHours: "終日" }],
  advanceCare: {
    resuscitation: "DNAR",
    preferredPlaceOfCare: "HOME",
    notes: "自宅で過ごしたい",
    discussedWith: ["長男", "主治医"],
    recordedAt: "2025-12-01T10:00:00+09:00",
  },
  consent: { scope: ["EMERGENCY_SERVICES", "CARE_TEAM"], method: "WRITTEN" },
};

const EXPORT = `query ($id: ID!) { emergencyProfileFhir(id: $id) }`;

async function exported(id: string, headers: Record<string, string>): Promise<Bundle> {
  const answer = await stack.graphql(EXPORT, { id }, headers);
  expect(answer.body.errors).toBeUndefined();
  return (answer.body.data as { emergencyProfileFhir: Bundle }).emergencyProfileFhir;
}

function only<T extends FhirResource>(bundle: Bundle, type: T["resourceType"]): T[] {
  return (bundle.entry ?? []).map((entry) => entry.resource).filter((resource): resource is T => resource?.resourceType === type);
}

test("the export is an IPS document Bundle that passes the FHIR R4 definitions and the IPS rules, with the elements a hospital reads", async () => {
  const owner = await signedIn({ role: "RESIDENT", subject: "resident-kitamura" });
  const created = await stack.graphql(
    `mutation ($input: EmergencyProfileInput!) { createEmergencyProfile(input: $input, idempotencyKey: "fhir-create-1") { id } }`,
    { input: INPUT },
    owner,
  );
  const id = (created.body.data as { createEmergencyProfile: { id: string } }).createEmergencyProfile.id;
  // The resident's doctor, granted access, confirms the atrial fibrillation and its anticoagulant.
  const doctor = { memberId: "65f0000000000000000000e1", organizationId: "65f0000000000000000000e2" };
  await stack.graphql(
    `mutation ($id: ID!, $member: ID!) { grantEmergencyProfileAccess(id: $id, input: { granteeKind: MEMBER, granteeId: $member }) { id } }`,
    { id, member: doctor.memberId },
    owner,
  );
  const confirmed = await stack.graphql(
    `mutation ($id: ID!) { confirmEmergencyItems(id: $id, items: [{ kind: CONDITION, index: 0 }, { kind: MEDICATION, index: 0 }], expectedVersion: 2) { version } }`,
    { id },
    await signedIn({ role: "PROFESSIONAL", subject: "doctor-ueno", displayName: "上野 医師", profession: "PHYSICIAN", ...doctor }),
  );
  expect(confirmed.body.errors).toBeUndefined();
  const bundle = await exported(id, owner);

  expect(ipsProblems(bundle)).toEqual([]);

  // Bundle (document): identifier, timestamp, the Composition first, every entry with a unique urn:uuid fullUrl.
  expect(bundle).toMatchObject({
    resourceType: "Bundle",
    type: "document",
    timestamp: "2026-04-01T10:00:00+09:00",
    identifier: { system: "urn:ietf:rfc:3986" },
    meta: { profile: ["http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips"] },
  });
  const fullUrls = (bundle.entry ?? []).map((entry) => entry.fullUrl ?? "");
  expect(fullUrls.every((url) => /^urn:uuid:[0-9a-f-]{36}$/.test(url))).toBe(true);
  expect(new Set(fullUrls).size).toBe(fullUrls.length);
  expect((bundle.entry ?? []).map((entry) => entry.resource?.resourceType)).toEqual([
    "Composition",
    "Patient",
    "Condition",
    "Condition",
    "MedicationStatement",
    "MedicationStatement",
    "AllergyIntolerance",
    "Device",
    "DeviceUseStatement",
    "Observation",
    "Observation",
    "Observation",
    "Consent",
    "Provenance",
    "Provenance",
  ]);
  const resolves = (reference: string | undefined) => reference !== undefined && fullUrls.includes(reference);

  // Composition (IPS): status, type 60591-5, subject, date, author, title; the sections by LOINC code, each with narrative.
  const [composition] = only<Composition>(bundle, "Composition");
  expect(composition).toMatchObject({
    status: "final",
    language: "ja",
    type: { coding: [{ system: "http://loinc.org", code: "60591-5" }] },
    date: "2026-04-01T10:00:00+09:00",
  });
  expect(composition?.title).toContain("国際患者サマリー");
  expect(resolves(composition?.subject?.reference)).toBe(true);
  expect(composition?.author.every((author) => resolves(author.reference))).toBe(true);
  const sections = new Map((composition?.section ?? []).map((section) => [section.code?.coding?.[0]?.code, section]));
  expect([...sections.keys()]).toEqual(["11450-4", "10160-0", "48765-2", "46264-8", "29762-2", "42348-3"]);
  for (const section of sections.values()) {
    expect(section.text?.div).toMatch(/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">.*<\/div>$/);
    expect((section.entry ?? []).every((entry) => resolves(entry.reference))).toBe(true);
    expect(section.entry === undefined).toBe(section.emptyReason !== undefined);
  }
  expect(sections.get("11450-4")?.entry).toHaveLength(2);
  expect(sections.get("46264-8")?.text?.div).toContain("ペースメーカー MRI条件付き対応");
  // The pacemaker is an entry, not only narrative: a DeviceUseStatement of a Device coded in SNOMED CT.
  const [deviceUse] = only<DeviceUseStatement>(bundle, "DeviceUseStatement");
  expect(sections.get("46264-8")?.entry?.map((entry) => entry.reference)).toEqual([fullUrls[(bundle.entry ?? []).findIndex((e) => e.resource === deviceUse)]]);
  const device = bundle.entry?.find((entry) => entry.fullUrl === deviceUse?.device.reference)?.resource;
  expect(device).toMatchObject({ resourceType: "Device", type: { coding: [{ system: "http://snomed.info/sct", code: "14106009" }] } });
  expect(sections.get("29762-2")?.text?.div).toContain("要介護度: 要介護1");

  // Patient: kanji and kana names (iso21090-EN-representation IDE / SYL), gender, birth date, address, emergency contact.
  const [patient] = only<Patient>(bundle, "Patient");
  expect(patient?.name?.map((name) => [name.text, name.extension?.[0]?.valueCode])).toEqual([
    ["北村 千代子", "IDE"],
    ["キタムラ チヨコ", "SYL"],
  ]);
  expect(patient).toMatchObject({
    gender: "female",
    birthDate: "1940-10-10",
    address: [{ state: "石川県", city: "つなぐ市", postalCode: "923-0861", line: ["旭町3-2-1", "あさひ荘101"] }],
  });
  expect(patient?.identifier?.[0]?.system).toMatch(/^https:\/\/.+\/emergency-registry$/);
  // Where each item came from: every item reported by the resident (the Patient), the two the doctor confirmed verified by them.
  const provenance = only<Provenance>(bundle, "Provenance");
  expect(provenance.map((p) => [p.agent[0]?.type?.coding?.[0]?.code, p.target.length])).toEqual([
    ["informant", 10],
    ["verifier", 2],
  ]);
  expect(provenance[0]?.agent[0]?.who?.reference).toBe(fullUrls[1]);
  expect(provenance[1]?.agent[0]?.who).toEqual({
    identifier: { system: expect.stringMatching(/\/members$/), value: doctor.memberId },
    display: "上野 医師（PHYSICIAN）",
  });
  expect(provenance[1]?.recorded).toBe(NOW.toISOString());
  expect(patient?.contact?.[0]).toMatchObject({ name: { text: "北村 大輔" }, telecom: [{ system: "phone", value: "090-1111-2222", rank: 1 }] });

  // Condition: code (ICD-10 when known, Japanese text always) and subject are required; status codes from their code systems.
  const conditions = only<Condition>(bundle, "Condition");
  expect(conditions.map((c) => [c.code?.text, c.code?.coding?.[0]?.code, c.verificationStatus?.coding?.[0]?.code, c.onsetDateTime])).toEqual([
    ["心房細動", "I48", "confirmed", "2018-04"],
    ["アルツハイマー型認知症", undefined, "unconfirmed", "2022"],
  ]);
  expect(conditions.every((c) => resolves(c.subject.reference) && c.clinicalStatus?.coding?.[0]?.code === "active")).toBe(true);
  expect(conditions[0]?.code?.coding?.[0]?.system).toBe("http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full");

  // MedicationStatement: status, medication[x], subject, and effective[x] (IPS), or its data-absent-reason when unknown.
  const medications = only<MedicationStatement>(bundle, "MedicationStatement");
  expect(medications.map((m) => [m.status, m.medicationCodeableConcept?.text, m.dosage?.[0]?.text])).toEqual([
    ["active", "アピキサバン錠5mg", "1日2回 朝夕食後"],
    ["active", "ドネペジル塩酸塩錠5mg", "1日1回 朝食後"],
  ]);
  expect(medications[0]?.effectivePeriod).toEqual({ start: "2018-04" });
  expect(medications[1]?._effectiveDateTime?.extension?.[0]).toEqual({
    url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
    valueCode: "unknown",
  });
  expect(medications.every((m) => resolves(m.subject.reference))).toBe(true);

  // AllergyIntolerance: patient and code; a reaction needs at least one manifestation.
  const [allergy] = only<AllergyIntolerance>(bundle, "AllergyIntolerance");
  expect(allergy).toMatchObject({
    code: { text: "ペニシリン系抗菌薬" },
    criticality: "high",
    reaction: [{ manifestation: [{ text: "発疹" }], severity: "severe" }],
  });
  expect(resolves(allergy?.patient.reference)).toBe(true);

  // The advance directive: Consent with status, scope adr, category, patient (ppc-4) and a policy rule (ppc-1); DNAR denies CPR.
  const [directive] = only<Consent>(bundle, "Consent");
  expect(directive).toMatchObject({
    status: "active",
    scope: { coding: [{ code: "adr" }] },
    category: [{ coding: [{ code: "acd" }] }],
    dateTime: "2025-12-01T10:00:00+09:00",
    provision: { type: "deny", code: [{ coding: [{ system: "http://snomed.info/sct", code: "89666000" }] }] },
  });
  expect(directive?.policyRule?.text).toContain("人生会議");
  expect(resolves(directive?.patient?.reference)).toBe(true);
  expect(directive?.text?.div).toContain("希望する療養場所: 自宅");

  const exports = await stack.engine.connection.collection("emergencyAccessLog").find({ action: "EXPORT" }).toArray();
  expect(exports).toHaveLength(1);
  expect(exports[0]).toMatchObject({
    actor: { subject: "resident-kitamura", role: "RESIDENT" },
    sections: [
      "PERSON",
      "BLOOD_TYPE",
      "CONDITIONS",
      "MEDICATIONS",
      "ALLERGIES",
      "IMPLANTED_DEVICES",
      "CARE_TEAM",
      "CARE_LEVEL",
      "LIVING_SITUATION",
      "EMERGENCY_CONTACTS",
      "ADVANCE_CARE",
    ],
  });
});

test("emergency staff export only within the access window of their look-up", async () => {
  const owner = await signedIn({ role: "RESIDENT", subject: "resident-matsui" });
  const created = await stack.graphql(
    `mutation ($input: EmergencyProfileInput!) { createEmergencyProfile(input: $input, idempotencyKey: "fhir-create-2") { id card { code } } }`,
    { input: { ...INPUT, person: { ...INPUT.person, name: "松井 和子", kana: "マツイ カズコ" }, advanceCare: null } },
    owner,
  );
  const { id, card } = (created.body.data as { createEmergencyProfile: { id: string; card: { code: string } } }).createEmergencyProfile;
  const er = await signedIn({ role: "ER", subject: "er-doctor", organizationId: "65f0000000000000000000d1" });
  expect(codes((await stack.graphql(EXPORT, { id }, er)).body)).toEqual(["FORBIDDEN"]);
  await stack.graphql(
    `mutation ($code: String!) { emergencyLookup(input: { cardCode: $code, reason: "救急搬送の受け入れ", incidentNumber: "ER-0401-7" }) { outcome } }`,
    { code: card.code },
    er,
  );
  const bundle = await exported(id, er);
  expect(ipsProblems(bundle)).toEqual([]);
  expect(only<Consent>(bundle, "Consent")).toEqual([]);
  const section = (bundle.entry?.[0]?.resource as Composition).section?.find((s) => s.code?.coding?.[0]?.code === "42348-3");
  expect(section?.emptyReason?.coding?.[0]?.code).toBe("unavailable");
  const entry = await stack.engine.connection.collection("emergencyAccessLog").findOne({ action: "EXPORT", "actor.subject": "er-doctor" });
  expect(entry).toMatchObject({ reason: "救急搬送の受け入れ", incidentNumber: "ER-0401-7", outcome: "ALLOWED" });
});
