// The regional resource (地域資源) as validated input and as stored: code lists, the zod schema, identifiers, search keys.
import { WEEKDAYS } from "@tsunagu/service-kit";
import type { Weekday } from "@tsunagu/service-kit";
import { z } from "zod";
import { buildSearchKeys, instantSchema, isKanaReading, normalizeJapanese } from "@tsunagu/service-kit";
import type { FieldError } from "@tsunagu/service-kit";
import { gramsOfKeys } from "./search-keys";

export { instantSchema };
export type { FieldError };

/** A Japanese and an English label for a code shown to people. */
export interface Label {
  ja: string;
  en: string;
}

/**
 * FORMAL: 医療・介護保険 services; INFORMAL: services outside insurance (配食, 移動支援);
 * COMMUNITY: residents' activities (サロン, 見守り).
 */
export const RESOURCE_KINDS = ["FORMAL", "INFORMAL", "COMMUNITY"] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** The weekdays are service-kit's, re-exported for this subgraph's schemas. */
export { WEEKDAYS };
export type { Weekday };

/** 受け入れ可能な医療処置・状態: what a provider can take on (the discharge-referral criteria of 北見市 and more). */
export const ACCEPT_CODES = [
  "TUBE_FEEDING",
  "SUCTION",
  "INSULIN",
  "PRESSURE_ULCER",
  "HOME_OXYGEN",
  "URINARY_CATHETER",
  "STOMA",
  "CENTRAL_VENOUS_NUTRITION",
  "IV_INFUSION",
  "TRACHEOSTOMY",
  "VENTILATOR",
  "DIALYSIS",
  "OPIOID_PAIN_CONTROL",
  "INFECTION",
  "DEMENTIA",
  "TERMINAL_CARE",
  "TWENTY_FOUR_HOUR",
  "HOME_VISIT",
] as const;
export type AcceptCode = (typeof ACCEPT_CODES)[number];

export const ACCEPT_LABELS: Readonly<Record<AcceptCode, Label>> = {
  TUBE_FEEDING: { ja: "経管栄養（胃ろう・経鼻）", en: "Tube feeding (PEG, nasogastric)" },
  SUCTION: { ja: "喀痰吸引", en: "Suction" },
  INSULIN: { ja: "インスリン注射", en: "Insulin injection" },
  PRESSURE_ULCER: { ja: "褥瘡処置", en: "Pressure ulcer care" },
  HOME_OXYGEN: { ja: "在宅酸素療法", en: "Home oxygen therapy" },
  URINARY_CATHETER: { ja: "膀胱留置カテーテル", en: "Indwelling urinary catheter" },
  STOMA: { ja: "ストーマ（人工肛門・人工膀胱）", en: "Stoma care" },
  CENTRAL_VENOUS_NUTRITION: { ja: "中心静脈栄養", en: "Central venous nutrition" },
  IV_INFUSION: { ja: "点滴", en: "Intravenous infusion" },
  TRACHEOSTOMY: { ja: "気管切開", en: "Tracheostomy care" },
  VENTILATOR: { ja: "人工呼吸器", en: "Ventilator" },
  DIALYSIS: { ja: "人工透析", en: "Dialysis" },
  OPIOID_PAIN_CONTROL: { ja: "医療用麻薬による疼痛管理", en: "Opioid pain control" },
  INFECTION: { ja: "感染症（MRSA等）", en: "Infections (MRSA etc.)" },
  DEMENTIA: { ja: "認知症", en: "Dementia" },
  TERMINAL_CARE: { ja: "ターミナルケア・看取り", en: "Terminal care" },
  TWENTY_FOUR_HOUR: { ja: "24時間対応", en: "24-hour response" },
  HOME_VISIT: { ja: "訪問診療・往診", en: "Home visits by a doctor" },
};

/** Where a record's content came from, most to least official. */
export const PROVENANCE_SOURCES = ["OPEN_DATA", "MUNICIPAL_SURVEY", "PROVIDER", "COORDINATOR", "VOLUNTEER"] as const;
export type ProvenanceSource = (typeof PROVENANCE_SOURCES)[number];

/** How a contact person prefers to be reached; ICT is a regional information-sharing platform's message. */
export const CONTACT_CHANNELS = ["PHONE", "FAX", "EMAIL", "IN_PERSON", "ICT"] as const;

/** What a capacity counts: beds (床), people (定員), or cases (a care manager's caseload, 件). */
export const CAPACITY_UNITS = ["BEDS", "PEOPLE", "CASES"] as const;
export type CapacityUnit = (typeof CAPACITY_UNITS)[number];

/** 自立, 事業対象者, 要支援1-2, 要介護1-5. */
export const CARE_LEVELS = ["INDEPENDENT", "PROGRAM_ELIGIBLE", "SUPPORT_1", "SUPPORT_2", "CARE_1", "CARE_2", "CARE_3", "CARE_4", "CARE_5"] as const;
export type CareLevel = (typeof CARE_LEVELS)[number];

/** The check digit (first digit) of a 法人番号 from its 12-digit base: 9 − (Σ Pn×Qn mod 9), Qn = 1, 2, 1, ... */
export function corporateNumberCheckDigit(base: string): number {
  let sum = 0;
  for (let n = 1; n <= base.length; n += 1) {
    sum += Number(base[base.length - n]) * (n % 2 === 1 ? 1 : 2);
  }
  return 9 - (sum % 9);
}

/** True for a 13-digit 法人番号 whose first digit is the check digit of the other twelve. */
export function isValidCorporateNumber(value: string): boolean {
  return /^\d{13}$/.test(value) && Number(value[0]) === corporateNumberCheckDigit(value.slice(1));
}

/**
 * A Japanese phone number in domestic form with hyphens, e.g. "０７６１（２２）１２３４" → "0761-22-1234",
 * "+81-761-22-1234" → "0761-22-1234"; undefined when it is not 10-11 digits starting with 0.
 */
export function normalizePhoneNumber(raw: string): string | undefined {
  const text = normalizeJapanese(raw)
    .replace(/\s*\([^\d)]*\)$/, "")
    .replace(/^\((\d+)\)\s*/, "$1-")
    .replace(/(\d)\s*\((\d+)\)\s*(\d)/, "$1-$2-$3")
    .replace(/\s+/g, "-")
    .replace(/^\+81-?(\d)/, "0$1");
  if (!/^0\d*(?:-\d+)*$/.test(text)) return undefined;
  const digits = text.replace(/-/g, "").length;
  return digits === 10 || digits === 11 ? text : undefined;
}

/** A postal code as "123-4567" from "1234567", "〒123-4567" or full-width digits; undefined otherwise. */
export function normalizePostalCode(raw: string): string | undefined {
  const match = /^〒?\s*(\d{3})-?(\d{4})$/.exec(normalizeJapanese(raw));
  return match ? `${match[1]}-${match[2]}` : undefined;
}

function text(max: number) {
  return z.string().trim().min(1, "空にできません (must not be empty)").max(max, `${max}文字以内にしてください (at most ${max} characters)`);
}

function kana(max: number) {
  return text(max).refine(isKanaReading, "読み仮名はカタカナかひらがなで入力してください (kana only, no kanji)");
}

function distinct<T extends z.ZodType>(item: T, max: number) {
  return z
    .array(item)
    .max(max, `${max}件までです (at most ${max} items)`)
    .refine((items) => new Set(items).size === items.length, "同じ値が重複しています (duplicate values)");
}

function normalized(normalize: (raw: string) => string | undefined, message: string) {
  return z.string().transform((raw, context) => {
    const value = normalize(raw);
    if (value === undefined) {
      context.issues.push({ code: "custom", message, input: raw });
      return z.NEVER;
    }
    return value;
  });
}

const phone = normalized(normalizePhoneNumber, "電話番号は0から始まる10〜11桁です (a Japanese number, 10-11 digits from 0)");
const email = z.email("メールアドレスの形式ではありません (not an e-mail address)");
const url = z.url({
  protocol: /^https?$/,
  hostname: z.regexes.domain,
  error: "http(s)のURLではありません (not an http(s) URL)",
});
const isoDate = z.iso.date("日付はYYYY-MM-DD形式です (YYYY-MM-DD)");

/** "HH:MM" from 00:00 to 24:00. */
const timeOfDay = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, "時刻はHH:MM形式です (HH:MM, 00:00-24:00)");

/** Open from `opens` to `closes`; `closes` earlier than `opens` means the interval runs past midnight (22:00-06:00). */
const timeInterval = z
  .object({ opens: timeOfDay, closes: timeOfDay })
  .refine((interval) => interval.opens !== "24:00", {
    message: "開始は24:00にできません (cannot open at 24:00)",
    path: ["opens"],
  })
  .refine((interval) => interval.opens !== interval.closes, {
    message: "開始と終了が同じです (opens equals closes)",
    path: ["closes"],
  });

/** True for an "MM-DD" that exists in a leap year (02-29 allowed, 02-30 not). */
function isMonthDay(value: string): boolean {
  const match = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.exec(value);
  return match !== null && Number(match[2]) <= new Date(Date.UTC(2000, Number(match[1]), 0)).getUTCDate();
}

const monthDay = z.string().refine(isMonthDay, "月日はMM-DD形式の実在する日です (an existing MM-DD)");

export const openingHoursSchema = z.object({
  /** Regular hours: one entry per interval, several per day allowed (午前・午後). */
  weekly: z
    .array(timeInterval.safeExtend({ day: z.enum(WEEKDAYS) }))
    .max(42, "42区間までです (at most 42 intervals)")
    .default([]),
  /** Days it operates when the times are unknown (利用可能曜日 of the care open data). */
  openDays: distinct(z.enum(WEEKDAYS), 7).default([]),
  /** 祝日休み: closed on Japanese public holidays whatever the weekday. */
  closedOnPublicHolidays: z.boolean().default(false),
  /** Dated special hours replacing the weekly hours that day; no intervals = closed that day. */
  exceptions: z
    .array(z.object({ date: isoDate, intervals: z.array(timeInterval).max(6).default([]), note: text(200).optional() }))
    .max(366)
    .refine((items) => new Set(items.map((item) => item.date)).size === items.length, "同じ日付が重複しています (duplicate dates)")
    .default([]),
  /** Dated closures, both ends included (臨時休業 2025-08-13..2025-08-16). */
  closures: z
    .array(
      z.object({ from: isoDate, to: isoDate, reason: text(200).optional() }).refine((closure) => closure.from <= closure.to, {
        message: "終了日が開始日より前です (to is before from)",
        path: ["to"],
      }),
    )
    .max(100)
    .default([]),
  /** Closures every year, both ends included, may wrap the new year (年末年始 12-29..01-03). */
  annualClosures: z
    .array(z.object({ from: monthDay, to: monthDay, reason: text(200).optional() }))
    .max(20)
    .default([]),
  /** Free text shown as is (診療日時特記事項). */
  note: text(500).optional(),
});

export const contactWindowSchema = z.object({
  name: text(100),
  kana: kana(100).optional(),
  /** 退院調整看護師, 医療ソーシャルワーカー, 主任介護支援専門員, ... */
  role: text(100).optional(),
  photoUrl: url.optional(),
  phone: phone.optional(),
  email: email.optional(),
  preferredChannel: z.enum(CONTACT_CHANNELS).optional(),
  /** 連絡を避けた方がよい時間: on the given days (every day when empty), from..to the same day. */
  avoidCallingHours: z
    .array(
      z
        .object({
          days: distinct(z.enum(WEEKDAYS), 7).default([]),
          from: timeOfDay,
          to: timeOfDay,
          reason: text(100).optional(),
        })
        .refine((window) => window.from < window.to, { message: "終了が開始より前です (to must be after from)", path: ["to"] }),
    )
    .max(10)
    .default([]),
  note: text(500).optional(),
});

export const capacitySchema = z
  .object({
    available: z.number().int().min(0, "0以上です (at least 0)").max(100000).optional(),
    maximum: z.number().int().min(0, "0以上です (at least 0)").max(100000).optional(),
    unit: z.enum(CAPACITY_UNITS),
    updatedAt: instantSchema.optional(),
  })
  .refine((c) => c.available === undefined || c.maximum === undefined || c.available <= c.maximum, {
    message: "空きが定員を超えています (available exceeds maximum)",
    path: ["available"],
  })
  .refine((c) => c.available === undefined || c.updatedAt !== undefined, {
    message: "空き状況には更新日時が必要です (available needs updatedAt)",
    path: ["updatedAt"],
  });

export const provenanceSchema = z.object({
  source: z.enum(PROVENANCE_SOURCES),
  /** Last confirmed correct (確認日), and by whom. */
  verifiedAt: instantSchema.optional(),
  verifiedBy: text(100).optional(),
  /** Last content change; set by the writer when absent. */
  modifiedAt: instantSchema.optional(),
  /** The dataset or survey it came from, and that source's own date (データ作成日). */
  sourceName: text(200).optional(),
  sourceDate: isoDate.optional(),
});

const LATITUDE_MESSAGE = "緯度は-90〜90です (latitude -90..90)";
const LONGITUDE_MESSAGE = "経度は-180〜180です (longitude -180..180)";

/** A point as people give it: latitude and longitude in degrees. */
export const geoLocationSchema = z.object({
  latitude: z.number(LATITUDE_MESSAGE).min(-90, LATITUDE_MESSAGE).max(90, LATITUDE_MESSAGE),
  longitude: z.number(LONGITUDE_MESSAGE).min(-180, LONGITUDE_MESSAGE).max(180, LONGITUDE_MESSAGE),
});

const LANGUAGE_TAG = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

/** A resource as given to create or import it, validated and normalised (phones, postal codes, dates). */
export const resourceInputSchema = z.object({
  kind: z.enum(RESOURCE_KINDS),
  category: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, "分類コードは英小文字・数字・ハイフンです (lower-case code)"),
  names: z.object({ official: text(200), kana: kana(200).optional(), short: text(60).optional() }),
  description: text(2000).optional(),
  /** 法人の名称 / 開設者. */
  operatorName: text(200).optional(),
  identifiers: z
    .object({
      /** 医療機関コード: prefecture (2) + 点数表 (1: 医科, 3: 歯科, 4: 調剤) + 7 digits. */
      medicalInstitutionCode: z
        .string()
        .regex(/^\d{10}$/, "医療機関コードは10桁の数字です (10 digits)")
        .optional(),
      /** 介護保険事業所番号; one office may hold several services under one number; 介護医療院 have a letter (01B0100011). */
      careOfficeNumber: z
        .string()
        .transform((value) => value.normalize("NFKC").toUpperCase())
        .pipe(z.string().regex(/^[0-9A-Z]{10}$/, "事業所番号は英数字10桁です (10 letters or digits)"))
        .optional(),
      /** The ministry's service type of this record (110 訪問介護, 430 居宅介護支援, ...). */
      careServiceCode: z
        .string()
        .regex(/^\d{3}$/, "サービス種類コードは3桁の数字です (3 digits)")
        .optional(),
      corporateNumber: z
        .string()
        .regex(/^\d{13}$/, "法人番号は13桁の数字です (13 digits)")
        .refine(isValidCorporateNumber, "法人番号のチェックデジットが一致しません (check digit mismatch)")
        .optional(),
      /** 指定年月日. */
      designatedOn: isoDate.optional(),
    })
    .default({}),
  address: z.object({
    postalCode: normalized(normalizePostalCode, "郵便番号は7桁です (7 digits, 123-4567)").optional(),
    prefecture: text(10),
    city: text(50),
    /** 日常生活圏域. */
    district: text(50).optional(),
    street: text(200).optional(),
    /** 方書 (building, floor). */
    building: text(100).optional(),
  }),
  location: geoLocationSchema.optional(),
  /** 日常生活圏域 it serves (for home-visit services). */
  servedDistricts: distinct(text(50), 50).default([]),
  openingHours: openingHoursSchema.optional(),
  contact: z.object({ phone: phone.optional(), fax: phone.optional(), email: email.optional(), url: url.optional() }).default({}),
  contactWindows: z.array(contactWindowSchema).max(20).default([]),
  accepts: distinct(z.enum(ACCEPT_CODES), ACCEPT_CODES.length).default([]),
  /** 診療科目. */
  departments: distinct(text(50), 60).default([]),
  eligibility: z.object({ careLevels: distinct(z.enum(CARE_LEVELS), CARE_LEVELS.length).default([]), note: text(500).optional() }).optional(),
  fees: text(500).optional(),
  /** BCP 47 language codes it can serve in (ja, en, pt, vi, ...). */
  languages: distinct(z.string().regex(LANGUAGE_TAG, "言語コードの形式ではありません (BCP 47 code)"), 20).default([]),
  /** 空き状況. */
  capacity: capacitySchema.optional(),
  /** 休止中: registered but not operating now. */
  suspended: z.boolean().default(false),
  provenance: provenanceSchema,
});

/** What a caller passes (defaults not applied, dates may be strings). */
export type ResourceInputDraft = z.input<typeof resourceInputSchema>;
/** A validated resource input. */
export type ResourceInput = z.output<typeof resourceInputSchema>;
export type OpeningHours = z.output<typeof openingHoursSchema>;
export type TimeInterval = z.output<typeof timeInterval>;
export type ContactWindow = z.output<typeof contactWindowSchema>;
export type Capacity = z.output<typeof capacitySchema>;
export type Provenance = z.output<typeof provenanceSchema>;

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Validates a resource input, reporting every problem with its dotted field path (`contactWindows.0.phone`). */
export function validateResourceInput(raw: unknown): Validated<ResourceInput> {
  const result = resourceInputSchema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({ field: issue.path.map(String).join("."), reason: issue.message })),
  };
}

/** A GeoJSON point as stored for the 2dsphere index: longitude first. */
export interface GeoPoint {
  type: "Point";
  coordinates: [longitude: number, latitude: number];
}

/** A resource as stored in its collection (without `_id`, `createdAt`, `updatedAt`, which the model adds). */
export type ResourceRecord = Omit<ResourceInput, "location" | "provenance" | "address"> & {
  /** `districtSource`: TABLE when the city's district table assigned the district, GIVEN when a person or file did. */
  address: ResourceInput["address"] & { districtSource?: "TABLE" | "GIVEN" };
  location?: GeoPoint;
  provenance: Provenance & { modifiedAt: Date };
  archivedAt: Date | null;
  searchKeys: string[];
  /** Character pairs and last characters of the resource's own search keys, for the gram index (see search-keys). */
  searchGrams: string[];
};

/** The search keys of a resource: its names, operator, departments and its category's labels (see taxonomy). */
export function resourceSearchKeys(input: Pick<ResourceInput, "names" | "operatorName" | "departments">, categoryTerms: readonly string[]): string[] {
  const { names } = input;
  return buildSearchKeys([names.official, names.kana, names.short, input.operatorName, ...input.departments, ...categoryTerms]);
}

/** The stored form of a validated input: GeoJSON location, search keys, modifiedAt (default `now`), not archived. */
export function toResourceRecord(input: ResourceInput, now: Date, categoryTerms: readonly string[]): ResourceRecord {
  const { location, provenance, address, ...rest } = input;
  // The own keys are normalised once: they are the grams' source and the first of the search keys.
  const ownKeys = resourceSearchKeys(input, []);
  return {
    ...rest,
    address: address.district === undefined ? address : { ...address, districtSource: "GIVEN" },
    ...(location ? { location: { type: "Point", coordinates: [location.longitude, location.latitude] } } : {}),
    provenance: { ...provenance, modifiedAt: provenance.modifiedAt ?? now },
    archivedAt: null,
    searchKeys: [...new Set([...ownKeys, ...buildSearchKeys(categoryTerms)])],
    searchGrams: gramsOfKeys(ownKeys),
  };
}
