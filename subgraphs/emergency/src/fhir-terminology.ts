// The code systems, profiles and codes the FHIR export uses (IPS, LOINC, SNOMED CT, JP Core), and the Japanese labels of the profile's enums.

export const LOINC = "http://loinc.org";
export const SNOMED = "http://snomed.info/sct";
/** JP Core's system for ICD-10 (2013, as the health ministry publishes it). */
export const ICD10_JP = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full";
/** IPS's codes for "no known …" and "no information about …" statements in required sections. */
export const IPS_ABSENT_UNKNOWN = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips";
export const EN_REPRESENTATION = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation";
export const DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
export const CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical";
export const CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
export const ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
export const ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
export const OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
export const PROVENANCE_AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

const IPS = "http://hl7.org/fhir/uv/ips/StructureDefinition";
/** The IPS profile each exported resource claims (meta.profile). Resources IPS does not profile claim none. */
export const IPS_PROFILES = {
  Bundle: `${IPS}/Bundle-uv-ips`,
  Composition: `${IPS}/Composition-uv-ips`,
  Patient: `${IPS}/Patient-uv-ips`,
  Condition: `${IPS}/Condition-uv-ips`,
  MedicationStatement: `${IPS}/MedicationStatement-uv-ips`,
  AllergyIntolerance: `${IPS}/AllergyIntolerance-uv-ips`,
  Device: `${IPS}/Device-uv-ips`,
  DeviceUseStatement: `${IPS}/DeviceUseStatement-uv-ips`,
  LaboratoryResult: `${IPS}/Observation-results-laboratory-uv-ips`,
  Organization: `${IPS}/Organization-uv-ips`,
  Practitioner: `${IPS}/Practitioner-uv-ips`,
} as const;

/** The IPS sections this export fills, with their LOINC codes; the first three are required by IPS. */
export const IPS_SECTIONS = {
  problems: { code: "11450-4", display: "Problem list - Reported", title: "病名・既往歴 (Problems)" },
  medications: { code: "10160-0", display: "History of Medication use Narrative", title: "服薬 (Medication summary)" },
  allergies: { code: "48765-2", display: "Allergies and adverse reactions Document", title: "アレルギー (Allergies and intolerances)" },
  devices: { code: "46264-8", display: "History of medical device use", title: "体内医療機器 (Medical devices)" },
  results: { code: "30954-2", display: "Relevant diagnostic tests/laboratory data Narrative", title: "血液型 (Results: blood group)" },
  socialHistory: { code: "29762-2", display: "Social history Narrative", title: "生活状況・要介護度 (Social history)" },
  planOfCare: { code: "18776-5", display: "Plan of care note", title: "かかりつけ・ケアチーム (Care team)" },
  advanceDirectives: { code: "42348-3", display: "Advance directives", title: "人生会議の意思 (Advance directives)" },
} as const;

/** IPS's absent/unknown codes for the required sections when the resident declared none. */
export const NO_KNOWN = {
  problems: { code: "no-known-problems", display: "No known problems", text: "既往歴なし（申告） / No known problems" },
  medications: { code: "no-known-medications", display: "No known medications", text: "服薬なし（申告） / No known medications" },
  allergies: { code: "no-known-allergies", display: "No known allergies", text: "アレルギーなし（申告） / No known allergies" },
  devices: { code: "no-known-devices", display: "No known devices in use", text: "体内医療機器なし（申告） / No known devices" },
} as const;

/** SNOMED CT physical-object codes for the implant kinds that have an unambiguous one; the rest are text. */
export const DEVICE_CODES: Readonly<Record<string, { code: string; display: string } | undefined>> = {
  PACEMAKER: { code: "14106009", display: "Cardiac pacemaker" },
  ICD: { code: "72506001", display: "Implantable defibrillator" },
  INSULIN_PUMP: { code: "69805005", display: "Insulin pump" },
  COCHLEAR_IMPLANT: { code: "43252007", display: "Cochlear prosthesis" },
};

/** Blood group (LOINC 883-9) and RhD (LOINC 10331-7) answers in SNOMED CT. */
export const ABO_CODES: Readonly<Record<string, { code: string; display: string; label: string } | undefined>> = {
  A: { code: "112144000", display: "Blood group A", label: "A型" },
  B: { code: "112149005", display: "Blood group B", label: "B型" },
  O: { code: "58460004", display: "Blood group O", label: "O型" },
  AB: { code: "165743006", display: "Blood group AB", label: "AB型" },
};
export const RH_CODES: Readonly<Record<string, { code: string; display: string; label: string } | undefined>> = {
  POSITIVE: { code: "165747007", display: "RhD positive", label: "Rh+" },
  NEGATIVE: { code: "165746003", display: "RhD negative", label: "Rh−" },
};

export const CARE_LEVEL_LABELS: Readonly<Record<string, string>> = {
  INDEPENDENT: "自立",
  PROGRAM_ELIGIBLE: "事業対象者",
  SUPPORT_1: "要支援1",
  SUPPORT_2: "要支援2",
  CARE_1: "要介護1",
  CARE_2: "要介護2",
  CARE_3: "要介護3",
  CARE_4: "要介護4",
  CARE_5: "要介護5",
};
export const PLACE_LABELS: Readonly<Record<string, string>> = {
  HOME: "自宅",
  HOSPITAL: "病院",
  CARE_FACILITY: "介護施設",
  PALLIATIVE_CARE_UNIT: "緩和ケア病棟",
  UNDECIDED: "未定",
};
export const RESUSCITATION_LABELS: Readonly<Record<string, string>> = {
  FULL_RESUSCITATION: "心肺蘇生を希望する",
  DNAR: "心肺蘇生を希望しない（DNAR）",
  UNDECIDED: "未定",
};
export const DEVICE_LABELS: Readonly<Record<string, string>> = {
  PACEMAKER: "ペースメーカー",
  ICD: "植込み型除細動器",
  INSULIN_PUMP: "インスリンポンプ",
  COCHLEAR_IMPLANT: "人工内耳",
  SHUNT: "脳室シャント",
  ARTIFICIAL_JOINT: "人工関節",
  STENT: "ステント",
  OTHER: "その他",
};
export const CAPACITY_LABELS: Readonly<Record<string, string>> = { SUFFICIENT: "十分", LIMITED: "限られている", NONE: "なし", UNKNOWN: "不明" };
