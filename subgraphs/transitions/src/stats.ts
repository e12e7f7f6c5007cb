// The figures the city reports (coordinators): admission and discharge contact rates per institution, discharge notice lead times in Kitami's buckets, and the share of discharges with a home service within 48 hours.
import { trusted } from "mongoose";
import { forbidden, fromTokyoWallClock, validated } from "@tsunagu/service-kit";
import type { TransitionsContext } from "./context";
import { LEAD_TIME_BUCKETS, leadTimeBucket, periodSchema, withinFortyEightHours } from "./domain";
import type { LeadTimeBucket, ResolversTypes } from "./generated/resolvers-types";
import type { NoticeDocument, PatientRecord } from "./models";

/** One institution's contact rate. */
export interface ContactRate {
  resourceId: string;
  cases: number;
  contacted: number;
}

/** How far around the period an admission sheet and a discharge notice of one stay are looked for. */
const PAIRING_WINDOW_DAYS = 180;

/** The same patient across notices: their emergency profile, else name and date of birth. */
const patientKey = (patient: PatientRecord) => patient.emergencyProfileId ?? `${patient.name ?? ""}|${patient.dateOfBirth ?? ""}`;

/** Tokyo midnight starting `date` (YYYY-MM-DD), shifted by `days`. */
function tokyoMidnight(date: string, days = 0): Date {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return fromTokyoWallClock(year, month, day + days);
}

/** Cases and contacted cases per institution, sorted by institution id. */
function rates(cases: { resourceId: string | null; contacted: boolean }[]): ContactRate[] {
  const byResource = new Map<string, ContactRate>();
  for (const { resourceId, contacted } of cases) {
    if (resourceId === null) continue;
    const rate = byResource.get(resourceId) ?? { resourceId, cases: 0, contacted: 0 };
    rate.cases += 1;
    if (contacted) rate.contacted += 1;
    byResource.set(resourceId, rate);
  }
  return [...byResource.values()].sort((a, b) => (a.resourceId < b.resourceId ? -1 : 1));
}

const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/**
 * The figures of the discharges planned from `from` to `to` (Tokyo days; a discharge notice without a date counts by
 * the day it was sent) and of the admission sheets sent in that period.
 */
export async function transitionStats(context: TransitionsContext, rawFrom: unknown, rawTo: unknown): Promise<ResolversTypes["TransitionStats"]> {
  if (context.identity.role !== "COORDINATOR" && context.identity.role !== "ADMIN") {
    throw forbidden("入退院連携の指標はコーディネーターのみ見られます (transition figures are for coordinators)");
  }
  const { from, to } = validated(periodSchema, { from: rawFrom, to: rawTo }, "");
  const start = tokyoMidnight(from);
  const end = tokyoMidnight(to, 1);
  const sent = await context.models.Notice.find({
    status: trusted({ $ne: "DRAFT" }),
    sentAt: trusted({ $gte: tokyoMidnight(from, -PAIRING_WINDOW_DAYS), $lt: tokyoMidnight(to, 1 + PAIRING_WINDOW_DAYS) }),
  }).lean<NoticeDocument[]>();
  const inPeriod = (at: Date | null) => at !== null && at >= start && at < end;
  const discharges = sent.filter((notice) => {
    if (notice.type !== "DISCHARGE_NOTICE") return false;
    const planned = notice.discharge?.plannedDischargeDate ?? null;
    return planned === null ? inPeriod(notice.sentAt) : planned >= from && planned <= to;
  });
  const admissions = sent.filter((notice) => notice.type === "ADMISSION_INFO");
  const pair = (notice: NoticeDocument, hospital: string | null) => `${patientKey(notice.patient)}@${hospital ?? ""}`;
  const admitted = new Set(admissions.map((notice) => pair(notice, notice.recipientResourceId)));
  const notified = new Set(sent.filter((notice) => notice.type === "DISCHARGE_NOTICE").map((notice) => pair(notice, notice.senderResourceId)));

  const counts = new Map<LeadTimeBucket, number>(LEAD_TIME_BUCKETS.map((bucket) => [bucket, 0]));
  for (const notice of discharges) {
    const bucket = leadTimeBucket(notice.sentAt, notice.discharge);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const fiveOrMore = (counts.get("EIGHT_OR_MORE_DAYS") ?? 0) + (counts.get("FIVE_TO_SEVEN") ?? 0);
  const within = discharges.filter(
    (notice) =>
      notice.firstServiceVisit !== null && withinFortyEightHours(notice.discharge?.plannedDischargeDate ?? null, notice.firstServiceVisit.date) === true,
  ).length;
  return {
    from,
    to,
    admissionContactRates: rates(
      discharges.map((notice) => ({ resourceId: notice.senderResourceId, contacted: admitted.has(pair(notice, notice.senderResourceId)) })),
    ),
    dischargeContactRates: rates(
      admissions
        .filter((notice) => inPeriod(notice.sentAt))
        .map((notice) => ({ resourceId: notice.senderResourceId, contacted: notified.has(pair(notice, notice.recipientResourceId)) })),
    ),
    leadTimes: LEAD_TIME_BUCKETS.map((bucket) => ({ bucket, count: counts.get(bucket) ?? 0 })),
    dischargeNotices: discharges.length,
    fiveDaysOrMoreShare: share(fiveOrMore, discharges.length),
    firstServiceWithin48Hours: within,
    firstServiceWithin48HoursShare: share(within, discharges.length),
  };
}
