// The profile as a FHIR R4 document Bundle aligned with the International Patient Summary: Composition, Patient, Condition, MedicationStatement, AllergyIntolerance and the advance directive as a Consent, with Japanese text.
import { createHash, randomUUID } from "node:crypto";
import type {
  AllergyIntolerance,
  Bundle,
  BundleEntry,
  CodeableConcept,
  Composition,
  CompositionSection,
  Condition,
  Consent,
  Extension,
  FhirResource,
  HumanName,
  MedicationStatement,
  Narrative,
  Patient,
  Reference,
} from "fhir/r4";
import { toTokyoIso } from "@tsunagu/service-kit";
import type { ProfileSection } from "./generated/resolvers-types";
import type { ConditionRecord, MedicationRecord, PersonRecord } from "./domain";
import type { ProfileDocument } from "./models";

/** What the export carries; the log entry of an export names exactly these sections. */
export const FHIR_SECTIONS: ProfileSection[] = [
  "PERSON", "CONDITIONS", "MEDICATIONS", "ALLERGIES", "IMPLANTED_DEVICES", "CARE_LEVEL", "LIVING_SITUATION", "EMERGENCY_CONTACTS", "ADVANCE_CARE",
];

const LOINC = "http://loinc.org";
const SNOMED = "http://snomed.info/sct";
const ICD10 = "http://hl7.org/fhir/sid/icd-10";
const EN_REPRESENTATION = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation";
const DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
/** Identifies Tsunagu's emergency profiles among a hospital's patient identifiers. */
export const PROFILE_IDENTIFIER_SYSTEM = "urn:tsunagu:emergency-profile";

/** The IPS sections this export fills, with their LOINC codes. */
export const IPS_SECTIONS = {
  problems: { code: "11450-4", display: "Problem list - Reported", title: "病名・既往歴 (Problems)" },
  medications: { code: "10160-0", display: "History of Medication use Narrative", title: "服薬 (Medication summary)" },
  allergies: { code: "48765-2", display: "Allergies and adverse reactions Document", title: "アレルギー (Allergies and intolerances)" },
  devices: { code: "46264-8", display: "History of medical device use", title: "体内医療機器 (Medical devices)" },
  socialHistory: { code: "29762-2", display: "Social history Narrative", title: "生活状況・要介護度 (Social history)" },
  advanceDirectives: { code: "42348-3", display: "Advance directives", title: "人生会議の意思 (Advance directives)" },
} as const;

const CARE_LEVEL_LABELS: Readonly<Record<string, string>> = {
  INDEPENDENT: "自立", PROGRAM_ELIGIBLE: "事業対象者", SUPPORT_1: "要支援1", SUPPORT_2: "要支援2",
  CARE_1: "要介護1", CARE_2: "要介護2", CARE_3: "要介護3", CARE_4: "要介護4", CARE_5: "要介護5",
};
const PLACE_LABELS: Readonly<Record<string, string>> = {
  HOME: "自宅", HOSPITAL: "病院", CARE_FACILITY: "介護施設", PALLIATIVE_CARE_UNIT: "緩和ケア病棟", UNDECIDED: "未定",
};
const RESUSCITATION_LABELS: Readonly<Record<string, string>> = {
  FULL_RESUSCITATION: "心肺蘇生を希望する", DNAR: "心肺蘇生を希望しない（DNAR）", UNDECIDED: "未定",
};
const DEVICE_LABELS: Readonly<Record<string, string>> = {
  PACEMAKER: "ペースメーカー", ICD: "植込み型除細動器", INSULIN_PUMP: "インスリンポンプ", COCHLEAR_IMPLANT: "人工内耳",
  SHUNT: "脳室シャント", ARTIFICIAL_JOINT: "人工関節", STENT: "ステント", OTHER: "その他",
};
const CAPACITY_LABELS: Readonly<Record<string, string>> = { SUFFICIENT: "十分", LIMITED: "限られている", NONE: "なし", UNKNOWN: "不明" };

/** A stable urn:uuid for one resource of a profile, so that re-imports of the same profile line up. */
function fullUrlFor(profile: ProfileDocument, ...parts: (string | number)[]): string {
  const hex = createHash("sha256").update([profile._id.toHexString(), ...parts].join("/")).digest("hex");
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** Generated XHTML narrative: one paragraph per line, or a list. */
function narrative(lines: readonly string[], asList = false): Narrative {
  const body = lines.length === 0
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

function patientOf(profile: ProfileDocument): Patient {
  const person: PersonRecord = profile.person;
  const { address } = person;
  const gender = ({ FEMALE: "female", MALE: "male", OTHER: "other", UNKNOWN: "unknown" } as const)[person.sex];
  return {
    resourceType: "Patient",
    language: "ja",
    text: narrative([`${person.name}（${person.kana}）`, `生年月日 ${person.dateOfBirth}`, `${address.prefecture}${address.city}${address.street}`]),
    identifier: [{ system: PROFILE_IDENTIFIER_SYSTEM, value: profile._id.toHexString() }],
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
    ...(profile.emergencyContacts.length === 0
      ? {}
      : {
          contact: profile.emergencyContacts.map((contact, index) => ({
            relationship: [
              { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0131", code: "C", display: "Emergency Contact" }] },
              { text: contact.relation },
            ],
            name: { text: contact.name },
            telecom: [{ system: "phone", value: contact.phone, rank: index + 1 }],
          })),
        }),
  };
}

const verification = (system: string, source: ConditionRecord["source"]): CodeableConcept => ({
  coding: [{ system, code: source === "CLINICIAN_CONFIRMED" ? "confirmed" : "unconfirmed" }],
});

function conditionOf(condition: ConditionRecord, patient: Reference): Condition {
  return {
    resourceType: "Condition",
    clinicalStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }] },
    verificationStatus: verification("http://terminology.hl7.org/CodeSystem/condition-ver-status", condition.source),
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-category", code: "problem-list-item" }] }],
    code: { ...(condition.icd10 === null ? {} : { coding: [{ system: ICD10, code: condition.icd10 }] }), text: condition.name },
    subject: patient,
    ...(condition.since === null ? {} : { onsetDateTime: condition.since }),
    ...(condition.note === null ? {} : { note: [{ text: condition.note }] }),
  };
}

function medicationOf(medication: MedicationRecord, patient: Reference): MedicationStatement {
  return {
    resourceType: "MedicationStatement",
    status: "active",
    medicationCodeableConcept: { text: medication.name },
    subject: patient,
    // IPS requires effective[x]; when the start is not known it says so with a data-absent-reason.
    ...(medication.since === null
      ? { _effectiveDateTime: { extension: [{ url: DATA_ABSENT_REASON, valueCode: "unknown" }] } }
      : { effectivePeriod: { start: medication.since } }),
    ...(medication.source === "SELF_REPORTED" ? { informationSource: patient } : {}),
    ...(medication.dosage === null ? {} : { dosage: [{ text: medication.dosage }] }),
    ...(medication.note === null ? {} : { note: [{ text: medication.note }] }),
  };
}

function allergyOf(allergy: ProfileDocument["allergies"][number], patient: Reference): AllergyIntolerance {
  const severity = allergy.severity === null ? undefined : (({ MILD: "mild", MODERATE: "moderate", SEVERE: "severe" } as const)[allergy.severity]);
  return {
    resourceType: "AllergyIntolerance",
    clinicalStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: "active" }] },
    verificationStatus: verification("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", allergy.source),
    ...(allergy.severity === "SEVERE" ? { criticality: "high" as const } : {}),
    code: { text: allergy.substance },
    patient,
    ...(allergy.since === null ? {} : { onsetDateTime: allergy.since }),
    ...(allergy.reaction === null ? {} : { reaction: [{ manifestation: [{ text: allergy.reaction }], ...(severity === undefined ? {} : { severity }) }] }),
    ...(allergy.note === null ? {} : { note: [{ text: allergy.note }] }),
  };
}

/** The advance directive (人生会議) as an R4 Consent of scope `adr`; the resuscitation wish is its provision. */
function advanceDirectiveOf(profile: ProfileDocument, patient: Reference): Consent | null {
  const plan = profile.advanceCare;
  if (plan === null) return null;
  const cpr: CodeableConcept = { coding: [{ system: SNOMED, code: "89666000", display: "Cardiopulmonary resuscitation (procedure)" }], text: "心肺蘇生" };
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
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "adr", display: "Advanced Care Directive" }] },
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentcategorycodes", code: "acd", display: "Advance Directive" }], text: "人生会議（ACP）" },
    ],
    patient,
    dateTime: toTokyoIso(plan.recordedAt),
    policyRule: { text: "人生会議（アドバンス・ケア・プランニング）で本人が示した意思 / Wishes expressed in advance care planning" },
    ...(plan.resuscitation === "UNDECIDED" ? {} : { provision: { type: plan.resuscitation === "DNAR" ? "deny" : "permit", code: [cpr] } }),
  };
}

function section(key: keyof typeof IPS_SECTIONS, text: Narrative, entries: readonly string[]): CompositionSection {
  const { code, display, title } = IPS_SECTIONS[key];
  return {
    title,
    code: { coding: [{ system: LOINC, code, display }] },
    text,
    ...(entries.length === 0
      ? { emptyReason: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/list-empty-reason", code: "unavailable" }] } }
      : { entry: entries.map((reference) => ({ reference })) }),
  };
}

/**
 * The profile as a FHIR R4 `document` Bundle: the IPS Composition first, then the Patient and each entry. Every
 * resource is addressed by a stable urn:uuid; the Bundle's own identifier is new for each export.
 */
export function emergencyProfileBundle(profile: ProfileDocument, now: Date): Bundle {
  const patientUrl = fullUrlFor(profile, "Patient");
  const patient: Reference = { reference: patientUrl, display: profile.person.name };
  const entries: BundleEntry<FhirResource>[] = [{ fullUrl: patientUrl, resource: patientOf(profile) }];
  const add = (kind: string, index: number, resource: FhirResource): string => {
    const fullUrl = fullUrlFor(profile, kind, index);
    entries.push({ fullUrl, resource });
    return fullUrl;
  };
  const conditions = profile.conditions.map((c, i) => add("Condition", i, conditionOf(c, patient)));
  const medications = profile.medications.map((m, i) => add("MedicationStatement", i, medicationOf(m, patient)));
  const allergies = profile.allergies.map((a, i) => add("AllergyIntolerance", i, allergyOf(a, patient)));
  const directive = advanceDirectiveOf(profile, patient);
  const directives = directive === null ? [] : [add("Consent", 0, directive)];

  const living = profile.livingSituation;
  const composition: Composition = {
    resourceType: "Composition",
    language: "ja",
    text: narrative([`${profile.person.name} の救急医療情報（国際患者サマリー）`]),
    status: "final",
    type: { coding: [{ system: LOINC, code: "60591-5", display: "Patient summary Document" }] },
    subject: patient,
    date: toTokyoIso(now),
    author: [patient],
    title: "国際患者サマリー（救急医療情報） / International Patient Summary",
    confidentiality: "R",
    section: [
      section("problems", narrative(profile.conditions.map((c) => `${c.name}${c.since === null ? "" : `（${c.since}〜）`}`), true), conditions),
      section("medications", narrative(profile.medications.map((m) => `${m.name}${m.dosage === null ? "" : ` ${m.dosage}`}`), true), medications),
      section("allergies", narrative(profile.allergies.map((a) => `${a.substance}${a.reaction === null ? "" : `: ${a.reaction}`}`), true), allergies),
      section("devices", narrative(profile.implantedDevices.map((d) => `${DEVICE_LABELS[d.kind]}${d.description === null ? "" : ` ${d.description}`}`), true), []),
      section(
        "socialHistory",
        narrative([
          `要介護度: ${profile.careLevel === null ? "不明" : CARE_LEVEL_LABELS[profile.careLevel]}`,
          ...(living === null
            ? []
            : [
                `独居: ${living.livesAlone ? "はい" : "いいえ"}`,
                `家族の介護力: ${CAPACITY_LABELS[living.familyCareCapacity]}`,
                ...(living.keyPerson === null ? [] : [`キーパーソン: ${living.keyPerson.name}（${living.keyPerson.relation}）`]),
              ]),
        ]),
        [],
      ),
      section("advanceDirectives", directive?.text ?? narrative([]), directives),
    ],
  };
  const compositionUrl = fullUrlFor(profile, "Composition");
  return {
    resourceType: "Bundle",
    language: "ja",
    identifier: { system: "urn:ietf:rfc:3986", value: `urn:uuid:${randomUUID()}` },
    type: "document",
    timestamp: toTokyoIso(now),
    entry: [{ fullUrl: compositionUrl, resource: composition }, ...entries],
  };
}
