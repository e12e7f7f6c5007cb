// The events domain as data and validation: code lists with Japanese labels, the programme's indicator rules, the standard preparation checklist, and the zod schemas every input passes (errors name the field).
import { WEEKDAYS } from "@tsunagu/service-kit";
import type { Weekday } from "@tsunagu/service-kit";
import { z } from "zod";
import { instantSchema, objectIdSchema, tokyoWallClock } from "@tsunagu/service-kit";

export const EVENT_TYPES = [
  "TRAINING",
  "STUDY_SESSION",
  "CASE_CONFERENCE",
  "COMMUNITY_CARE_MEETING",
  "COUNCIL_MEETING",
  "RESIDENT_LECTURE",
  "FORUM",
  "CARE_CAFE",
  "ACCOMPANIED_VISIT_TRAINING",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_TYPE_LABELS: Readonly<Record<EventType, string>> = {
  TRAINING: "研修会",
  STUDY_SESSION: "勉強会",
  CASE_CONFERENCE: "事例検討会",
  COMMUNITY_CARE_MEETING: "地域ケア会議",
  COUNCIL_MEETING: "協議会・部会",
  RESIDENT_LECTURE: "住民向け講座",
  FORUM: "フォーラム・シンポジウム",
  CARE_CAFE: "認知症カフェ・ケアカフェ",
  ACCOMPANIED_VISIT_TRAINING: "同行訪問研修",
};

/** Kinds whose attendances count as trainees (研修受講者) for the TRAINING_ATTENDEES indicator. */
export const TRAINING_TYPES: readonly EventType[] = ["TRAINING", "STUDY_SESSION", "CASE_CONFERENCE", "ACCOMPANIED_VISIT_TRAINING"];

/**
 * An event held counts as a multi-profession meeting when its attendees span at least this many professions: Team
 * Kamaishi's third tier (all professions) as opposed to one profession or two brought together (二職種合同研修).
 */
export const MULTI_PROFESSION_MIN_PROFESSIONS = 3;

export const EVENT_FORMATS = ["IN_PERSON", "ONLINE", "HYBRID"] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

export const EVENT_VISIBILITIES = ["PUBLIC", "PROFESSIONALS", "GROUP"] as const;
export type EventVisibility = (typeof EVENT_VISIBILITIES)[number];

export const EVENT_STATUSES = ["SCHEDULED", "CANCELLED"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const CHECKLIST_PHASES = ["BEFORE", "ON_THE_DAY", "AFTER"] as const;
export type ChecklistPhase = (typeof CHECKLIST_PHASES)[number];

export const REGISTRATION_STATUSES = ["REGISTERED", "WAITLISTED", "CANCELLED"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export const SATISFACTIONS = ["VERY_GOOD", "GOOD", "FAIR", "POOR"] as const;
export type Satisfaction = (typeof SATISFACTIONS)[number];

export const SATISFACTION_LABELS: Readonly<Record<Satisfaction, string>> = {
  VERY_GOOD: "とても良かった",
  GOOD: "良かった",
  FAIR: "あまり良くなかった",
  POOR: "良くなかった",
};

/** Answers that count as satisfied for SATISFIED_PERCENT. */
export const SATISFIED_ANSWERS: readonly Satisfaction[] = ["VERY_GOOD", "GOOD"];

export const TARGET_INDICATORS = ["TRAINING_ATTENDEES", "MULTI_PROFESSION_MEETINGS", "RESIDENT_LECTURE_ATTENDEES", "SATISFIED_PERCENT"] as const;
export type TargetIndicator = (typeof TARGET_INDICATORS)[number];

export const TARGET_INDICATOR_LABELS: Readonly<Record<TargetIndicator, string>> = {
  TRAINING_ATTENDEES: "研修受講者数（延べ）",
  MULTI_PROFESSION_MEETINGS: "多職種が参加した会議・研修の開催回数",
  RESIDENT_LECTURE_ATTENDEES: "住民向け講座の参加者数（延べ）",
  SATISFIED_PERCENT: "満足度（とても良かった・良かったの割合）",
};

/** The weekdays are service-kit's, re-exported for this subgraph's schemas. */
export { WEEKDAYS };
export type { Weekday };

export const RECURRENCE_FREQUENCIES = ["WEEKLY", "MONTHLY"] as const;

/** The professions of the groups subgraph (the same enum in both schemas), with their Japanese names. */
export const PROFESSION_LABELS = {
  PHYSICIAN: "医師",
  DENTIST: "歯科医師",
  PHARMACIST: "薬剤師",
  NURSE: "看護師",
  PUBLIC_HEALTH_NURSE: "保健師",
  PHYSICAL_THERAPIST: "理学療法士",
  OCCUPATIONAL_THERAPIST: "作業療法士",
  SPEECH_THERAPIST: "言語聴覚士",
  REGISTERED_DIETITIAN: "管理栄養士",
  DENTAL_HYGIENIST: "歯科衛生士",
  CARE_MANAGER: "介護支援専門員",
  CHIEF_CARE_MANAGER: "主任介護支援専門員",
  SOCIAL_WORKER: "社会福祉士",
  MEDICAL_SOCIAL_WORKER: "医療ソーシャルワーカー",
  CARE_WORKER: "介護福祉士",
  HOME_HELPER: "訪問介護員",
  LIFE_SUPPORT_COORDINATOR: "生活支援コーディネーター",
  EMS_CREW: "救急隊員",
  MUNICIPAL_OFFICER: "行政職員",
  OTHER: "その他",
} as const;
export type Profession = keyof typeof PROFESSION_LABELS;
export const PROFESSIONS = Object.keys(PROFESSION_LABELS) as [Profession, ...Profession[]];

/** The profession an identity claims, given as a code (`NURSE`) or its Japanese name (`看護師`); undefined when neither. */
export function professionOf(claim: string | undefined): Profession | undefined {
  if (claim === undefined) return undefined;
  if ((PROFESSIONS as readonly string[]).includes(claim)) return claim as Profession;
  return PROFESSIONS.find((code) => PROFESSION_LABELS[code] === claim);
}

/**
 * The preparation tasks Team Kamaishi lists for every event it helps run (H30 役割・棚卸表), added to an event with
 * `useStandardChecklist`.
 */
export const STANDARD_CHECKLIST: readonly { phase: ChecklistPhase; title: string }[] = [
  { phase: "BEFORE", title: "主催者・関係者との連絡調整、打ち合わせ日程調整" },
  { phase: "BEFORE", title: "実施要項・次第の作成" },
  { phase: "BEFORE", title: "会場選定・借用の手続き" },
  { phase: "BEFORE", title: "講師・座長への依頼と連絡調整" },
  { phase: "BEFORE", title: "チラシ作成・広報（広報誌・HP・関係機関への案内）" },
  { phase: "BEFORE", title: "参加者のとりまとめ" },
  { phase: "BEFORE", title: "アンケート用紙・司会進行表の作成、配付資料の印刷" },
  { phase: "ON_THE_DAY", title: "会場設営・受付" },
  { phase: "ON_THE_DAY", title: "司会進行・グループワークのファシリテーター" },
  { phase: "ON_THE_DAY", title: "写真撮影と記録" },
  { phase: "ON_THE_DAY", title: "撤収" },
  { phase: "AFTER", title: "実施結果報告の起案" },
  { phase: "AFTER", title: "アンケート集計・グラフ化、関係者への提供" },
  { phase: "AFTER", title: "地域連携だより・HPへの掲載" },
  { phase: "AFTER", title: "反省会の日程調整と実施" },
  { phase: "AFTER", title: "会場使用料・謝金の支出事務" },
];

export const LIMITS = {
  title: 200,
  description: 4000,
  place: 200,
  name: 100,
  organizationName: 200,
  comment: 2000,
  reason: 500,
  checklist: 100,
  groups: 20,
  invited: 500,
  capacity: 100_000,
  fee: 1_000_000,
  recurrenceCount: 200,
  recurrenceInterval: 12,
} as const;

const text = (max: number) => z.string().trim().min(1, "空にできません (must not be empty)").max(max, `${max}文字以内です (at most ${max} characters)`);

const url = z.url({ protocol: /^https?$/, hostname: z.regexes.domain, error: "http(s)のURLではありません (not an http(s) URL)" });

function distinctList<T extends z.ZodType>(item: T, max: number) {
  return z
    .array(item)
    .max(max, `${max}件までです (at most ${max})`)
    .refine((values) => new Set(values.map(String)).size === values.length, "同じ値が重複しています (duplicate values)");
}

export const recurrenceSchema = z
  .object({
    frequency: z.enum(RECURRENCE_FREQUENCIES),
    interval: z
      .number()
      .int()
      .min(1, "1以上です (at least 1)")
      .max(LIMITS.recurrenceInterval, `${LIMITS.recurrenceInterval}以下です (at most ${LIMITS.recurrenceInterval})`)
      .default(1),
    byWeekday: distinctList(z.enum(WEEKDAYS), 7).default([]),
    weekOfMonth: z
      .number()
      .int()
      .refine((week) => week === -1 || (week >= 1 && week <= 5), "1〜5または-1（最終）です (1-5, or -1 for the last)")
      .optional(),
    byMonthDay: z.number().int().min(1, "1〜31です (1-31)").max(31, "1〜31です (1-31)").optional(),
    count: z
      .number()
      .int()
      .min(1, "1以上です (at least 1)")
      .max(LIMITS.recurrenceCount, `${LIMITS.recurrenceCount}回までです (at most ${LIMITS.recurrenceCount})`)
      .optional(),
    until: instantSchema.optional(),
  })
  .superRefine((rule, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: "custom", path: [path], message });
    if (rule.count !== undefined && rule.until !== undefined) problem("until", "countとuntilは同時に指定できません (give count or until, not both)");
    if (rule.frequency === "WEEKLY" && (rule.weekOfMonth !== undefined || rule.byMonthDay !== undefined)) {
      problem(rule.weekOfMonth !== undefined ? "weekOfMonth" : "byMonthDay", "毎週の規則には指定できません (not for a weekly rule)");
    }
    if (rule.frequency === "MONTHLY") {
      if (rule.weekOfMonth !== undefined && rule.byMonthDay !== undefined)
        problem("byMonthDay", "weekOfMonthとbyMonthDayは同時に指定できません (give one of weekOfMonth and byMonthDay)");
      if (rule.weekOfMonth !== undefined && rule.byWeekday.length !== 1) problem("byWeekday", "第n週には曜日を1つ指定します (one weekday with weekOfMonth)");
      if (rule.weekOfMonth === undefined && rule.byWeekday.length > 0)
        problem("byWeekday", "毎月の曜日指定にはweekOfMonthが必要です (a monthly weekday needs weekOfMonth)");
    }
  });

/** A validated recurrence rule, as stored. */
export type Recurrence = z.output<typeof recurrenceSchema>;

export const checklistTaskInputSchema = z.object({
  phase: z.enum(CHECKLIST_PHASES),
  title: text(LIMITS.title),
  assigneeId: objectIdSchema.optional(),
  assigneeName: text(LIMITS.name).optional(),
  dueAt: instantSchema.optional(),
});
export type ChecklistTaskInput = z.output<typeof checklistTaskInputSchema>;

export const checklistTaskChangeSchema = z.object({
  done: z.boolean().optional(),
  title: text(LIMITS.title).optional(),
  assigneeId: objectIdSchema.optional(),
  assigneeName: text(LIMITS.name).optional(),
  dueAt: instantSchema.optional(),
});
export type ChecklistTaskChange = z.output<typeof checklistTaskChangeSchema>;

/** The fields of an event an update may change (without defaults, so that an update leaves omitted fields alone). */
const changeableFields = {
  title: text(LIMITS.title),
  description: text(LIMITS.description).optional(),
  organiserIds: distinctList(objectIdSchema, LIMITS.groups).min(1, "主催団体を1つ以上指定してください (at least one organising group)"),
  coHostIds: distinctList(objectIdSchema, LIMITS.groups),
  venueId: objectIdSchema.optional(),
  place: text(LIMITS.place).optional(),
  onlineUrl: url.optional(),
  format: z.enum(EVENT_FORMATS),
  startsAt: instantSchema,
  endsAt: instantSchema,
  recurrence: recurrenceSchema.optional(),
  capacity: z.number().int().min(1, "1以上です (at least 1)").max(LIMITS.capacity, `${LIMITS.capacity}以下です (at most ${LIMITS.capacity})`).optional(),
  waitlistEnabled: z.boolean(),
  registrationDeadline: instantSchema.optional(),
  fee: z.number().int().min(0, "0以上です (at least 0)").max(LIMITS.fee, `${LIMITS.fee}円以下です (at most ${LIMITS.fee} yen)`),
  feeNote: text(LIMITS.place).optional(),
  targetProfessions: distinctList(z.enum(PROFESSIONS), PROFESSIONS.length),
  residentsWelcome: z.boolean(),
  visibility: z.enum(EVENT_VISIBILITIES),
  visibilityGroupId: objectIdSchema.optional(),
  invitedMemberIds: distinctList(objectIdSchema, LIMITS.invited),
};

/** Every field of an event, with the defaults a creation applies. */
const draftObject = z.object({
  type: z.enum(EVENT_TYPES),
  ...changeableFields,
  coHostIds: changeableFields.coHostIds.default([]),
  waitlistEnabled: changeableFields.waitlistEnabled.default(true),
  fee: changeableFields.fee.default(0),
  targetProfessions: changeableFields.targetProfessions.default([]),
  residentsWelcome: changeableFields.residentsWelcome.default(false),
  invitedMemberIds: changeableFields.invitedMemberIds.default([]),
});

/** The rules an event's fields obey together, wherever they come from (a creation, or an update merged into the stored event). */
function eventRules(event: z.output<typeof draftObject>, context: z.RefinementCtx): void {
  const problem = (path: string, message: string) => context.addIssue({ code: "custom", path: [path], message });
  if (event.endsAt.getTime() <= event.startsAt.getTime()) problem("endsAt", "終了は開始より後にしてください (must be after startsAt)");
  if (event.endsAt.getTime() - event.startsAt.getTime() > 7 * 24 * 60 * 60 * 1000) problem("endsAt", "1回の開催は7日以内です (a session lasts at most 7 days)");
  if (event.registrationDeadline !== undefined && event.registrationDeadline.getTime() > event.endsAt.getTime()) {
    problem("registrationDeadline", "締切は終了より前にしてください (must be before endsAt)");
  }
  if (event.format !== "ONLINE" && event.venueId === undefined && event.place === undefined) {
    problem("venueId", "会場（venueIdまたはplace）を指定してください (a venue or place is needed unless online)");
  }
  if (event.format !== "IN_PERSON" && event.onlineUrl === undefined)
    problem("onlineUrl", "オンライン参加のURLが必要です (online and hybrid events need onlineUrl)");
  if (event.visibility === "GROUP" && event.visibilityGroupId === undefined)
    problem("visibilityGroupId", "公開範囲が団体のときは団体を指定してください (needed when visibility is GROUP)");
  if (event.visibility !== "GROUP" && (event.visibilityGroupId !== undefined || event.invitedMemberIds.length > 0)) {
    problem(
      event.visibilityGroupId !== undefined ? "visibilityGroupId" : "invitedMemberIds",
      "公開範囲が団体のときだけ指定できます (only when visibility is GROUP)",
    );
  }
  if (event.visibility !== "PUBLIC" && event.residentsWelcome)
    problem("residentsWelcome", "住民の参加は公開の催しのみです (only public events take residents)");
  if (event.coHostIds.some((id) => event.organiserIds.includes(id)))
    problem("coHostIds", "主催団体と共催団体が重複しています (a group is both organiser and co-host)");
}

/** An event's fields validated together: an update merged into the stored event. */
export const eventDraftSchema = draftObject.superRefine(eventRules);
export type EventDraft = z.output<typeof eventDraftSchema>;

export const createEventInputSchema = draftObject
  .extend({
    checklist: z.array(checklistTaskInputSchema).max(LIMITS.checklist, `${LIMITS.checklist}件までです (at most ${LIMITS.checklist})`).default([]),
    useStandardChecklist: z.boolean().default(false),
  })
  .superRefine(eventRules);
export type CreateEventInput = z.output<typeof createEventInputSchema>;

export const updateEventInputSchema = z
  .object(changeableFields)
  .partial()
  .refine((change) => Object.keys(change).length > 0, "変更する項目を指定してください (give at least one field to change)");
export type EventChange = z.output<typeof updateEventInputSchema>;

const phone = z
  .string()
  .transform((value) => value.normalize("NFKC").replace(/[-‐－ー―()（）\s]/g, ""))
  .pipe(z.string().regex(/^0\d{9,10}$/, "電話番号は0から始まる10〜11桁です (a Japanese number, 10-11 digits from 0)"));

export const attendeeSchema = z
  .object({
    name: text(LIMITS.name),
    kana: text(LIMITS.name).optional(),
    email: z.email("メールアドレスの形式ではありません (not an e-mail address)").max(254).optional(),
    phone: phone.optional(),
    profession: z.enum(PROFESSIONS).optional(),
    organizationName: text(LIMITS.organizationName).optional(),
  })
  .refine((attendee) => attendee.email !== undefined || attendee.phone !== undefined, {
    message: "メールアドレスか電話番号を指定してください (an e-mail address or a phone number is needed)",
    path: ["email"],
  });
export type Attendee = z.output<typeof attendeeSchema>;

export const surveyInputSchema = z.object({
  eventId: objectIdSchema,
  idempotencyKey: z.string(),
  registrationId: objectIdSchema.optional(),
  accessCode: z.string().max(200).optional(),
  satisfaction: z.enum(SATISFACTIONS),
  comment: text(LIMITS.comment).optional(),
  profession: z.enum(PROFESSIONS).optional(),
});
export type SurveyInput = z.output<typeof surveyInputSchema>;

export const targetInputSchema = z
  .object({
    fiscalYear: z.number().int().min(2000, "2000〜2100年度です (2000-2100)").max(2100, "2000〜2100年度です (2000-2100)"),
    indicator: z.enum(TARGET_INDICATORS),
    target: z.number().positive("正の数です (must be positive)").max(1_000_000),
  })
  .refine((input) => input.indicator !== "SATISFIED_PERCENT" || input.target <= 100, {
    message: "割合は100以下です (a percentage is at most 100)",
    path: ["target"],
  });
export type TargetInput = z.output<typeof targetInputSchema>;

export const statsArgsSchema = z
  .object({
    from: instantSchema,
    to: instantSchema,
    organiserId: objectIdSchema.optional(),
    types: distinctList(z.enum(EVENT_TYPES), EVENT_TYPES.length).optional(),
  })
  .refine((args) => args.from.getTime() < args.to.getTime(), { message: "toはfromより後にしてください (to must be after from)", path: ["to"] })
  .refine((args) => args.to.getTime() - args.from.getTime() <= 5 * 366 * 24 * 60 * 60 * 1000, {
    message: "期間は5年以内です (at most five years)",
    path: ["to"],
  });
export type StatsArgs = z.output<typeof statsArgsSchema>;

export const eventFilterSchema = z.object({
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  types: distinctList(z.enum(EVENT_TYPES), EVENT_TYPES.length).optional(),
  organiserIds: distinctList(objectIdSchema, 50).optional(),
  venueIds: distinctList(objectIdSchema, 50).optional(),
  profession: z.enum(PROFESSIONS).optional(),
  residentsWelcome: z.boolean().optional(),
  includeCancelled: z.boolean().default(false),
  modifiedAfter: instantSchema.optional(),
});
export type EventFilter = z.output<typeof eventFilterSchema>;

export const reasonSchema = text(LIMITS.reason);

const WEEKDAY_KANJI = ["日", "月", "火", "水", "木", "金", "土"];

/** When a session takes place as people in Tokyo read it: `2025年4月15日(火) 18:30〜20:00` (the end's date is written when it differs). */
export function tokyoTimeLabel(startsAt: Date, endsAt: Date): string {
  const start = tokyoWallClock(startsAt);
  const end = tokyoWallClock(endsAt);
  const time = (clock: typeof start) => `${clock.hour}:${String(clock.minute).padStart(2, "0")}`;
  const date = (clock: typeof start) => `${clock.month}月${clock.day}日(${WEEKDAY_KANJI[clock.weekday]})`;
  const sameDay = start.year === end.year && start.month === end.month && start.day === end.day;
  return `${start.year}年${date(start)} ${time(start)}〜${sameDay ? "" : `${date(end)} `}${time(end)}`;
}
