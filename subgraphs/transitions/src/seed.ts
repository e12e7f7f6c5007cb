// Demo data: one Tokyo month (the one before `now`) of discharge notices with known lead times and first visits, and the admission sheets of the same stays; idempotent.
import type { Connection } from "mongoose";
import { demoObjectId, demoReferenceDate, fromTokyoWallClock, tokyoDate, tokyoWallClock } from "@tsunagu/service-kit";
import type { LeadTimeBucket } from "./generated/resolvers-types";
import { openTransitionModels } from "./models";
import type { NoticeDocument, SenderContactRecord } from "./models";

/** A professional and the institution they work at (care manager and care office, MSW and hospital). */
export interface DemoParty {
  memberId: string;
  resourceId: string;
  /** How the recipient reaches them, as their notices record it; default none (made-up parties). */
  contact?: SenderContactRecord;
}

export interface SeedDemoTransitionsOptions {
  /** Default the fixed demoReferenceDate(); the seeded month is the Tokyo calendar month before it. */
  now?: Date;
  /** Care managers with their care offices; default two made-up ones. */
  careManagers?: readonly DemoParty[];
  /** Hospital staff (MSWs) with their hospitals; default two made-up ones. */
  hospitals?: readonly DemoParty[];
}

/** What the seeded month yields in transitionStats for that month. */
export const DEMO_TRANSITION_FIGURES = Object.freeze({
  dischargeNotices: 10,
  admissionSheets: 6,
  leadTimes: Object.freeze({
    EIGHT_OR_MORE_DAYS: 2,
    FIVE_TO_SEVEN: 2,
    TWO_TO_FOUR: 2,
    DAY_BEFORE: 1,
    SAME_DAY: 1,
    AFTER_DISCHARGE: 1,
    UNKNOWN: 1,
  } satisfies Record<LeadTimeBucket, number>),
  fiveDaysOrMoreShare: 0.4,
  firstServiceWithin48Hours: 6,
  firstServiceWithin48HoursShare: 0.6,
  /** Discharges whose patient's admission sheet had reached the hospital. */
  admissionContacted: 6,
});

/** Each stay: notice lead days (null: no planned date), days from discharge to the first visit (null: none), and whether an admission sheet was sent. */
const STAYS: readonly { lead: number | null; visit: number | null; sheet: boolean }[] = [
  { lead: 9, visit: 1, sheet: true },
  { lead: 8, visit: 0, sheet: true },
  { lead: 6, visit: 2, sheet: true },
  { lead: 5, visit: 1, sheet: true },
  { lead: 3, visit: 2, sheet: true },
  { lead: 2, visit: 3, sheet: true },
  { lead: 1, visit: 1, sheet: false },
  { lead: 0, visit: 5, sheet: false },
  { lead: -1, visit: null, sheet: false },
  { lead: null, visit: null, sheet: false },
];

const SEED_CREATOR = "seed:transitions";

const madeUp = (kind: string, count: number): DemoParty[] =>
  Array.from({ length: count }, (_, index) => ({
    memberId: demoObjectId(`transitions-${kind}-member`, index).toHexString(),
    resourceId: demoObjectId(`transitions-${kind}-resource`, index).toHexString(),
  }));

/** Seeds the month before `now` unless its demo notices exist; returns how many notices were inserted and the month. */
export async function seedDemoTransitions(
  connection: Connection,
  options: SeedDemoTransitionsOptions = {},
): Promise<{ inserted: number; skipped: boolean; from: string; to: string }> {
  const { Notice } = await openTransitionModels(connection);
  const { year, month } = tokyoWallClock(options.now ?? demoReferenceDate());
  const day = (d: number, hour = 10) => fromTokyoWallClock(year, month - 1, d, hour);
  const from = tokyoDate(day(1));
  const to = tokyoDate(fromTokyoWallClock(year, month, 0, 12));
  const prefix = `demo-${from.slice(0, 7)}-`;
  if ((await Notice.countDocuments({ "creation.by": SEED_CREATOR, "creation.key": `${prefix}discharge-0` })) > 0) {
    return { inserted: 0, skipped: true, from, to };
  }
  const careManagers = options.careManagers?.length ? options.careManagers : madeUp("care-manager", 2);
  const hospitals = options.hospitals?.length ? options.hospitals : madeUp("hospital", 2);
  const notices: Omit<NoticeDocument, "_id">[] = [];
  STAYS.forEach((stay, index) => {
    const careManager = careManagers[index % careManagers.length];
    const hospital = hospitals[index % hospitals.length];
    const patient = {
      emergencyProfileId: null,
      name: `デモ 患者${index + 1}`,
      kana: `でも かんじゃ${index + 1}`,
      dateOfBirth: `19${40 + index}-04-0${1 + (index % 9)}`,
    };
    const dischargeDay = 15 + index;
    const planned = stay.lead === null ? null : tokyoDate(day(dischargeDay));
    const sentAt = day(stay.lead === null ? dischargeDay : dischargeDay - stay.lead, 9);
    const common = { status: "ACKNOWLEDGED" as const, patient, careTeamIds: [], firstServiceVisit: null, receivedAt: sentAt, acknowledgedAt: sentAt };
    if (stay.sheet) {
      notices.push({
        ...common,
        type: "ADMISSION_INFO",
        senderId: careManager.memberId,
        senderResourceId: careManager.resourceId,
        senderContact: careManager.contact ?? null,
        recipientId: hospital.memberId,
        recipientResourceId: hospital.resourceId,
        admission: {
          servicesInUse: ["訪問介護"],
          familyCareCapacity: "LIMITED",
          keyPerson: "長女",
          livingSituation: "独居",
          adl: "屋内自立",
          familyWishes: "自宅に戻りたい",
          notes: null,
        },
        discharge: null,
        creation: { by: SEED_CREATOR, key: `${prefix}admission-${index}`, fingerprint: "seed", at: day(3 + index, 8) },
        createdAt: day(3 + index, 8),
        sentAt: day(3 + index, 9),
        receivedAt: day(3 + index, 9),
        acknowledgedAt: day(3 + index, 11),
      });
    }
    notices.push({
      ...common,
      type: "DISCHARGE_NOTICE",
      senderId: hospital.memberId,
      senderContact: hospital.contact ?? null,
      senderResourceId: hospital.resourceId,
      recipientId: careManager.memberId,
      recipientResourceId: careManager.resourceId,
      admission: null,
      discharge: {
        plannedDischargeDate: planned,
        adlChange: "歩行に見守りが必要",
        homeProcedures: index % 3 === 0 ? ["INSULIN"] : [],
        referralCriteria: ["ADL_DECLINE"],
        conferenceDate: null,
        notes: null,
      },
      firstServiceVisit:
        stay.visit === null
          ? null
          : {
              date: tokyoDate(day(dischargeDay + stay.visit)),
              service: "VISITING_NURSING",
              providerId: careManager.resourceId,
              recordedById: careManager.memberId,
              recordedAt: day(dischargeDay + stay.visit, 17),
              plannedDischargeDate: planned,
            },
      creation: { by: SEED_CREATOR, key: `${prefix}discharge-${index}`, fingerprint: "seed", at: sentAt },
      createdAt: sentAt,
      sentAt,
    });
  });
  await Notice.insertMany(notices);
  return { inserted: notices.length, skipped: false, from, to };
}
