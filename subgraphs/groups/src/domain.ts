// The groups domain as data and validation: code lists with Japanese labels, size limits, and the zod schemas every input passes (errors name the field).
import { WEEKDAYS } from "@tsunagu/service-kit";
import type { Weekday } from "@tsunagu/service-kit";
import { z } from "zod";
import { badUserInput, isKanaReading, KEEP_NULLS, normalizeJapanese, validated } from "@tsunagu/service-kit";

export const GROUP_KINDS = ["PROFESSIONAL_ASSOCIATION", "MULTIDISCIPLINARY_NETWORK", "COUNCIL", "CARE_CAFE", "OFFICE_TEAM"] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

/** 代表, 世話人, 事務局, then ordinary members; the first three are the group's officers. */
export const GROUP_ROLES = ["REPRESENTATIVE", "ORGANIZER", "SECRETARIAT", "MEMBER"] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

/** 職種: the Japanese name people see in printed lists, and its reading, so that 「かんごし」 finds 看護師 too. */
export const PROFESSION_NAMES = {
  PHYSICIAN: ["医師", "イシ"],
  DENTIST: ["歯科医師", "シカイシ"],
  PHARMACIST: ["薬剤師", "ヤクザイシ"],
  NURSE: ["看護師", "カンゴシ"],
  PUBLIC_HEALTH_NURSE: ["保健師", "ホケンシ"],
  PHYSICAL_THERAPIST: ["理学療法士", "リガクリョウホウシ"],
  OCCUPATIONAL_THERAPIST: ["作業療法士", "サギョウリョウホウシ"],
  SPEECH_THERAPIST: ["言語聴覚士", "ゲンゴチョウカクシ"],
  REGISTERED_DIETITIAN: ["管理栄養士", "カンリエイヨウシ"],
  DENTAL_HYGIENIST: ["歯科衛生士", "シカエイセイシ"],
  CARE_MANAGER: ["介護支援専門員", "カイゴシエンセンモンイン"],
  CHIEF_CARE_MANAGER: ["主任介護支援専門員", "シュニンカイゴシエンセンモンイン"],
  SOCIAL_WORKER: ["社会福祉士", "シャカイフクシシ"],
  MEDICAL_SOCIAL_WORKER: ["医療ソーシャルワーカー", "イリョウソーシャルワーカー"],
  CARE_WORKER: ["介護福祉士", "カイゴフクシシ"],
  HOME_HELPER: ["訪問介護員", "ホウモンカイゴイン"],
  LIFE_SUPPORT_COORDINATOR: ["生活支援コーディネーター", "セイカツシエンコーディネーター"],
  EMS_CREW: ["救急隊員", "キュウキュウタイイン"],
  MUNICIPAL_OFFICER: ["行政職員", "ギョウセイショクイン"],
  OTHER: ["その他", "ソノタ"],
} as const satisfies Record<string, readonly [label: string, kana: string]>;
export type Profession = keyof typeof PROFESSION_NAMES;

/** The Japanese name of a profession, e.g. 介護支援専門員. */
export function professionLabel(profession: Profession): string {
  return PROFESSION_NAMES[profession][0];
}
export const PROFESSIONS = Object.keys(PROFESSION_NAMES) as [Profession, ...Profession[]];

export const BOARD_VISIBILITIES = ["PRIVATE", "PUBLIC"] as const;
export type BoardVisibility = (typeof BOARD_VISIBILITIES)[number];

/** The weekdays are service-kit's, re-exported for this subgraph's schemas. */
export { WEEKDAYS };
export type { Weekday };

/** Team Kamaishi's classification of its consultation desk log, in the order of its reports. */
export const CONSULTATION_CATEGORIES = [
  "EVENT_COHOSTING",
  "INTERPROFESSIONAL_COLLABORATION",
  "QUESTION_ABOUT_CENTRE",
  "DATA_REQUEST",
  "INTERDEPARTMENTAL_COORDINATION",
  "OTHER",
] as const;
export type ConsultationCategory = (typeof CONSULTATION_CATEGORIES)[number];

export const CONSULTATION_CHANNELS = ["PHONE", "EMAIL", "IN_PERSON", "LETTER", "ONLINE"] as const;
export type ConsultationChannel = (typeof CONSULTATION_CHANNELS)[number];

export const CONSULTATION_STATUSES = ["OPEN", "IN_PROGRESS", "RESOLVED"] as const;
export type ConsultationStatus = (typeof CONSULTATION_STATUSES)[number];

/** Size limits of what people write; the schema's descriptions quote them. */
export const LIMITS = {
  name: 100,
  description: 2000,
  title: 100,
  postBody: 10_000,
  commentBody: 2000,
  tags: 10,
  tag: 30,
  attachments: 10,
  summary: 2000,
  avoidCallingWindows: 10,
  filterValues: 50,
  searchText: 100,
} as const;

function text(max: number) {
  return z.string().trim().min(1, "空にできません (must not be empty)").max(max, `${max}文字以内にしてください (at most ${max} characters)`);
}

const kana = text(LIMITS.name).refine(isKanaReading, "読み仮名はカタカナかひらがなで入力してください (kana only, no kanji)");

function list<T extends z.ZodType>(item: T, max: number) {
  return z.array(item).max(max, `${max}件までです (at most ${max} items)`);
}

/** An ObjectId in hex, as every `ID` of this subgraph is. */
export const objectIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, "IDの形式ではありません (not an id: 24 hexadecimal characters)")
  .transform((id) => id.toLowerCase());

const url = z
  .url({ protocol: /^https?$/, hostname: z.regexes.domain, error: "http(s)のURLではありません (not an http(s) URL)" })
  .max(2000, "URLが長すぎます (at most 2000 characters)");

const email = z.email("メールアドレスの形式ではありません (not an e-mail address)").max(254);

/** A phone number as people write it (full-width digits, hyphens, brackets, 内線); stored normalised. */
const phone = z
  .string()
  .transform((raw) => normalizeJapanese(raw))
  .pipe(z.string().regex(/^\+?\d[\d\-() ]{5,19}(?: ?内線 ?\d{1,6})?$/, "電話番号の形式ではありません (not a phone number)"));

const timeOfDay = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, "時刻はHH:MM形式です (HH:MM, 00:00-24:00)");

/** An ISO-8601 date-time with an offset, as DateTime arguments arrive (see scripts/codegen.ts). */
export const dateTimeSchema = z
  .union([z.date(), z.iso.datetime({ offset: true })], "日時はISO-8601形式です (ISO-8601 date-time with offset)")
  .transform((value) => (typeof value === "string" ? new Date(value) : value));

const avoidCallingWindow = z
  .object({
    days: z
      .array(z.enum(WEEKDAYS))
      .max(7)
      .refine((days) => new Set(days).size === days.length, "同じ曜日が重複しています (duplicate days)")
      .nullish()
      .transform((days) => days ?? []),
    from: timeOfDay,
    to: timeOfDay,
    reason: text(100).nullish(),
  })
  .refine((window) => window.from < window.to, { message: "終了が開始より前です (to must be after from)", path: ["to"] });
export type AvoidCallingWindow = z.output<typeof avoidCallingWindow>;

/** The part of a resource a member's record keeps (see models.ts: the resources subgraph stays the owner). */
const affiliation = z.object({
  resourceId: objectIdSchema,
  name: text(200),
  kana: kana.nullish(),
  district: text(50).nullish(),
  category: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, "分類コードは英小文字・数字・ハイフンです (lower-case code)"),
  categoryLabel: text(100).nullish(),
});
export type AffiliationInput = z.output<typeof affiliation>;

const workContact = z.object({ phone: phone.nullish(), email: email.nullish() });

const memberFields = {
  name: text(LIMITS.name),
  kana,
  profession: z.enum(PROFESSIONS),
  title: text(LIMITS.name).nullish(),
  affiliation: affiliation.nullish(),
  photoUrl: url.nullish(),
  photoPublic: z.boolean().nullish(),
  workContact: workContact.nullish(),
  avoidCallingHours: list(avoidCallingWindow, LIMITS.avoidCallingWindows).nullish(),
};

export const createMemberSchema = z.object(memberFields);
export type CreateMemberInput = z.output<typeof createMemberSchema>;

/** Every field optional; `null` clears an optional field, and is refused for a required one by `requiredNotNull`. */
export const updateMemberSchema = z.object(memberFields).partial();
export type UpdateMemberInput = z.output<typeof updateMemberSchema>;

export const createGroupSchema = z.object({
  kind: z.enum(GROUP_KINDS),
  name: text(LIMITS.name),
  kana: kana.nullish(),
  description: text(LIMITS.description).nullish(),
  parentId: objectIdSchema.nullish(),
  contactWindow: z
    .object({
      name: text(LIMITS.name),
      memberId: objectIdSchema.nullish(),
      phone: phone.nullish(),
      email: email.nullish(),
      note: text(500).nullish(),
    })
    .nullish(),
  boardVisibility: z
    .enum(BOARD_VISIBILITIES)
    .nullish()
    .transform((value) => value ?? "PRIVATE"),
});

const tags = list(text(LIMITS.tag), LIMITS.tags).transform((values) => [...new Set(values)]);
const attachments = list(url, LIMITS.attachments);

const postFields = {
  title: text(LIMITS.title),
  body: text(LIMITS.postBody),
  tags: tags.nullish().transform((values) => values ?? []),
  attachments: attachments.nullish().transform((values) => values ?? []),
  pinned: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  urgent: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
};

export const createPostSchema = z.object({ boardId: objectIdSchema, ...postFields });

export const updatePostSchema = z
  .object({
    title: text(LIMITS.title),
    body: text(LIMITS.postBody),
    tags,
    attachments,
    pinned: z.boolean(),
    urgent: z.boolean(),
  })
  .partial();

export const addCommentSchema = z.object({ postId: objectIdSchema, body: text(LIMITS.commentBody) });

const requester = z.object({
  profession: z.enum(PROFESSIONS).nullish(),
  organizationName: text(200).nullish(),
  organizationId: objectIdSchema.nullish(),
});

/** How far ahead of this server's clock a receipt time may be (the recording device's clock may run a little fast). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export const recordConsultationSchema = z.object({
  receivedAt: dateTimeSchema.refine(
    (date) => date.getTime() <= Date.now() + CLOCK_SKEW_MS,
    "未来の日時は記録できません (a consultation cannot be received in the future)",
  ),
  channels: z
    .array(z.enum(CONSULTATION_CHANNELS))
    .min(1, "受付方法を1つ以上指定してください (at least one channel)")
    .max(CONSULTATION_CHANNELS.length)
    .refine((channels) => new Set(channels).size === channels.length, "同じ受付方法が重複しています (duplicate channels)"),
  requester,
  category: z.enum(CONSULTATION_CATEGORIES),
  summary: text(LIMITS.summary),
  status: z
    .enum(CONSULTATION_STATUSES)
    .nullish()
    .transform((value) => value ?? "OPEN"),
  handledById: objectIdSchema.nullish(),
  resolution: text(LIMITS.summary).nullish(),
});

export const updateConsultationSchema = z
  .object({
    category: z.enum(CONSULTATION_CATEGORIES),
    summary: text(LIMITS.summary),
    status: z.enum(CONSULTATION_STATUSES),
    handledById: objectIdSchema.nullable(),
    resolution: text(LIMITS.summary).nullable(),
  })
  .partial();

const filterList = <T extends z.ZodType>(item: T) => list(item, LIMITS.filterValues).nullish();

export const contactDirectoryFilterSchema = z
  .object({
    districts: filterList(text(50)),
    professions: filterList(z.enum(PROFESSIONS)),
    categories: filterList(text(63)),
    text: z.string().max(LIMITS.searchText, `${LIMITS.searchText}文字以内にしてください (at most ${LIMITS.searchText} characters)`).nullish(),
    modifiedAfter: dateTimeSchema.nullish(),
  })
  .nullish()
  .transform((filter) => filter ?? {});
export type ContactDirectoryFilter = z.output<typeof contactDirectoryFilterSchema>;

export const groupFilterSchema = z
  .object({
    kinds: filterList(z.enum(GROUP_KINDS)),
    text: z.string().max(LIMITS.searchText).nullish(),
    modifiedAfter: dateTimeSchema.nullish(),
  })
  .nullish()
  .transform((filter) => filter ?? {});

export const consultationFilterSchema = z
  .object({
    from: dateTimeSchema.nullish(),
    to: dateTimeSchema.nullish(),
    categories: filterList(z.enum(CONSULTATION_CATEGORIES)),
    statuses: filterList(z.enum(CONSULTATION_STATUSES)),
  })
  .nullish()
  .transform((filter) => filter ?? {});

/** Parses an `ID` argument: BAD_USER_INPUT naming `field` when it is not an ObjectId in hex. */
export function parseId(raw: string, field: string): string {
  return validated(objectIdSchema, raw, field, KEEP_NULLS);
}

/** Refuses `null` for fields an update may leave out but never clear (name, kana, profession, ...). */
export function requiredNotNull(input: Readonly<Record<string, unknown>>, fields: readonly string[], prefix: string): void {
  const cleared = fields.find((field) => input[field] === null);
  if (cleared !== undefined) throw badUserInput(`${prefix}.${cleared}: 空にできません (cannot be cleared)`, `${prefix}.${cleared}`);
}
