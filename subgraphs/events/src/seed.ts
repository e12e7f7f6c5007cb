// Demo data for the events subgraph: a realistic fiscal year (monthly 多職種連携研修会 averaging 124 attendees, 地域ケア会議, 事例検討会, 医科歯科同行訪問研修, resident lectures, a care cafe series, one cancelled forum) with attendance and surveys, the city's yearly targets, and the coming months' events open for registration.
import { Types } from "mongoose";
import type { Connection } from "mongoose";
import { demoReferenceDate, fiscalYearOf, fromTokyoWallClock, tokyoWallClock } from "@tsunagu/service-kit";
import { PROFESSIONS, STANDARD_CHECKLIST } from "./domain";
import type { EventType, EventVisibility, Profession, Satisfaction, TargetIndicator } from "./domain";
import { openEventModels } from "./models";
import type { ChecklistTaskRecord, EventDocument, RegistrationDocument, SurveyResponseDocument } from "./models";
import { nthWeekday } from "./recurrence";

/** A member of the groups subgraph to register for the coming events and assign preparation tasks to. */
export interface DemoMember {
  id: string;
  name: string;
  profession: Profession;
  organizationId?: string;
}

export interface SeedDemoEventsOptions {
  /** The demo year is the fiscal year before the one containing `now`; the coming events are in the three months after it. Default the fixed demoReferenceDate(). */
  now?: Date;
  /** Groups (of the groups subgraph) as organisers: the first 主催, the second 共催, the third holds the 地域ケア会議. Without them events have no organisers. */
  groupIds?: readonly string[];
  /** Resources (of the resources subgraph): the first is the usual venue, the first 60 are the attendees' workplaces. */
  resourceIds?: readonly string[];
  members?: readonly DemoMember[];
}

/** Attendances of the twelve monthly 多職種連携研修会 (April to March): 1,488 in all, 124 on average. */
const MONTHLY_TRAINING_ATTENDANCE = [118, 131, 109, 127, 140, 122, 115, 133, 126, 119, 128, 120] as const;

const MONTHLY_TRAINING_TOPICS = [
  "入退院支援と多職種連携",
  "看取りと人生会議（ACP）",
  "認知症の人の意思決定支援",
  "口腔ケアと誤嚥性肺炎の予防",
  "在宅での服薬支援",
  "褥瘡予防とポジショニング",
  "食形態と栄養ケア",
  "急変時の対応と救急との連携",
  "災害時の要配慮者の安否確認",
  "地域資源マップの活用",
  "感染症が流行したときの在宅ケア",
  "一年のふりかえりと事例報告",
] as const;

/** Who comes to a monthly training, per 124 attendees. */
const TRAINING_MIX: Readonly<Partial<Record<Profession, number>>> = {
  CARE_MANAGER: 30,
  NURSE: 24,
  CARE_WORKER: 14,
  PHARMACIST: 8,
  PHYSICAL_THERAPIST: 8,
  MEDICAL_SOCIAL_WORKER: 7,
  PHYSICIAN: 6,
  SOCIAL_WORKER: 6,
  HOME_HELPER: 6,
  DENTIST: 3,
  DENTAL_HYGIENIST: 3,
  REGISTERED_DIETITIAN: 3,
  OCCUPATIONAL_THERAPIST: 3,
  PUBLIC_HEALTH_NURSE: 3,
};
const CARE_MEETING_MIX: Readonly<Partial<Record<Profession, number>>> = {
  CARE_MANAGER: 3,
  PUBLIC_HEALTH_NURSE: 2,
  SOCIAL_WORKER: 2,
  NURSE: 2,
  PHYSICIAN: 1,
  PHARMACIST: 1,
  PHYSICAL_THERAPIST: 1,
  LIFE_SUPPORT_COORDINATOR: 1,
  MUNICIPAL_OFFICER: 1,
};
const CASE_CONFERENCE_MIX: Readonly<Partial<Record<Profession, number>>> = {
  CARE_MANAGER: 10,
  NURSE: 6,
  CARE_WORKER: 4,
  MEDICAL_SOCIAL_WORKER: 3,
  PHYSICAL_THERAPIST: 3,
  PHARMACIST: 2,
  HOME_HELPER: 2,
};
const ACCOMPANIED_VISIT_MIX: Readonly<Partial<Record<Profession, number>>> = { PHYSICIAN: 3, DENTIST: 3 };

const RESIDENT_LECTURES = [
  { month: 6, title: "認知症サポーター養成講座", attended: 42 },
  { month: 10, title: "楽しく学ぼう！薬剤師さんのお薬教室（出前講座）", attended: 28 },
  { month: 11, title: "在宅医療ってなに？ 住み慣れた家で暮らし続けるために", attended: 64 },
  { month: 2, title: "市民公開講座 そろそろ、うちでも「人生会議」", attended: 86 },
] as const;

/** The city's yearly targets (DOMAIN.md: 500 trainees, 12 multi-profession meetings). */
const DEMO_TARGETS: Readonly<Record<TargetIndicator, number>> = {
  TRAINING_ATTENDEES: 500,
  MULTI_PROFESSION_MEETINGS: 12,
  RESIDENT_LECTURE_ATTENDEES: 300,
  SATISFIED_PERCENT: 90,
};

/** What the seeded fiscal year adds up to (the figures eventStats reports for it). */
export const DEMO_EVENT_FIGURES = {
  /** Sessions held: 12 trainings, 6 地域ケア会議, 4 事例検討会, 3 同行訪問研修, 4 resident lectures, the care cafe's 12 monthly sessions. */
  events: 41,
  cancelledEvents: 1,
  participants: 1488 + 6 * 14 + 4 * 30 + 3 * 6 + 220,
  residentParticipants: 220,
  monthlyTrainingAverage: 124,
  trainingAttendees: 1488 + 4 * 30 + 3 * 6,
  /** Trainings, care meetings and case conferences; the accompanied visits bring two professions only. */
  multiProfessionMeetings: 12 + 6 + 4,
  distinctOrganizations: 60,
} as const;

/** Workplaces the demo professionals come from (the first resources, or stand-ins). */
const ORGANIZATION_POOL = 60;
/** Different people of one profession who come over the year. */
const PEOPLE_PER_PROFESSION = 60;

const SURNAMES = [
  "佐藤",
  "鈴木",
  "高橋",
  "田中",
  "伊藤",
  "渡辺",
  "山本",
  "中村",
  "小林",
  "加藤",
  "吉田",
  "山田",
  "佐々木",
  "山口",
  "松本",
  "井上",
  "木村",
  "林",
  "斎藤",
  "清水",
];
const GIVEN_NAMES = ["陽子", "健一", "美香", "直樹", "恵子", "大輔", "由美", "誠", "真由美", "拓也", "智子", "翔太", "久美子", "浩", "千尋", "隆"];
const COMMENTS = [
  "他職種の考え方がわかり、顔の見える関係づくりにつながった。",
  "グループワークで近くの事業所の方と話せてよかった。",
  "事例が具体的で明日からの支援に活かせる。",
  "時間が短く感じた。もう少し意見交換の時間がほしい。",
  "地域資源の情報が役に立った。連絡先一覧を活用したい。",
];

/** A stable id for a demo record, so that the seed is the same on every start. */
function demoId(kind: string, index: number): Types.ObjectId {
  return new Types.ObjectId((Buffer.from(`evt-${kind}`.padEnd(8, "-").slice(0, 8)).toString("hex") + index.toString(16).padStart(8, "0")).slice(0, 24));
}

/** Counts that add up to `total` in the proportions of `weights` (largest remainder). */
function apportion<K extends string>(weights: Readonly<Partial<Record<K, number>>>, total: number): Map<K, number> {
  const entries = Object.entries(weights) as [K, number][];
  const sum = entries.reduce((acc, [, weight]) => acc + weight, 0);
  const exact = entries.map(([key, weight]) => ({ key, exact: (weight / sum) * total }));
  const counts = new Map(exact.map(({ key, exact: value }) => [key, Math.floor(value)]));
  let left = total - [...counts.values()].reduce((acc, count) => acc + count, 0);
  for (const { key } of [...exact].sort((a, b) => (b.exact % 1) - (a.exact % 1))) {
    if (left === 0) break;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    left -= 1;
  }
  return counts;
}

interface Seeded {
  events: Omit<EventDocument, "createdAt" | "updatedAt">[];
  registrations: RegistrationDocument[];
  surveys: SurveyResponseDocument[];
}

/** Seeds the demo year once: `skipped` when events already exist. */
export async function seedDemoEvents(connection: Connection, options: SeedDemoEventsOptions = {}): Promise<{ inserted: number; skipped: boolean }> {
  const models = await openEventModels(connection);
  if ((await models.Event.exists({})) !== null) return { inserted: 0, skipped: true };
  const now = options.now ?? demoReferenceDate();
  const seeded = buildDemo(now, options);
  const stamp = { createdAt: now, updatedAt: now };
  await models.Event.collection.insertMany(
    seeded.events.map((event) => ({ ...event, ...stamp })),
    { ignoreUndefined: true },
  );
  await models.Registration.collection.insertMany(seeded.registrations, { ignoreUndefined: true });
  await models.SurveyResponse.collection.insertMany(seeded.surveys, { ignoreUndefined: true });
  const year = fiscalYearOf(now);
  const targets = [year - 1, year].flatMap((fiscalYear) =>
    (Object.entries(DEMO_TARGETS) as [TargetIndicator, number][]).map(([indicator, target]) => ({
      fiscalYear,
      indicator,
      target,
      setBy: "つなぐ市 長寿介護課",
      updatedAt: now,
    })),
  );
  await models.Target.collection.insertMany(targets);
  return { inserted: seeded.events.length + seeded.registrations.length + seeded.surveys.length + targets.length, skipped: false };
}

function buildDemo(now: Date, options: SeedDemoEventsOptions): Seeded {
  const groups = (options.groupIds ?? []).map((id) => new Types.ObjectId(id));
  const resources = (options.resourceIds ?? []).map((id) => new Types.ObjectId(id));
  const members = options.members ?? [];
  const organizations = Array.from({ length: ORGANIZATION_POOL }, (_, index) => resources[index] ?? demoId("org", index));
  const venue = resources[0];
  const seeded: Seeded = { events: [], registrations: [], surveys: [] };
  const fiscalYear = fiscalYearOf(now) - 1;
  const yearOf = (month: number) => (month >= 4 ? fiscalYear : fiscalYear + 1);
  let eventIndex = 0;

  const addEvent = (fields: {
    type: EventType;
    title: string;
    startsAt: Date;
    hours: number;
    visibility: EventVisibility;
    capacity?: number;
    residentsWelcome?: boolean;
    description?: string;
    status?: "CANCELLED";
  }): Omit<EventDocument, "createdAt" | "updatedAt"> => {
    eventIndex += 1;
    const endsAt = new Date(fields.startsAt.getTime() + fields.hours * 60 * 60 * 1000);
    const past = endsAt.getTime() < now.getTime();
    const groupVisible = fields.visibility === "GROUP" && groups.length > 0;
    const checklist: ChecklistTaskRecord[] = (fields.type === "TRAINING" ? STANDARD_CHECKLIST : []).map((task, index) => ({
      _id: demoId("task", eventIndex * 100 + index),
      phase: task.phase,
      title: task.title,
      ...(members.length === 0 ? {} : { assigneeId: new Types.ObjectId(members[index % members.length].id) }),
      done: past,
      ...(past ? { doneAt: endsAt, doneBy: "つなぐ市 在宅医療・介護連携支援センター" } : {}),
    }));
    const event: Omit<EventDocument, "createdAt" | "updatedAt"> = {
      _id: demoId("event", eventIndex),
      type: fields.type,
      title: fields.title,
      description: fields.description,
      organiserIds: groups.slice(0, 1),
      coHostIds: fields.type === "TRAINING" ? groups.slice(1, 2) : [],
      venueId: venue,
      place: "つなぐ市保健センター 2階研修室",
      format: "IN_PERSON",
      startsAt: fields.startsAt,
      endsAt,
      seriesEndsAt: endsAt,
      capacity: fields.capacity,
      waitlistEnabled: fields.type !== "COMMUNITY_CARE_MEETING",
      registrationDeadline: new Date(fields.startsAt.getTime() - 3 * 24 * 60 * 60 * 1000),
      fee: 0,
      targetProfessions: [],
      residentsWelcome: fields.residentsWelcome ?? false,
      visibility: fields.visibility === "GROUP" && !groupVisible ? "PROFESSIONALS" : fields.visibility,
      visibilityGroupId: groupVisible ? (groups[2] ?? groups[0]) : undefined,
      invitedMemberIds: groupVisible ? members.map((member) => new Types.ObjectId(member.id)) : [],
      checklist,
      status: fields.status ?? "SCHEDULED",
      ...(fields.status === "CANCELLED"
        ? { cancelledAt: new Date(fields.startsAt.getTime() - 2 * 24 * 60 * 60 * 1000), cancellationReason: "台風接近のため" }
        : {}),
      seats: { registered: 0, waitlisted: 0, attended: 0, waitlistSequence: 0, changes: 0 },
      createdBy: "jwt:demo-coordinator",
      version: 1,
    };
    seeded.events.push(event);
    return event;
  };

  /** Registers `count` people (professionals by `mix`, or residents), checked in when the event is over, with survey answers. */
  const attend = (
    event: Omit<EventDocument, "createdAt" | "updatedAt">,
    people: { mix: Readonly<Partial<Record<Profession, number>>>; count: number } | { residents: number },
    answers: { rate: number; shares: Readonly<Record<Satisfaction, number>> } | undefined,
  ) => {
    const held = event.endsAt.getTime() < now.getTime();
    const attendees: Omit<
      RegistrationDocument,
      "_id" | "registeredAt" | "attendedAt" | "eventId" | "eventStartsAt" | "eventSeriesEndsAt" | "status" | "active" | "createdBy"
    >[] = [];
    if ("residents" in people) {
      for (let k = 0; k < people.residents; k += 1) {
        const name = `${SURNAMES[(k * 7) % SURNAMES.length]} ${GIVEN_NAMES[(k * 5 + eventIndex) % GIVEN_NAMES.length]}`;
        attendees.push({ personKey: `contact:resident-${eventIndex}-${k}@example.jp`, name, email: `resident-${eventIndex}-${k}@example.jp` });
      }
    } else {
      for (const [profession, count] of apportion(people.mix, people.count)) {
        const professionIndex = PROFESSIONS.indexOf(profession);
        for (let k = 0; k < count; k += 1) {
          const person = (k + eventIndex * 7) % PEOPLE_PER_PROFESSION;
          attendees.push({
            personKey: `contact:${profession.toLowerCase()}-${person}@example.jp`,
            name: `${SURNAMES[(person + professionIndex) % SURNAMES.length]} ${GIVEN_NAMES[(person * 3 + professionIndex) % GIVEN_NAMES.length]}`,
            email: `${profession.toLowerCase()}-${person}@example.jp`,
            profession,
            organizationId: organizations[(professionIndex * 13 + person) % ORGANIZATION_POOL],
          });
        }
      }
    }
    const registrations = attendees.map((attendee, k): RegistrationDocument => ({
      _id: demoId("reg", eventIndex * 1000 + k),
      eventId: event._id,
      status: "REGISTERED",
      active: true,
      ...attendee,
      eventStartsAt: event.startsAt,
      eventSeriesEndsAt: event.seriesEndsAt,
      registeredAt: new Date(event.startsAt.getTime() - (10 + (k % 20)) * 24 * 60 * 60 * 1000),
      ...(held ? { attendedAt: new Date(event.startsAt.getTime() - (k % 15) * 60 * 1000) } : {}),
      createdBy: "none:PUBLIC",
    }));
    seeded.registrations.push(...registrations);
    event.seats.registered = registrations.length;
    if (held) event.seats.attended = registrations.length;
    if (!held || answers === undefined) return;
    const responses = Math.round(registrations.length * answers.rate);
    let k = 0;
    for (const [satisfaction, count] of apportion(answers.shares, responses)) {
      for (let n = 0; n < count; n += 1, k += 1) {
        const registration = registrations[k];
        seeded.surveys.push({
          _id: demoId("survey", eventIndex * 1000 + k),
          eventId: event._id,
          registrationId: registration._id,
          satisfaction,
          ...(k % 9 === 0 ? { comment: COMMENTS[(k / 9 + eventIndex) % COMMENTS.length] } : {}),
          ...(registration.profession === undefined ? {} : { profession: registration.profession }),
          submittedAt: event.endsAt,
          enteredBy: "つなぐ市 在宅医療・介護連携支援センター",
        });
      }
    }
  };

  const trainingShares = { VERY_GOOD: 55, GOOD: 38, FAIR: 6, POOR: 1 };
  const at = (month: number, nth: number, weekday: "WED" | "THU" | "TUE" | "SAT", hour: number, minute = 0) => {
    const year = yearOf(month);
    return fromTokyoWallClock(year, month, nthWeekday(year, month, weekday, nth) ?? 1, hour, minute);
  };
  const months = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3];
  months.forEach((month, index) => {
    const event = addEvent({
      type: "TRAINING",
      title: `多職種連携研修会「${MONTHLY_TRAINING_TOPICS[index]}」`,
      description: "医療・介護・福祉の多職種が一堂に会し、講義とグループワークで顔の見える関係をつくります。",
      startsAt: at(month, 3, "WED", 18, 30),
      hours: 1.5,
      visibility: "PROFESSIONALS",
      capacity: 150,
    });
    attend(event, { mix: TRAINING_MIX, count: MONTHLY_TRAINING_ATTENDANCE[index] }, { rate: 0.8, shares: trainingShares });
  });
  for (const month of [5, 7, 9, 11, 1, 3]) {
    const event = addEvent({
      type: "COMMUNITY_CARE_MEETING",
      title: "地域ケア会議（個別ケース検討）",
      startsAt: at(month, 2, "TUE", 14),
      hours: 2,
      visibility: "GROUP",
      capacity: 20,
    });
    attend(event, { mix: CARE_MEETING_MIX, count: 14 }, undefined);
  }
  for (const month of [6, 9, 12, 3]) {
    const event = addEvent({
      type: "CASE_CONFERENCE",
      title: "事例検討会",
      startsAt: at(month, 4, "THU", 18, 30),
      hours: 1.5,
      visibility: "PROFESSIONALS",
      capacity: 40,
    });
    attend(event, { mix: CASE_CONFERENCE_MIX, count: 30 }, { rate: 1, shares: { VERY_GOOD: 60, GOOD: 35, FAIR: 5, POOR: 0 } });
  }
  for (const month of [5, 8, 9]) {
    const event = addEvent({
      type: "ACCOMPANIED_VISIT_TRAINING",
      title: "医科歯科在宅医療同行訪問研修",
      startsAt: at(month, 4, "THU", 13, 30),
      hours: 3,
      visibility: "PROFESSIONALS",
      capacity: 6,
    });
    attend(event, { mix: ACCOMPANIED_VISIT_MIX, count: 6 }, { rate: 1, shares: { VERY_GOOD: 4, GOOD: 2, FAIR: 0, POOR: 0 } });
  }
  for (const lecture of RESIDENT_LECTURES) {
    const event = addEvent({
      type: "RESIDENT_LECTURE",
      title: lecture.title,
      startsAt: at(lecture.month, 3, "SAT", 10),
      hours: 1.5,
      visibility: "PUBLIC",
      capacity: 120,
      residentsWelcome: true,
    });
    attend(event, { residents: lecture.attended }, { rate: 0.7, shares: { VERY_GOOD: 84, GOOD: 16, FAIR: 0, POOR: 0 } });
  }
  const cafe = addEvent({
    type: "CARE_CAFE",
    title: "オレンジカフェ（認知症カフェ）",
    startsAt: at(4, 2, "SAT", 13, 30),
    hours: 2,
    visibility: "PUBLIC",
    residentsWelcome: true,
  });
  Object.assign(cafe, {
    recurrence: { frequency: "MONTHLY", interval: 1, byWeekday: ["SAT"], weekOfMonth: 2 },
    seriesEndsAt: null,
    registrationDeadline: undefined,
    waitlistEnabled: false,
  });
  addEvent({
    type: "FORUM",
    title: "在宅医療・介護連携フォーラム",
    startsAt: at(9, 1, "SAT", 13),
    hours: 3,
    visibility: "PUBLIC",
    residentsWelcome: true,
    status: "CANCELLED",
  });

  // The coming months: trainings, a care meeting and a lecture open for registration; the demo members registered for the first training.
  const today = tokyoWallClock(now);
  const comingMonths = [1, 2, 3].map((ahead) => {
    const month = new Date(Date.UTC(today.year, today.month - 1 + ahead, 1));
    return { year: month.getUTCFullYear(), month: month.getUTCMonth() + 1 };
  });
  comingMonths.forEach(({ year, month }, index) => {
    const startsAt = fromTokyoWallClock(year, month, nthWeekday(year, month, "WED", 3) ?? 15, 18, 30);
    const event = addEvent({
      type: "TRAINING",
      title: `多職種連携研修会「${MONTHLY_TRAINING_TOPICS[index]}（${year}年度）」`,
      description: "医療・介護・福祉の多職種が一堂に会し、講義とグループワークで顔の見える関係をつくります。",
      startsAt,
      hours: 1.5,
      visibility: "PROFESSIONALS",
      capacity: 150,
    });
    attend(event, { mix: TRAINING_MIX, count: 40 + index * 10 }, undefined);
    if (index === 0) {
      members.forEach((member, k) => {
        seeded.registrations.push({
          _id: demoId("member-reg", k),
          eventId: event._id,
          status: "REGISTERED",
          active: true,
          personKey: `member:${member.id.toLowerCase()}`,
          memberId: new Types.ObjectId(member.id),
          name: member.name,
          profession: member.profession,
          ...(member.organizationId === undefined ? {} : { organizationId: new Types.ObjectId(member.organizationId) }),
          eventStartsAt: event.startsAt,
          eventSeriesEndsAt: event.seriesEndsAt,
          registeredAt: now,
          createdBy: `jwt:${member.id}`,
        });
        event.seats.registered += 1;
      });
    }
  });
  const { year, month } = comingMonths[0];
  addEvent({
    type: "COMMUNITY_CARE_MEETING",
    title: "地域ケア会議（地域課題の検討）",
    startsAt: fromTokyoWallClock(year, month, nthWeekday(year, month, "TUE", 2) ?? 10, 14),
    hours: 2,
    visibility: "GROUP",
    capacity: 20,
  });
  addEvent({
    type: "RESIDENT_LECTURE",
    title: "住民向け講座「もしものときの救急医療情報キット」",
    startsAt: fromTokyoWallClock(year, month, nthWeekday(year, month, "SAT", 3) ?? 20, 10),
    hours: 1.5,
    visibility: "PUBLIC",
    capacity: 100,
    residentsWelcome: true,
  });
  return seeded;
}
