// Every demo resident's FHIR export passes the R4 definitions and the IPS document rules, and the checks themselves catch what a hospital would refuse.
import type { Bundle, Composition, Condition, FhirResource } from "fhir/r4";
import { connectMongo, createLogger } from "@tsunagu/service-kit";
import type { MongoHandle } from "@tsunagu/service-kit";
import { emergencyProfileBundle } from "../src/fhir";
import { emergencyModels, ensureEmergencyIndexes } from "../src/models";
import type { EmergencyModels, ProfileDocument } from "../src/models";
import { seedDemoEmergencyProfiles } from "../src/seed";
import { ipsProblems, r4Problems } from "./ips-validation";

const NOW = new Date("2026-04-01T01:00:00Z");
const SETTINGS = { identifierBase: "https://city.example.jp/fhir/sid" };
const DOCTOR = { memberId: "65f0000000000000000000e1", name: "上野 医師", organizationId: "65f0000000000000000000e2" };
let mongo: MongoHandle;
let models: EmergencyModels;
let residents: ProfileDocument[];

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "fhir-export-test", logger: createLogger({ name: "test", level: "silent" }) });
  models = emergencyModels(mongo.connection);
  await ensureEmergencyIndexes(models);
  await seedDemoEmergencyProfiles(mongo.connection, { now: NOW, physicians: [DOCTOR] });
  residents = await models.Profile.find().lean<ProfileDocument[]>();
});

afterAll(async () => {
  await mongo.close();
});

test("every demo resident's export passes the FHIR R4 definitions and the IPS rules", () => {
  expect(residents.length).toBeGreaterThanOrEqual(50);
  const failures = residents
    .map((profile) => ({ id: profile._id.toHexString(), problems: ipsProblems(emergencyProfileBundle(profile, NOW, SETTINGS)) }))
    .filter((result) => result.problems.length > 0);
  expect(failures).toEqual([]);
});

test("a resident who declared no problems, medications or allergies gets IPS's 'no known' entries, not an unavailable section", () => {
  const [someone] = residents;
  if (someone === undefined) throw new Error("no demo resident");
  const bundle = emergencyProfileBundle({ ...someone, conditions: [], medications: [], allergies: [], implantedDevices: [] }, NOW, SETTINGS);
  expect(ipsProblems(bundle)).toEqual([]);
  const codes = (bundle.entry ?? []).flatMap((entry) => {
    const resource = entry.resource as FhirResource | undefined;
    if (resource?.resourceType === "Condition" || resource?.resourceType === "AllergyIntolerance") return resource.code?.coding?.map((c) => c.code) ?? [];
    if (resource?.resourceType === "MedicationStatement") return resource.medicationCodeableConcept?.coding?.map((c) => c.code) ?? [];
    if (resource?.resourceType === "Device") return resource.type?.coding?.map((c) => c.code) ?? [];
    return [];
  });
  expect(codes).toEqual(expect.arrayContaining(["no-known-problems", "no-known-medications", "no-known-allergies", "no-known-devices"]));
  const composition = bundle.entry?.[0]?.resource as Composition;
  expect(composition.section?.filter((section) => section.emptyReason !== undefined).map((section) => section.code?.coding?.[0]?.code)).toEqual(
    someone.advanceCare === null ? ["42348-3"] : [],
  );
});

test("the checks are not vacuous: what a hospital would refuse is reported", () => {
  const [someone] = residents;
  if (someone === undefined) throw new Error("no demo resident");
  const good = emergencyProfileBundle(someone, NOW, SETTINGS);
  // R4 itself: a Condition without its required subject, an unknown element, a malformed date.
  expect(r4Problems({ resourceType: "Condition", code: { text: "x" } }).length).toBeGreaterThan(0);
  expect(r4Problems({ resourceType: "Condition", subject: { reference: "Patient/1" }, colour: "red" }).length).toBeGreaterThan(0);
  expect(r4Problems({ resourceType: "Condition", subject: { reference: "Patient/1" }, onsetDateTime: "2019年" }).length).toBeGreaterThan(0);
  // IPS: a required section emptied, a dangling reference, a missing profile claim, the old identifier system.
  const copy = (): Bundle => JSON.parse(JSON.stringify(good)) as Bundle;
  const emptied = copy();
  const composition = emptied.entry?.[0]?.resource as Composition;
  composition.section = composition.section?.map((section) =>
    section.code?.coding?.[0]?.code === "48765-2" ? { ...section, entry: undefined, emptyReason: { text: "unavailable" } } : section,
  );
  expect(ipsProblems(emptied)).toEqual([expect.stringContaining("48765-2")]);
  const dangling = copy();
  const condition = dangling.entry?.find((entry) => entry.resource?.resourceType === "Condition")?.resource as Condition;
  condition.subject = { reference: "urn:uuid:00000000-0000-5000-8000-000000000000" };
  expect(ipsProblems(dangling)).toEqual([expect.stringContaining("does not resolve")]);
  const unclaimed = copy();
  delete (unclaimed.entry?.[1]?.resource as { meta?: unknown }).meta;
  expect(ipsProblems(unclaimed)).toEqual(["Patient must claim Patient-uv-ips"]);
});

test("blood group, devices, care team and provenance are carried as coded entries", () => {
  const seeded = residents.find((profile) => profile.bloodType !== null && profile.implantedDevices.length > 0);
  if (seeded === undefined) throw new Error("the demo data should have a resident with a blood type and an implant");
  // The seed links the care team through the other subgraphs' APIs at start; here the ids are given directly.
  const careTeam = {
    primaryHospitalId: "65f0000000000000000000a1",
    visitingNursingStationId: null,
    primaryPhysicianId: null,
    careManagerId: "65f0000000000000000000b2",
  };
  const withEverything = { ...seeded, careTeam };
  expect(ipsProblems(emergencyProfileBundle(withEverything, NOW, SETTINGS))).toEqual([]);
  const bundle = emergencyProfileBundle(withEverything, NOW, SETTINGS);
  const types = (bundle.entry ?? []).map((entry) => entry.resource?.resourceType);
  expect(types).toEqual(expect.arrayContaining(["Observation", "Device", "DeviceUseStatement", "CareTeam", "Organization", "Provenance"]));
  const resources = (bundle.entry ?? []).map((entry) => entry.resource as FhirResource | undefined);
  const blood = resources.find((resource) => resource?.resourceType === "Observation" && resource.code.coding?.[0]?.code === "882-1");
  expect(blood).toMatchObject({ status: "final", category: [{ coding: [{ code: "laboratory" }] }] });
  const patient = bundle.entry?.[1]?.resource;
  expect(patient).toMatchObject({
    resourceType: "Patient",
    identifier: [{ system: "https://city.example.jp/fhir/sid/emergency-registry", value: withEverything._id.toHexString() }],
  });
  const organization = resources.find((resource) => resource?.resourceType === "Organization");
  expect(organization).toMatchObject({
    identifier: [{ system: "https://city.example.jp/fhir/sid/resources", value: withEverything.careTeam.primaryHospitalId }],
  });
  const provenanceTargets = resources.flatMap((resource) => (resource?.resourceType === "Provenance" ? resource.target.map((t) => t.reference) : []));
  const items = (bundle.entry ?? [])
    .filter((entry) => ["Condition", "MedicationStatement", "AllergyIntolerance"].includes(entry.resource?.resourceType ?? ""))
    .map((entry) => entry.fullUrl);
  expect(provenanceTargets).toEqual(expect.arrayContaining(items));
});

test("the demo doctor's confirmations are verified items of the export, and items stored before sources were recorded read as unconfirmed reports", () => {
  const confirmedByDoctor = residents.filter((profile) =>
    profile.conditions.some((condition) => typeof condition.source === "object" && condition.source?.verification === "CLINICIAN_CONFIRMED"),
  );
  expect(confirmedByDoctor.length).toBeGreaterThan(5);
  const [patient] = confirmedByDoctor;
  if (patient === undefined) throw new Error("no confirmed demo resident");
  const bundle = emergencyProfileBundle(patient, NOW, SETTINGS);
  expect(ipsProblems(bundle)).toEqual([]);
  const resources = (bundle.entry ?? []).map((entry) => entry.resource as FhirResource);
  const verifier = resources.find((resource) => resource.resourceType === "Provenance" && resource.agent[0]?.type?.coding?.[0]?.code === "verifier");
  expect(verifier).toMatchObject({
    agent: [{ who: { identifier: { system: `${SETTINGS.identifierBase}/members`, value: DOCTOR.memberId }, display: "上野 医師（PHYSICIAN）" } }],
  });
  const conditions = resources.filter((resource): resource is Condition => resource.resourceType === "Condition");
  expect(conditions.map((condition) => condition.verificationStatus?.coding?.[0]?.code)).toEqual(
    patient.conditions.map((condition) =>
      typeof condition.source === "object" && condition.source?.verification === "CLINICIAN_CONFIRMED" ? "confirmed" : "unconfirmed",
    ),
  );

  // A record from before sources: a resident's own CLINICIAN_CONFIRMED claim and items without any source.
  const legacy = {
    ...patient,
    conditions: patient.conditions.map((condition) => ({ ...condition, source: "CLINICIAN_CONFIRMED" as const })),
    medications: patient.medications.map(({ source: _source, ...medication }) => medication),
    careTeam: { ...patient.careTeam, source: undefined },
    careLevelSource: undefined,
  };
  const legacyBundle = emergencyProfileBundle(legacy, NOW, SETTINGS);
  expect(ipsProblems(legacyBundle)).toEqual([]);
  const legacyConditions = (legacyBundle.entry ?? [])
    .map((entry) => entry.resource as FhirResource)
    .filter((r): r is Condition => r.resourceType === "Condition");
  expect(legacyConditions.map((condition) => condition.verificationStatus?.coding?.[0]?.code)).toEqual(patient.conditions.map(() => "unconfirmed"));
});
