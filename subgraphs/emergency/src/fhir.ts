// The profile as a FHIR R4 document Bundle conforming to the International Patient Summary: Composition, Patient, problems, medications, allergies (or IPS's "no known" entries), devices, blood group, social history, care team, advance directive and the provenance of every item.
import { createHash, randomUUID } from "node:crypto";
import type {
  AllergyIntolerance,
  Bundle,
  BundleEntry,
  CareTeam,
  CodeableConcept,
  Composition,
  CompositionSection,
  Condition,
  Consent,
  Device,
  DeviceUseStatement,
  Extension,
  FhirResource,
  HumanName,
  MedicationStatement,
  Narrative,
  Observation,
  Patient,
  Provenance,
  Reference,
} from "fhir/r4";
import { toTokyoIso } from "@tsunagu/service-kit";
import type { ProfileSection } from "./generated/resolvers-types";
import type { AllergyRecord, ConditionRecord, DeviceRecord, MedicationRecord, PersonRecord } from "./domain";
import { itemSource } from "./item-sources";
import type { ItemSourceRecord, StoredSource } from "./item-sources";
import type { ProfileDocument } from "./models";
import { ALL_SECTIONS } from "./sections";
import {
  ABO_CODES,
  ALLERGY_CLINICAL,
  ALLERGY_VERIFICATION,
  CAPACITY_LABELS,
  CARE_LEVEL_LABELS,
  CONDITION_CLINICAL,
  CONDITION_VERIFICATION,
  DATA_ABSENT_REASON,
  DEVICE_CODES,
  DEVICE_LABELS,
  EN_REPRESENTATION,
  ICD10_JP,
  IPS_ABSENT_UNKNOWN,
  IPS_PROFILES,
  IPS_SECTIONS,
  LOINC,
  NO_KNOWN,
  OBSERVATION_CATEGORY,
  PLACE_LABELS,
  PROVENANCE_AGENT_TYPE,
  RESUSCITATION_LABELS,
  RH_CODES,
  SNOMED,
} from "./fhir-terminology";

/** The sections about the record itself rather than its handling (consent, review, card, sharing, candidates). */
const NOT_EXPORTED: ReadonlySet<ProfileSection> = new Set(["CONSENT", "REVIEW_STATUS", "CARD", "SHARING", "CANDIDATES"]);

/** What the export carries, in the schema's order; the log entry of an export names exactly these sections. */
export const FHIR_SECTIONS: ProfileSection[] = ALL_SECTIONS.filter((section) => !NOT_EXPORTED.has(section));

/**
 * Where the export's identifiers come from: a URI the municipality controls (its public origin, say). The resident is
 * identified in `<base>/emergency-registry` (the city's registry of emergency information), the care team's institutions
 * in `<base>/resources` and professionals in `<base>/members` (the city's directory served by Tsunagu).
 */
export interface FhirExportSettings {
  identifierBase: string;
}

/** A stable urn:uuid for one resource of a profile, so that re-imports of the same profile line up. */
function fullUrlFor(profile: ProfileDocument, ...parts: (string | number)[]): string {
  const hex = createHash("sha256")
    .update([profile._id.toHexString(), ...parts].join("/"))
    .digest("hex");
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** Generated XHTML narrative: one paragraph per line, or a list. */
function narrative(lines: readonly string[], asList = false): Narrative {
  const body =
    lines.length === 0
      ? "<p>情報なし (No information)</p>"
      : asList
        ? `<ul>${lines.map((line) => `<li>${escapeXml(line)}</li>`).join("")}</ul>`
        : lines.map((line) => `<p>${escapeXml(line)}</p>`).join("");
  return { status: "generated", div: `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>` };
}

const representation = (code: "IDE" | "SYL"): Extension[] => [{ url: EN_REPRESENTATION, valueCode: code }];

/** 山田 花子 → family 山田, given [花子]; a name without a space is kept as text only. */
function humanName(full: string, code: "IDE" | "SYL"): HumanName {
  const [family, ...given] = full.split(" ");
  return { extension: representation(code), use: "official", text: full, ...(given.length > 0 ? { family, given } : {}) };
}

/** An item's source as read (items stored before sources were recorded read as UNRECORDED, see item-sources.ts). */
const sourceOf = (item: { source?: StoredSource } | null): ItemSourceRecord => itemSource(item?.source);
const isConfirmed = (source: ItemSourceRecord) => source.verification === "CLINICIAN_CONFIRMED";
type Stored<T> = T & { source?: StoredSource };

const coding = (system: string, code: string, display?: string): CodeableConcept["coding"] => [{ system, code, ...(display === undefined ? {} : { display }) }];
const unknownAbsent = { extension: [{ url: DATA_ABSENT_REASON, valueCode: "unknown" }] };
const meta = (profile: string) => ({ meta: { profile: [profile] } });

/** The people a Provenance names as vouching for items: who reported them (informant) or who confirmed them (verifier). */
interface Voucher {
  role: "informant" | "verifier";
  who: Reference;
  targets: Reference[];
  recorded: Date | null;
}

/** Collects the Bundle's entries, each under a stable urn:uuid, and who vouches for each item (its reporter, and its confirmer if any). */
class DocumentBuilder {
  readonly entries: BundleEntry<FhirResource>[] = [];
  readonly vouchers = new Map<string, Voucher>();

  constructor(
    private readonly profile: ProfileDocument,
    private readonly settings: FhirExportSettings,
    readonly patient: Reference,
  ) {}

  /** Who reported an item: the patient for their own (or unrecorded) reports, the named delegate for theirs. */
  reporter(source: ItemSourceRecord): Reference {
    const by = source.recordedBy;
    if (source.kind !== "DELEGATE_REPORTED" || by === null) return this.patient;
    return { display: `${by.name ?? "代理人"}${by.relation === null ? "" : `（${by.relation}）`} / delegate` };
  }

  /** The confirming professional, identified in the city's directory of members when they are one. */
  verifier(source: ItemSourceRecord): Reference {
    const by = source.confirmedBy;
    const display = `${by?.name ?? "医療者"}${by?.profession == null ? "" : `（${by.profession}）`}`;
    return {
      ...(by?.memberId == null ? {} : { identifier: { system: `${this.settings.identifierBase}/members`, value: by.memberId } }),
      display,
    };
  }

  private vouch(key: string, voucher: Pick<Voucher, "role" | "who">, target: Reference, at: Date | null): void {
    const existing = this.vouchers.get(key) ?? { ...voucher, targets: [], recorded: null };
    existing.targets.push(target);
    if (at !== null && (existing.recorded === null || at > existing.recorded)) existing.recorded = at;
    this.vouchers.set(key, existing);
  }

  add(kind: string, index: number, resource: FhirResource, source?: ItemSourceRecord): string {
    const fullUrl = fullUrlFor(this.profile, kind, index);
    this.entries.push({ fullUrl, resource });
    if (source !== undefined) {
      const target = { reference: fullUrl };
      this.vouch(`informant:${source.kind}:${source.recordedBy?.subject ?? ""}`, { role: "informant", who: this.reporter(source) }, target, source.recordedAt);
      if (isConfirmed(source)) {
        const by = source.confirmedBy;
        this.vouch(`verifier:${by?.memberId ?? by?.subject ?? ""}`, { role: "verifier", who: this.verifier(source) }, target, source.confirmedAt);
      }
    }
    return fullUrl;
  }
}

function patientOf(profile: ProfileDocument, settings: FhirExportSettings, generalPractitioner: Reference[]): Patient {
  const person: PersonRecord = profile.person;
  const { address } = person;
  const gender = ({ FEMALE: "female", MALE: "male", OTHER: "other", UNKNOWN: "unknown" } as const)[person.sex];
  return {
    resourceType: "Patient",
    ...meta(IPS_PROFILES.Patient),
    language: "ja",
    text: narrative([`${person.name}（${person.kana}）`, `生年月日 ${person.dateOfBirth}`, `${address.prefecture}${address.city}${address.street}`]),
    identifier: [
      {
        use: "secondary",
        type: { text: "救急医療情報登録番号 / Emergency information registry number" },
        system: `${settings.identifierBase}/emergency-registry`,
        value: profile._id.toHexString(),
        assigner: { display: `${address.prefecture}${address.city}` },
      },
    ],
    name: [humanName(person.name, "IDE"), humanName(person.kana, "SYL")],
    gender,
    birthDate: person.dateOfBirth,
    ...(person.phone === null ? {} : { telecom: [{ system: "phone", value: person.phone, use: "home" }] }),
    address: [
      {
        use: "home",
        text: `${address.postalCode === null ? "" : `〒${address.postalCode} `}${address.prefecture}${address.city}${address.street}${address.building ?? ""}`,
        ...(address.postalCode === null ? {} : { postalCode: address.postalCode }),
        state: address.prefecture,
        city: address.city,
        line: [address.street, ...(address.building === null ? [] : [address.building])],
        country: "JP",
      },
    ],
    ...(person.photoUrl === null ? {} : { photo: [{ url: person.photoUrl, title: "顔写真" }] }),
    ...(generalPractitioner.length === 0 ? {} : { generalPractitioner }),
    ...(profile.emergencyContacts.length === 0
      ? {}
      : {
          contact: profile.emergencyContacts.map((contact, index) => ({
            relationship: [{ coding: coding("http://terminology.hl7.org/CodeSystem/v2-0131", "C", "Emergency Contact") }, { text: contact.relation }],
            name: { text: contact.name },
            telecom: [{ system: "phone" as const, value: contact.phone, rank: index + 1 }],
          })),
        }),
  };
}

const verification = (system: string, source: ItemSourceRecord): CodeableConcept => ({
  coding: coding(system, isConfirmed(source) ? "confirmed" : "unconfirmed"),
});
const active = (system: string): CodeableConcept => ({ coding: coding(system, "active") });
const problemListItem: CodeableConcept[] = [
  { coding: coding("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item") },
];

function conditionOf(builder: DocumentBuilder, condition: Stored<ConditionRecord>): Condition {
  const { patient } = builder;
  const source = sourceOf(condition);
  return {
    resourceType: "Condition",
    ...meta(IPS_PROFILES.Condition),
    clinicalStatus: active(CONDITION_CLINICAL),
    verificationStatus: verification(CONDITION_VERIFICATION, source),
    category: problemListItem,
    code: { ...(condition.icd10 === null ? {} : { coding: coding(ICD10_JP, condition.icd10) }), text: condition.name },
    subject: patient,
    asserter: builder.reporter(source),
    ...(condition.since === null ? {} : { onsetDateTime: condition.since }),
    ...(condition.note === null ? {} : { note: [{ text: condition.note }] }),
  };
}

function medicationOf(builder: DocumentBuilder, medication: Stored<MedicationRecord>): MedicationStatement {
  const { patient } = builder;
  return {
    resourceType: "MedicationStatement",
    ...meta(IPS_PROFILES.MedicationStatement),
    status: "active",
    medicationCodeableConcept: { text: medication.name },
    subject: patient,
    // IPS requires effective[x]; when the start is not known it says so with a data-absent-reason.
    ...(medication.since === null ? { _effectiveDateTime: unknownAbsent } : { effectivePeriod: { start: medication.since } }),
    informationSource: builder.reporter(sourceOf(medication)),
    ...(medication.dosage === null ? {} : { dosage: [{ text: medication.dosage }] }),
    ...(medication.note === null ? {} : { note: [{ text: medication.note }] }),
  };
}

function allergyOf(builder: DocumentBuilder, allergy: Stored<AllergyRecord>): AllergyIntolerance {
  const { patient } = builder;
  const source = sourceOf(allergy);
  const severity = allergy.severity === null ? undefined : ({ MILD: "mild", MODERATE: "moderate", SEVERE: "severe" } as const)[allergy.severity];
  return {
    resourceType: "AllergyIntolerance",
    ...meta(IPS_PROFILES.AllergyIntolerance),
    clinicalStatus: active(ALLERGY_CLINICAL),
    verificationStatus: verification(ALLERGY_VERIFICATION, source),
    ...(allergy.severity === "SEVERE" ? { criticality: "high" as const } : {}),
    code: { text: allergy.substance },
    patient,
    asserter: builder.reporter(source),
    ...(allergy.since === null ? {} : { onsetDateTime: allergy.since }),
    ...(allergy.reaction === null ? {} : { reaction: [{ manifestation: [{ text: allergy.reaction }], ...(severity === undefined ? {} : { severity }) }] }),
    ...(allergy.note === null ? {} : { note: [{ text: allergy.note }] }),
  };
}

const noKnown = (key: keyof typeof NO_KNOWN): CodeableConcept => ({
  coding: coding(IPS_ABSENT_UNKNOWN, NO_KNOWN[key].code, NO_KNOWN[key].display),
  text: NO_KNOWN[key].text,
});

/** IPS's "no known problems / medications / allergies" statements, for a resident who declared none. */
function noKnownProblems(patient: Reference): Condition {
  return {
    resourceType: "Condition",
    ...meta(IPS_PROFILES.Condition),
    clinicalStatus: active(CONDITION_CLINICAL),
    category: problemListItem,
    code: noKnown("problems"),
    subject: patient,
  };
}
function noKnownMedications(patient: Reference): MedicationStatement {
  return {
    resourceType: "MedicationStatement",
    ...meta(IPS_PROFILES.MedicationStatement),
    status: "active",
    medicationCodeableConcept: noKnown("medications"),
    subject: patient,
    _effectiveDateTime: unknownAbsent,
    informationSource: patient,
  };
}
function noKnownAllergies(patient: Reference): AllergyIntolerance {
  return {
    resourceType: "AllergyIntolerance",
    ...meta(IPS_PROFILES.AllergyIntolerance),
    clinicalStatus: active(ALLERGY_CLINICAL),
    code: noKnown("allergies"),
    patient,
  };
}

/** An implant as IPS wants it: the Device (typed with SNOMED CT where the kind has a code) and the statement of its use. */
function deviceOf(builder: DocumentBuilder, device: Stored<DeviceRecord> | null): { device: Device; use: (deviceUrl: string) => DeviceUseStatement } {
  const { patient } = builder;
  const known = device === null ? undefined : DEVICE_CODES[device.kind];
  const label = device === null ? NO_KNOWN.devices.text : `${DEVICE_LABELS[device.kind]}${device.description === null ? "" : ` ${device.description}`}`;
  return {
    device: {
      resourceType: "Device",
      ...meta(IPS_PROFILES.Device),
      type: device === null ? noKnown("devices") : { ...(known === undefined ? {} : { coding: coding(SNOMED, known.code, known.display) }), text: label },
      patient,
      ...(device?.note == null ? {} : { note: [{ text: device.note }] }),
    },
    use: (deviceUrl) => ({
      resourceType: "DeviceUseStatement",
      ...meta(IPS_PROFILES.DeviceUseStatement),
      status: "active",
      subject: patient,
      device: { reference: deviceUrl, display: label },
      source: builder.reporter(sourceOf(device)),
      ...(device?.since == null ? { _timingDateTime: unknownAbsent } : { timingDateTime: device.since }),
    }),
  };
}

/** The blood group as a laboratory result (LOINC 882-1) with its ABO (883-9) and RhD (10331-7) components. */
function bloodGroupOf(profile: ProfileDocument, patient: Reference): Observation | null {
  const blood = profile.bloodType;
  const abo = blood === null ? undefined : ABO_CODES[blood.abo];
  const rh = blood === null ? undefined : RH_CODES[blood.rh];
  if (abo === undefined && rh === undefined) return null;
  const label = `${abo?.label ?? "ABO不明"} ${rh?.label ?? "Rh不明"}`;
  return {
    resourceType: "Observation",
    ...meta(IPS_PROFILES.LaboratoryResult),
    status: "final",
    category: [{ coding: coding(OBSERVATION_CATEGORY, "laboratory", "Laboratory") }],
    code: { coding: coding(LOINC, "882-1", "ABO and Rh group [Type] in Blood"), text: "血液型 / Blood group" },
    subject: patient,
    _effectiveDateTime: unknownAbsent,
    performer: [patient],
    valueCodeableConcept: { text: label },
    component: [
      ...(abo === undefined
        ? []
        : [
            {
              code: { coding: coding(LOINC, "883-9", "ABO group [Type] in Blood") },
              valueCodeableConcept: { coding: coding(SNOMED, abo.code, abo.display), text: abo.label },
            },
          ]),
      ...(rh === undefined
        ? []
        : [
            {
              code: { coding: coding(LOINC, "10331-7", "Rh [Type] in Blood") },
              valueCodeableConcept: { coding: coding(SNOMED, rh.code, rh.display), text: rh.label },
            },
          ]),
    ],
  };
}

/** Care level (要介護度) and living situation as social-history observations, each with the source of its item. */
function socialHistoryOf(profile: ProfileDocument, patient: Reference, now: Date): { observation: Observation; source: ItemSourceRecord }[] {
  const observation = (code: CodeableConcept, value: CodeableConcept, note?: string | null): Observation => ({
    resourceType: "Observation",
    status: "final",
    category: [{ coding: coding(OBSERVATION_CATEGORY, "social-history", "Social History") }],
    code,
    subject: patient,
    effectiveDateTime: toTokyoIso(profile.lastReviewedAt ?? now),
    valueCodeableConcept: value,
    ...(note == null ? {} : { note: [{ text: note }] }),
  });
  const observations: { observation: Observation; source: ItemSourceRecord }[] = [];
  if (profile.careLevel !== null) {
    observations.push({
      observation: observation({ text: "要介護度 / Long-term care need level (介護保険)" }, { text: CARE_LEVEL_LABELS[profile.careLevel] }),
      source: itemSource(profile.careLevelSource),
    });
  }
  const living = profile.livingSituation;
  if (living !== null) {
    const source = sourceOf(living);
    const household = living.livesAlone ? { coding: coding(SNOMED, "105529008", "Lives alone"), text: "独居" } : { text: "同居者あり" };
    observations.push(
      { observation: observation({ text: "同居の状況 / Household" }, household, living.note), source },
      { observation: observation({ text: "家族の介護力 / Family care capacity" }, { text: CAPACITY_LABELS[living.familyCareCapacity] }), source },
    );
  }
  return observations;
}

/** The advance directive (人生会議) as an R4 Consent of scope `adr`; the resuscitation wish is its provision. */
function advanceDirectiveOf(profile: ProfileDocument, patient: Reference): Consent | null {
  const plan = profile.advanceCare;
  if (plan === null) return null;
  const cpr: CodeableConcept = { coding: coding(SNOMED, "89666000", "Cardiopulmonary resuscitation (procedure)"), text: "心肺蘇生" };
  return {
    resourceType: "Consent",
    language: "ja",
    text: narrative([
      `心肺蘇生: ${RESUSCITATION_LABELS[plan.resuscitation]}`,
      `希望する療養場所: ${PLACE_LABELS[plan.preferredPlaceOfCare]}`,
      ...(plan.notes === null ? [] : [`本人の言葉: ${plan.notes}`]),
      ...(plan.discussedWith.length === 0 ? [] : [`話し合った相手: ${plan.discussedWith.join("、")}`]),
    ]),
    status: "active",
    scope: { coding: coding("http://terminology.hl7.org/CodeSystem/consentscope", "adr", "Advanced Care Directive") },
    category: [{ coding: coding("http://terminology.hl7.org/CodeSystem/consentcategorycodes", "acd", "Advance Directive"), text: "人生会議（ACP）" }],
    patient,
    dateTime: toTokyoIso(plan.recordedAt),
    policyRule: { text: "人生会議（アドバンス・ケア・プランニング）で本人が示した意思 / Wishes expressed in advance care planning" },
    ...(plan.resuscitation === "UNDECIDED"
      ? {}
      : { provision: { type: plan.resuscitation === "DNAR" ? ("deny" as const) : ("permit" as const), code: [cpr] } }),
  };
}

/** The care team's roles, each naming the directory entry (Resource or Member) the profile points at. */
const CARE_TEAM_ROLES = [
  { field: "primaryHospitalId", kind: "Organization", directory: "resources", role: "かかりつけ病院 / Primary hospital" },
  { field: "visitingNursingStationId", kind: "Organization", directory: "resources", role: "訪問看護ステーション / Visiting nursing station" },
  { field: "primaryPhysicianId", kind: "Practitioner", directory: "members", role: "主治医 / Primary physician" },
  { field: "careManagerId", kind: "Practitioner", directory: "members", role: "ケアマネジャー / Care manager" },
] as const;

/** The care team as a CareTeam whose members are Organizations and Practitioners identified in the city's directory. */
function careTeamOf(builder: DocumentBuilder, profile: ProfileDocument, patient: Reference, settings: FhirExportSettings) {
  const participants: { role: string; member: Reference; line: string }[] = [];
  CARE_TEAM_ROLES.forEach((entry, index) => {
    const id = profile.careTeam[entry.field];
    if (id === null) return;
    const identifier = [{ system: `${settings.identifierBase}/${entry.directory}`, value: id }];
    const resource: FhirResource =
      entry.kind === "Organization" ? { resourceType: "Organization", identifier, active: true } : { resourceType: "Practitioner", identifier, active: true };
    const reference = builder.add(entry.kind, index, resource);
    participants.push({ role: entry.role, member: { reference, display: entry.role }, line: `${entry.role}: ${identifier[0]?.system}|${id}` });
  });
  if (participants.length === 0) return { team: null, generalPractitioner: [] as Reference[], lines: [] as string[] };
  const team: CareTeam = {
    resourceType: "CareTeam",
    status: "active",
    name: "在宅療養を支えるチーム / Home care team",
    subject: patient,
    participant: participants.map(({ role, member }) => ({ role: [{ text: role }], member })),
  };
  return {
    team,
    generalPractitioner: participants.filter((p) => p.role.startsWith("かかりつけ") || p.role.startsWith("主治医")).map((p) => p.member),
    lines: participants.map((p) => p.line),
  };
}

/** Who vouches for which items: an informant (the resident or a delegate) for what they reported, a verifier for what a professional confirmed. */
function provenanceOf(voucher: Voucher, fallback: Date): Provenance {
  const verifier = voucher.role === "verifier";
  return {
    resourceType: "Provenance",
    target: voucher.targets,
    recorded: (voucher.recorded ?? fallback).toISOString(),
    agent: [{ type: { coding: coding(PROVENANCE_AGENT_TYPE, voucher.role, verifier ? "Verifier" : "Informant") }, who: voucher.who }],
    reason: [{ text: verifier ? "医療者が確認した情報 / Confirmed by a clinician" : "本人・家族の申告 / Reported by the resident or family" }],
  };
}

function section(key: keyof typeof IPS_SECTIONS, text: Narrative, entries: readonly string[]): CompositionSection {
  const { code, display, title } = IPS_SECTIONS[key];
  return {
    title,
    code: { coding: coding(LOINC, code, display) },
    text,
    ...(entries.length === 0
      ? { emptyReason: { coding: coding("http://terminology.hl7.org/CodeSystem/list-empty-reason", "unavailable") } }
      : { entry: entries.map((reference) => ({ reference })) }),
  };
}

/**
 * The profile as a FHIR R4 `document` Bundle conforming to IPS: the Composition first, then the Patient and each entry.
 * The three sections IPS requires (problems, medications, allergies) always hold entries: the items, or IPS's "no known"
 * statement when the resident declared none. Every resource is addressed by a stable urn:uuid; the Bundle's own
 * identifier is new for each export.
 */
export function emergencyProfileBundle(profile: ProfileDocument, now: Date, settings: FhirExportSettings): Bundle {
  const patientUrl = fullUrlFor(profile, "Patient");
  const patient: Reference = { reference: patientUrl, display: profile.person.name };
  const builder = new DocumentBuilder(profile, settings, patient);
  // IPS's "no known" statements stand for the resident's own declaration.
  const declaredNone = itemSource({
    kind: "SELF_REPORTED",
    recordedAt: profile.createdAt,
    recordedBy: null,
    verification: "UNCONFIRMED",
    confirmedAt: null,
    confirmedBy: null,
  });
  const patientIndex = builder.entries.length;
  const careTeam = careTeamOf(builder, profile, patient, settings);
  builder.entries.splice(patientIndex, 0, { fullUrl: patientUrl, resource: patientOf(profile, settings, careTeam.generalPractitioner) });

  const conditions =
    profile.conditions.length === 0
      ? [builder.add("Condition", 0, noKnownProblems(patient), declaredNone)]
      : profile.conditions.map((c, i) => builder.add("Condition", i, conditionOf(builder, c), sourceOf(c)));
  const medications =
    profile.medications.length === 0
      ? [builder.add("MedicationStatement", 0, noKnownMedications(patient), declaredNone)]
      : profile.medications.map((m, i) => builder.add("MedicationStatement", i, medicationOf(builder, m), sourceOf(m)));
  const allergies =
    profile.allergies.length === 0
      ? [builder.add("AllergyIntolerance", 0, noKnownAllergies(patient), declaredNone)]
      : profile.allergies.map((a, i) => builder.add("AllergyIntolerance", i, allergyOf(builder, a), sourceOf(a)));
  const devices = (profile.implantedDevices.length === 0 ? [null] : profile.implantedDevices).map((record, i) => {
    const { device, use } = deviceOf(builder, record);
    const deviceUrl = builder.add("Device", i, device);
    return builder.add("DeviceUseStatement", i, use(deviceUrl), record === null ? declaredNone : sourceOf(record));
  });
  const blood = bloodGroupOf(profile, patient);
  const results = blood === null ? [] : [builder.add("Observation", 0, blood, sourceOf(profile.bloodType))];
  const social = socialHistoryOf(profile, patient, now).map(({ observation, source }, i) => builder.add("Observation", i + 1, observation, source));
  const team = careTeam.team === null ? [] : [builder.add("CareTeam", 0, careTeam.team, sourceOf(profile.careTeam))];
  const directive = advanceDirectiveOf(profile, patient);
  const directives = directive === null ? [] : [builder.add("Consent", 0, directive, sourceOf(profile.advanceCare))];
  [...builder.vouchers.values()].forEach((voucher, i) => builder.add("Provenance", i, provenanceOf(voucher, profile.updatedAt)));

  const living = profile.livingSituation;
  const composition: Composition = {
    resourceType: "Composition",
    ...meta(IPS_PROFILES.Composition),
    language: "ja",
    text: narrative([`${profile.person.name} の救急医療情報（国際患者サマリー）`]),
    status: "final",
    type: { coding: coding(LOINC, "60591-5", "Patient summary Document") },
    subject: patient,
    date: toTokyoIso(now),
    author: [patient],
    title: "国際患者サマリー（救急医療情報） / International Patient Summary",
    confidentiality: "R",
    section: [
      section(
        "problems",
        narrative(
          profile.conditions.length === 0 ? [NO_KNOWN.problems.text] : profile.conditions.map((c) => `${c.name}${c.since === null ? "" : `（${c.since}〜）`}`),
          true,
        ),
        conditions,
      ),
      section(
        "medications",
        narrative(
          profile.medications.length === 0
            ? [NO_KNOWN.medications.text]
            : profile.medications.map((m) => `${m.name}${m.dosage === null ? "" : ` ${m.dosage}`}`),
          true,
        ),
        medications,
      ),
      section(
        "allergies",
        narrative(
          profile.allergies.length === 0
            ? [NO_KNOWN.allergies.text]
            : profile.allergies.map((a) => `${a.substance}${a.reaction === null ? "" : `: ${a.reaction}`}`),
          true,
        ),
        allergies,
      ),
      section(
        "devices",
        narrative(
          profile.implantedDevices.length === 0
            ? [NO_KNOWN.devices.text]
            : profile.implantedDevices.map((d) => `${DEVICE_LABELS[d.kind]}${d.description === null ? "" : ` ${d.description}`}`),
          true,
        ),
        devices,
      ),
      ...(blood === null ? [] : [section("results", narrative([`血液型: ${blood.valueCodeableConcept?.text ?? ""}`]), results)]),
      ...(social.length === 0
        ? []
        : [
            section(
              "socialHistory",
              narrative([
                ...(profile.careLevel === null ? [] : [`要介護度: ${CARE_LEVEL_LABELS[profile.careLevel]}`]),
                ...(living === null
                  ? []
                  : [
                      `独居: ${living.livesAlone ? "はい" : "いいえ"}`,
                      `家族の介護力: ${CAPACITY_LABELS[living.familyCareCapacity]}`,
                      ...(living.keyPerson === null ? [] : [`キーパーソン: ${living.keyPerson.name}（${living.keyPerson.relation}）`]),
                    ]),
              ]),
              social,
            ),
          ]),
      ...(team.length === 0 ? [] : [section("planOfCare", narrative(careTeam.lines, true), team)]),
      section("advanceDirectives", directive?.text ?? narrative([]), directives),
    ],
  };
  const compositionUrl = fullUrlFor(profile, "Composition");
  return {
    resourceType: "Bundle",
    ...meta(IPS_PROFILES.Bundle),
    language: "ja",
    identifier: { system: "urn:ietf:rfc:3986", value: `urn:uuid:${randomUUID()}` },
    type: "document",
    timestamp: toTokyoIso(now),
    entry: [{ fullUrl: compositionUrl, resource: composition }, ...builder.entries],
  };
}
