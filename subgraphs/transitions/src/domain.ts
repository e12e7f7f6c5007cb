// What a notice holds and how input becomes it (zod schemas naming each field), and Kitami's lead-time buckets and the 48-hour rule on the Tokyo calendar.
import { z } from "zod";
import { calendarDate, calendarDaysBetween, objectIdSchema, tokyoDate } from "@tsunagu/service-kit";
import type { LeadTimeBucket } from "./generated/resolvers-types";
import type { DischargeRecord } from "./models";

const TYPES = ["ADMISSION_INFO", "DISCHARGE_NOTICE"] as const;
const CAPACITIES = ["SUFFICIENT", "LIMITED", "NONE", "UNKNOWN"] as const;
const PROCEDURES = ["TUBE_FEEDING", "SUCTION", "INSULIN", "PRESSURE_ULCER", "HOME_OXYGEN"] as const;
const CRITERIA = ["ADL_DECLINE", "MEDICAL_PROCEDURES", "WEAK_FAMILY_CARE", "DEMENTIA", "TERMINAL_CANCER", "REPEATED_ADMISSIONS", "HOUSING_CHANGE"] as const;
const SERVICES = ["VISITING_NURSING", "HOME_HELP", "HOME_MEDICAL", "HOME_REHABILITATION", "DAY_SERVICE", "OTHER"] as const;

/** Every bucket in the order the city's survey lists them. */
export const LEAD_TIME_BUCKETS: readonly LeadTimeBucket[] = [
  "EIGHT_OR_MORE_DAYS",
  "FIVE_TO_SEVEN",
  "TWO_TO_FOUR",
  "DAY_BEFORE",
  "SAME_DAY",
  "AFTER_DISCHARGE",
  "UNKNOWN",
];

const text = (max: number) => z.string().trim().min(1, "空にできません (must not be empty)").max(max, `${max}文字までです (at most ${max} characters)`);
const optionalText = (max: number) => text(max).nullable().default(null);

const patientSchema = z
  .object({
    emergencyProfileId: objectIdSchema.nullable().default(null),
    name: optionalText(100),
    kana: optionalText(100),
    dateOfBirth: calendarDate.nullable().default(null),
  })
  .refine((patient) => patient.emergencyProfileId !== null || (patient.name !== null && patient.dateOfBirth !== null), {
    message: "救急医療情報IDか、氏名と生年月日が必要です (an emergency profile id, or a name and date of birth)",
    path: ["name"],
  });

const admissionSchema = z.object({
  servicesInUse: z.array(text(100)).max(30).default([]),
  familyCareCapacity: z.enum(CAPACITIES).nullable().default(null),
  keyPerson: optionalText(200),
  livingSituation: optionalText(2000),
  adl: optionalText(2000),
  familyWishes: optionalText(2000),
  notes: optionalText(4000),
});

const dischargeSchema = z.object({
  plannedDischargeDate: calendarDate.nullable().default(null),
  adlChange: optionalText(2000),
  homeProcedures: z.array(z.enum(PROCEDURES)).default([]),
  referralCriteria: z.array(z.enum(CRITERIA)).default([]),
  conferenceDate: calendarDate.nullable().default(null),
  notes: optionalText(4000),
});

/** A new draft: the section of its type is required, the other one refused. */
export const createNoticeSchema = z
  .object({
    type: z.enum(TYPES),
    patient: patientSchema,
    recipientId: objectIdSchema,
    recipientResourceId: objectIdSchema.nullable().default(null),
    careTeamIds: z.array(objectIdSchema).max(30).default([]),
    admission: admissionSchema.nullable().default(null),
    discharge: dischargeSchema.nullable().default(null),
  })
  .superRefine((input, issues) => {
    const [needed, other] = input.type === "ADMISSION_INFO" ? (["admission", "discharge"] as const) : (["discharge", "admission"] as const);
    if (input[needed] === null)
      issues.addIssue({ code: "custom", path: [needed], message: `${input.type} には ${needed} が必要です (required for this type)` });
    if (input[other] !== null) issues.addIssue({ code: "custom", path: [other], message: `${input.type} には ${other} を入れません (not for this type)` });
  });

export const visitSchema = z.object({
  date: calendarDate,
  service: z.enum(SERVICES),
  providerId: objectIdSchema.nullable().default(null),
});

/** A stats period: first and last day, at most about a year, in order. */
export const periodSchema = z
  .object({ from: calendarDate, to: calendarDate })
  .refine((period) => period.from <= period.to, { message: "from は to 以前です (from must not be after to)", path: ["to"] })
  .refine((period) => calendarDaysBetween(period.from, period.to) <= 366, { message: "期間は1年以内です (at most a year)", path: ["to"] });

/** Kitami's bucket for a discharge notice sent at `sentAt` (Asia/Tokyo day) for a planned discharge date. */
export function leadTimeBucket(sentAt: Date | null, discharge: DischargeRecord | null): LeadTimeBucket {
  if (sentAt === null || discharge?.plannedDischargeDate == null) return "UNKNOWN";
  const days = calendarDaysBetween(tokyoDate(sentAt), discharge.plannedDischargeDate);
  if (days >= 8) return "EIGHT_OR_MORE_DAYS";
  if (days >= 5) return "FIVE_TO_SEVEN";
  if (days >= 2) return "TWO_TO_FOUR";
  if (days === 1) return "DAY_BEFORE";
  if (days === 0) return "SAME_DAY";
  return "AFTER_DISCHARGE";
}

/**
 * Whether a first visit on `visitDate` began within 48 hours of a discharge on `dischargeDate`: visits carry a date,
 * not a time, so "within 48 hours" is the discharge day or either of the two calendar days after it. Null without a
 * discharge date.
 */
export function withinFortyEightHours(dischargeDate: string | null, visitDate: string): boolean | null {
  if (dischargeDate === null) return null;
  const days = calendarDaysBetween(dischargeDate, visitDate);
  return days >= 0 && days <= 2;
}
