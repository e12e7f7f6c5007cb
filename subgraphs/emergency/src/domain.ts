// What an emergency profile holds and how input becomes it: zod schemas that validate and normalise (phones, kana, partial dates), errors that name the field, and age on the Tokyo calendar.
import { z } from "zod";
import { calendarDate, isCalendarDate, objectIdSchema, tokyoWallClock } from "@tsunagu/service-kit";
import type {
  AboGroup,
  AccessAction,
  AccessOutcome,
  AllergySeverity,
  CareLevel,
  ConsentMethod,
  ConsentScope,
  FamilyCareCapacity,
  GranteeKind,
  ImplantedDeviceKind,
  LookupMethod,
  PlaceOfCare,
  ResuscitationWish,
  RhType,
  Sex,
} from "./generated/resolvers-types";

export type AccessActionValue = AccessAction;
export type AccessOutcomeValue = AccessOutcome;
export type ConsentMethodValue = ConsentMethod;
export type LookupMethodValue = LookupMethod;

/** Each enum's values, checked against the generated type so that the schema and the code cannot drift apart. */
export const SEXES = ["FEMALE", "MALE", "OTHER", "UNKNOWN"] as const satisfies readonly Sex[];
export const ABO_GROUPS = ["A", "B", "O", "AB", "UNKNOWN"] as const satisfies readonly AboGroup[];
export const RH_TYPES = ["POSITIVE", "NEGATIVE", "UNKNOWN"] as const satisfies readonly RhType[];
export const SEVERITIES = ["MILD", "MODERATE", "SEVERE"] as const satisfies readonly AllergySeverity[];
export const DEVICE_KINDS = [
  "PACEMAKER",
  "ICD",
  "INSULIN_PUMP",
  "COCHLEAR_IMPLANT",
  "SHUNT",
  "ARTIFICIAL_JOINT",
  "STENT",
  "OTHER",
] as const satisfies readonly ImplantedDeviceKind[];
export const CARE_LEVELS = [
  "INDEPENDENT",
  "PROGRAM_ELIGIBLE",
  "SUPPORT_1",
  "SUPPORT_2",
  "CARE_1",
  "CARE_2",
  "CARE_3",
  "CARE_4",
  "CARE_5",
] as const satisfies readonly CareLevel[];
export const FAMILY_CARE_CAPACITIES = ["SUFFICIENT", "LIMITED", "NONE", "UNKNOWN"] as const satisfies readonly FamilyCareCapacity[];
export const RESUSCITATION_WISHES = ["FULL_RESUSCITATION", "DNAR", "UNDECIDED"] as const satisfies readonly ResuscitationWish[];
export const PLACES_OF_CARE = ["HOME", "HOSPITAL", "CARE_FACILITY", "PALLIATIVE_CARE_UNIT", "UNDECIDED"] as const satisfies readonly PlaceOfCare[];
export const CONSENT_SCOPES = ["EMERGENCY_SERVICES", "CARE_TEAM", "CONNECTED_SYSTEMS"] as const satisfies readonly ConsentScope[];
export const CONSENT_METHODS = ["WRITTEN", "ELECTRONIC", "VERBAL_WITNESSED"] as const satisfies readonly ConsentMethod[];
export const GRANTEE_KINDS = ["MEMBER", "ORGANIZATION"] as const satisfies readonly GranteeKind[];

/** Trimmed text of at most `max` characters, runs of spaces (full-width too) as one; empty text is refused. */
export const text = (max: number) =>
  z
    .string("文字列を入力してください (expected text)")
    .transform((value) => value.replace(/\s+/g, " ").trim())
    .pipe(z.string().min(1, "空にはできません (must not be empty)").max(max, `${max}文字以内です (at most ${max} characters)`));

/** Optional text: null, undefined and blank become null. */
const optionalText = (max: number) =>
  z
    .string()
    .nullish()
    .transform((value) => (value == null || value.trim() === "" ? null : value))
    .pipe(text(max).nullable());

const PHONE_MESSAGE = "電話番号は0から始まる10〜11桁です (a Japanese number, 10-11 digits from 0)";

/** A Japanese phone number: full-width digits, brackets and dashes are accepted; stored as digits with hyphens. */
const phone = z
  .string(PHONE_MESSAGE)
  .transform((value) =>
    value
      .normalize("NFKC")
      .replace(/[()（）\s]+/g, "-")
      .replace(/[‐-―−ー]/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, ""),
  )
  .refine((value) => /^0[\d-]+$/.test(value) && /^\d{10,11}$/.test(value.replace(/-/g, "")), PHONE_MESSAGE);

const optionalPhone = z
  .string()
  .nullish()
  .transform((value) => (value == null || value.trim() === "" ? null : value))
  .pipe(phone.nullable());

const SINCE_MESSAGE = "YYYY、YYYY-MM、YYYY-MM-DDのいずれかです (YYYY, YYYY-MM or YYYY-MM-DD)";

/** Since when: a year, a month or a day, as FHIR's partial dates. */
const since = z
  .string()
  .nullish()
  .transform((value) => (value == null || value.trim() === "" ? null : value.normalize("NFKC").trim()))
  .refine((value) => {
    if (value === null) return true;
    const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
    if (match === null) return false;
    return isCalendarDate(Number(match[1]), Number(match[2] ?? "1"), Number(match[3] ?? "1"));
  }, SINCE_MESSAGE);

const KANA_MESSAGE = "読みはカタカナかひらがなで入力してください (kana only)";

/** A reading in katakana: hiragana and half-width kana are converted, spaces kept. */
const kana = text(100)
  .transform((value) => value.normalize("NFKC").replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60)))
  .refine((value) => /^[\u30A0-\u30FF ]+$/.test(value), KANA_MESSAGE);

const url = z
  .string()
  .nullish()
  .transform((value) => (value == null || value.trim() === "" ? null : value.trim()))
  .refine((value) => value === null || (URL.canParse(value) && /^https?:\/\//.test(value)), "http(s)のURLです (an http(s) URL)");

/** An id of another subgraph's entity (Resource, Member): ObjectId hex, stored in lower case. */
export const entityId = objectIdSchema.transform((id) => id.toLowerCase());
const optionalEntityId = entityId.nullish().transform((id) => id ?? null);

const list = <T extends z.ZodType>(item: T, max: number) =>
  z
    .array(item)
    .max(max, `${max}件までです (at most ${max})`)
    .nullish()
    .transform((items) => items ?? []);

const enumOf = <const V extends readonly [string, ...string[]]>(options: V) => z.enum(options, `${options.join(", ")} のいずれかです`);

export const personSchema = z.object({
  name: text(100),
  kana,
  dateOfBirth: calendarDate.refine(
    (value) => value >= "1900-01-01" && value <= new Date().toISOString().slice(0, 10),
    "1900年以降、今日までの日付です (from 1900 up to today)",
  ),
  sex: enumOf(SEXES),
  address: z.object({
    postalCode: optionalText(8).refine((value) => value === null || /^\d{3}-?\d{4}$/.test(value), "郵便番号は123-4567形式です (postal code 123-4567)"),
    prefecture: text(10),
    city: text(50),
    district: optionalText(50),
    street: text(200),
    building: optionalText(100),
  }),
  phone: optionalPhone,
  photoUrl: url,
});

const conditionSchema = z.object({ name: text(200), icd10: optionalText(10), since, note: optionalText(500) });
const medicationSchema = z.object({ name: text(200), dosage: optionalText(200), since, note: optionalText(500) });
const allergySchema = z.object({
  substance: text(200),
  reaction: optionalText(200),
  severity: enumOf(SEVERITIES)
    .nullish()
    .transform((value) => value ?? null),
  since,
  note: optionalText(500),
});
const deviceSchema = z.object({ kind: enumOf(DEVICE_KINDS), description: optionalText(200), since, note: optionalText(500) });

const careTeamSchema = z
  .object({
    primaryHospitalId: optionalEntityId,
    visitingNursingStationId: optionalEntityId,
    primaryPhysicianId: optionalEntityId,
    careManagerId: optionalEntityId,
  })
  .nullish()
  .transform((team) => team ?? { primaryHospitalId: null, visitingNursingStationId: null, primaryPhysicianId: null, careManagerId: null });

const livingSituationSchema = z.object({
  livesAlone: z.boolean(),
  keyPerson: z
    .object({ name: text(100), relation: text(50), phone: optionalPhone })
    .nullish()
    .transform((person) => person ?? null),
  familyCareCapacity: enumOf(FAMILY_CARE_CAPACITIES),
  note: optionalText(500),
});

const contactSchema = z.object({ name: text(100), kana: optionalText(100), relation: text(50), phone, reachableHours: optionalText(200) });

/** `recordedAt` defaults to the moment of the write, given as `now` by the caller. */
const advanceCareSchema = (now: Date) =>
  z.object({
    resuscitation: enumOf(RESUSCITATION_WISHES),
    preferredPlaceOfCare: enumOf(PLACES_OF_CARE),
    notes: optionalText(2000),
    discussedWith: list(text(100), 20),
    recordedAt: z
      .union([z.date(), z.iso.datetime({ offset: true, error: "日時はISO-8601形式です (ISO-8601 with offset)" })])
      .nullish()
      .transform((value) => (value == null ? now : new Date(value))),
  });

/** Every section of a profile, each of which an update may replace on its own. */
const sectionSchemas = (now: Date) => ({
  person: personSchema,
  bloodType: z
    .object({ abo: enumOf(ABO_GROUPS), rh: enumOf(RH_TYPES) })
    .nullish()
    .transform((value) => value ?? null),
  conditions: list(conditionSchema, 50),
  medications: list(medicationSchema, 50),
  allergies: list(allergySchema, 50),
  implantedDevices: list(deviceSchema, 20),
  careTeam: careTeamSchema,
  careLevel: enumOf(CARE_LEVELS)
    .nullish()
    .transform((value) => value ?? null),
  livingSituation: livingSituationSchema.nullish().transform((value) => value ?? null),
  emergencyContacts: list(contactSchema, 10),
  advanceCare: advanceCareSchema(now)
    .nullish()
    .transform((value) => value ?? null),
});

/** The content of a profile as entered (stored with each item's source, see item-sources.ts). */
export type ProfileContent = z.output<z.ZodObject<ReturnType<typeof sectionSchemas>>>;
export type PersonRecord = ProfileContent["person"];
export type ConditionRecord = ProfileContent["conditions"][number];
export type MedicationRecord = ProfileContent["medications"][number];
export type AllergyRecord = ProfileContent["allergies"][number];
export type DeviceRecord = ProfileContent["implantedDevices"][number];

export const consentInputSchema = z.object({
  scope: z
    .array(enumOf(CONSENT_SCOPES))
    .min(1, "同意の範囲を一つ以上選んでください (choose at least one scope)")
    .transform((scopes) => [...new Set(scopes)]),
  method: enumOf(CONSENT_METHODS),
});

/** The input of createEmergencyProfile: every section plus the consent registration requires. */
export const profileInputSchema = (now: Date) => z.object({ ...sectionSchemas(now), consent: consentInputSchema });

/** The input of updateEmergencyProfile: the sections given (and only those) are validated and replace the stored ones. */
export const profileUpdateSchema = (now: Date) =>
  z
    .object(sectionSchemas(now))
    .partial()
    .transform((update, ctx) => {
      const given = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined)) as Partial<ProfileContent>;
      if (Object.keys(given).length === 0) {
        ctx.addIssue({ code: "custom", message: "変更する区分を一つ以上指定してください (give at least one section)" });
        return z.NEVER;
      }
      return given;
    });

export const grantInputSchema = z.object({ granteeKind: enumOf(GRANTEE_KINDS), granteeId: entityId, note: optionalText(200) });
export const delegateInputSchema = z.object({ subject: text(200), name: text(100), relation: text(50) });

/** Completed years between `dateOfBirth` (YYYY-MM-DD) and the date in Tokyo at `moment`. */
export function ageOn(dateOfBirth: string, moment: Date): number {
  const { year, month, day } = tokyoWallClock(moment);
  const [birthYear, birthMonth, birthDay] = dateOfBirth.split("-").map(Number) as [number, number, number];
  const hadBirthday = month > birthMonth || (month === birthMonth && day >= birthDay);
  return year - birthYear - (hadBirthday ? 0 : 1);
}
