// Demo residents of つなぐ市 (石川県) with emergency profiles: Japanese names with kana, addresses by district, conditions with their medications, allergies, ACP wishes; deterministic content, card codes from the cryptographic source.
import { createHash } from "node:crypto";
import { Types } from "mongoose";
import type { Connection } from "mongoose";
import { DEMO_SURNAMES, demoReferenceDate, toSearchKey } from "@tsunagu/service-kit";
import type { CareLevel, ConsentScope, EmergencyItemInput, EmergencyItemKind } from "./generated/resolvers-types";
import { generateCardCode } from "./card-code";
import { CARE_LEVELS } from "./domain";
import type { ConditionRecord, MedicationRecord, ProfileContent } from "./domain";
import { confirmation, withSources } from "./item-sources";
import type { ItemSourceRecord, StoredContent } from "./item-sources";
import { emergencyModels, ensureEmergencyIndexes } from "./models";
import type { ProfileDocument } from "./models";

export interface SeedDemoEmergencyOptions {
  /** The moment ages, reviews and consents are relative to; default the fixed demoReferenceDate(). */
  now?: Date;
  /** How many residents; default 60 (100,000 for the benchmark). */
  count?: number;
  /** Resource ids of hospitals to name as primary hospitals, in turn (from the resources subgraph); default none. */
  hospitalIds?: readonly string[];
  /** Member ids of care managers to name, in turn (from the groups subgraph); default none. */
  careManagerIds?: readonly string[];
  /**
   * Demo doctors (from the groups subgraph): every other resident names one, in turn, as primary physician, grants them
   * access, and has some items confirmed by them; default none (every item stays self-reported and unconfirmed).
   */
  physicians?: readonly DemoPhysician[];
}

/** A doctor of the demo directory, as their token (`npm run token -- --demo PHYSICIAN`) names them. */
export interface DemoPhysician {
  memberId: string;
  name: string;
  organizationId: string | null;
}

/** Whose demo records these are; seeding again finds them and does nothing. */
const DEMO_CREATOR = "seed:demo";
const BATCH = 1000;
const DAY_MS = 86_400_000;

type Named = readonly [text: string, kana: string];

/** The first 36 of the demo surnames: the demo residents were drawn from these, so the README's 坂本 昭 stays who he is. */
const SURNAMES: readonly Named[] = DEMO_SURNAMES.slice(0, 36);
const WOMEN: readonly Named[] = [
  ["ハナ", "ハナ"],
  ["キヨ", "キヨ"],
  ["トメ", "トメ"],
  ["千代子", "チヨコ"],
  ["幸子", "サチコ"],
  ["和子", "カズコ"],
  ["節子", "セツコ"],
  ["洋子", "ヨウコ"],
  ["恵子", "ケイコ"],
  ["美代子", "ミヨコ"],
  ["久子", "ヒサコ"],
  ["文子", "フミコ"],
];
const MEN: readonly Named[] = [
  ["正雄", "マサオ"],
  ["清", "キヨシ"],
  ["茂", "シゲル"],
  ["勇", "イサム"],
  ["弘", "ヒロシ"],
  ["實", "ミノル"],
  ["一郎", "イチロウ"],
  ["健二", "ケンジ"],
  ["昭", "アキラ"],
  ["武", "タケシ"],
  ["進", "ススム"],
  ["和夫", "カズオ"],
];
const CHILDREN: readonly Named[] = [
  ["直樹", "ナオキ"],
  ["由美", "ユミ"],
  ["健太", "ケンタ"],
  ["裕子", "ユウコ"],
  ["大輔", "ダイスケ"],
  ["香織", "カオリ"],
];

/** つなぐ市's 日常生活圏域 with towns and postal codes (the same fictional city as the resources demo). */
const DISTRICTS: readonly { name: string; towns: readonly (readonly [string, string])[] }[] = [
  {
    name: "中央圏域",
    towns: [
      ["本町", "923-0801"],
      ["栄町", "923-0804"],
      ["錦町", "923-0807"],
      ["京町", "923-0810"],
    ],
  },
  {
    name: "北圏域",
    towns: [
      ["北山町", "923-0821"],
      ["川辺町", "923-0824"],
      ["高田町", "923-0827"],
    ],
  },
  {
    name: "南圏域",
    towns: [
      ["若杉町", "923-0841"],
      ["千代町", "923-0844"],
      ["城南町", "923-0847"],
    ],
  },
  {
    name: "東圏域",
    towns: [
      ["旭町", "923-0861"],
      ["日吉町", "923-0864"],
      ["桜木町", "923-0867"],
    ],
  },
  {
    name: "西圏域",
    towns: [
      ["浜田町", "923-0881"],
      ["松原町", "923-0884"],
      ["港町", "923-0887"],
    ],
  },
];

/** Conditions with an ICD-10 code and what is typically taken for them (what crews need: anticoagulants, insulin, ...). */
const CONDITIONS: readonly {
  name: string;
  icd10: string;
  medication?: Omit<MedicationRecord, "since" | "source">;
  device?: ProfileContent["implantedDevices"][number];
}[] = [
  { name: "高血圧症", icd10: "I10", medication: { name: "アムロジピン錠5mg", dosage: "1日1回 朝食後", note: null } },
  { name: "2型糖尿病", icd10: "E11", medication: { name: "インスリン グラルギン", dosage: "1日1回 就寝前 10単位", note: "低血糖に注意" } },
  { name: "心房細動", icd10: "I48", medication: { name: "アピキサバン錠5mg", dosage: "1日2回 朝夕食後", note: "抗凝固薬（出血しやすい）" } },
  { name: "慢性心不全", icd10: "I50", medication: { name: "フロセミド錠20mg", dosage: "1日1回 朝食後", note: null } },
  { name: "脳梗塞後遺症（右片麻痺）", icd10: "I69.3", medication: { name: "クロピドグレル錠75mg", dosage: "1日1回 朝食後", note: "抗血小板薬" } },
  { name: "慢性閉塞性肺疾患", icd10: "J44", medication: { name: "チオトロピウム吸入", dosage: "1日1回 吸入", note: "在宅酸素療法 2L/分" } },
  { name: "アルツハイマー型認知症", icd10: "G30", medication: { name: "ドネペジル塩酸塩錠5mg", dosage: "1日1回 朝食後", note: null } },
  { name: "慢性腎臓病", icd10: "N18" },
  { name: "骨粗鬆症", icd10: "M81", medication: { name: "アレンドロン酸錠35mg", dosage: "週1回 起床時", note: null } },
  { name: "パーキンソン病", icd10: "G20", medication: { name: "レボドパ・カルビドパ配合錠", dosage: "1日3回 毎食後", note: "急な中止は危険" } },
  { name: "完全房室ブロック", icd10: "I44.2", device: { kind: "PACEMAKER", description: "MRI条件付き対応", since: null, note: "手帳は玄関の引き出し" } },
  { name: "気管支喘息", icd10: "J45", medication: { name: "ブデソニド・ホルモテロール吸入", dosage: "1日2回 吸入", note: null } },
  { name: "変形性膝関節症", icd10: "M17", device: { kind: "ARTIFICIAL_JOINT", description: "右人工膝関節", since: null, note: null } },
];

const ALLERGIES: readonly Pick<ProfileContent["allergies"][number], "substance" | "reaction" | "severity">[] = [
  { substance: "ペニシリン系抗菌薬", reaction: "発疹", severity: "MODERATE" },
  { substance: "造影剤（ヨード）", reaction: "じんましん", severity: "MODERATE" },
  { substance: "ロキソプロフェン", reaction: "喘息発作", severity: "SEVERE" },
  { substance: "そば", reaction: "アナフィラキシー", severity: "SEVERE" },
  { substance: "卵", reaction: "じんましん", severity: "MILD" },
];

/** Every care level, or none recorded. */
const SEED_CARE_LEVELS: readonly (CareLevel | null)[] = [...CARE_LEVELS, null];

/** A deterministic pseudo-random source per resident and purpose (content only; card codes come from the cryptographic source). */
function randomFor(index: number, purpose = "emergency"): () => number {
  let state = createHash("sha256").update(`tsunagu-demo:${purpose}:${index}`).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function phone(random: () => number, mobile: boolean): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join("");
  return mobile ? `090-${digits(4)}-${digits(4)}` : `0761-2${digits(1)}-${digits(4)}`;
}

function yearsBefore(now: Date, years: number, random: () => number): string {
  const date = new Date(now.getTime() - (years * 365.25 + random() * 365) * DAY_MS);
  return date.toISOString().slice(0, 10);
}

/** The stored profile of demo resident `index` (0-based); its owner is `demo-resident-00001` and so on. */
function demoProfile(index: number, now: Date, options: SeedDemoEmergencyOptions): Omit<ProfileDocument, "_id"> & { _id: Types.ObjectId } {
  const random = randomFor(index);
  const female = random() < 0.58;
  const [surname, surnameKana] = pick(random, SURNAMES);
  const [given, givenKana] = pick(random, female ? WOMEN : MEN);
  const district = pick(random, DISTRICTS);
  const [town, postalCode] = pick(random, district.towns);
  const dateOfBirth = yearsBefore(now, 65 + Math.floor(random() * 30), random);
  const conditions = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, CONDITIONS)))];
  const since = (span: number) => String(now.getUTCFullYear() - 1 - Math.floor(random() * span));
  const conditionRecords: ConditionRecord[] = conditions.map((c) => {
    const record = { name: c.name, icd10: c.icd10, since: since(15), note: null };
    // The draw that once chose each condition's source at random, kept so that the rest of the demo stays as it was.
    random();
    return record;
  });
  const medications: MedicationRecord[] = conditions.flatMap((c) => (c.medication === undefined ? [] : [{ ...c.medication, since: since(10) }]));
  const allergy = random() < 0.3 ? pick(random, ALLERGIES) : null;
  const livesAlone = random() < 0.3;
  const child = pick(random, CHILDREN);
  const childContact = {
    name: `${surname} ${child[0]}`,
    kana: `${surnameKana} ${child[1]}`,
    relation: "子",
    phone: phone(random, true),
    reachableHours: "平日 18時以降・土日終日",
  };
  const spouseContact = {
    name: `${surname} ${pick(random, female ? MEN : WOMEN)[0]}`,
    kana: null,
    relation: "配偶者",
    phone: phone(random, false),
    reachableHours: "終日",
  };
  const acp = random() < 0.45;
  const scope: ConsentScope[] = random() < 0.7 ? ["EMERGENCY_SERVICES", "CARE_TEAM"] : ["EMERGENCY_SERVICES", "CARE_TEAM", "CONNECTED_SYSTEMS"];
  const person = {
    name: `${surname} ${given}`,
    kana: `${surnameKana} ${givenKana}`,
    dateOfBirth,
    sex: female ? ("FEMALE" as const) : ("MALE" as const),
    address: {
      postalCode,
      prefecture: "石川県",
      city: "つなぐ市",
      district: district.name,
      street: `${town}${1 + Math.floor(random() * 5)}-${1 + Math.floor(random() * 30)}-${1 + Math.floor(random() * 20)}`,
      building: null,
    },
    phone: phone(random, false),
    photoUrl: null,
  };
  const { hospitalIds = [], careManagerIds = [], physicians = [] } = options;
  const physician = physicians.length === 0 || index % 2 !== 0 ? undefined : physicians[(index / 2) % physicians.length];
  const profile = {
    _id: new Types.ObjectId(createHash("sha1").update(`tsunagu-demo:emergency:profile:${index}`).digest("hex").slice(0, 24)),
    ownerSubject: `demo-resident-${String(index + 1).padStart(5, "0")}`,
    person,
    bloodType: { abo: pick(random, ["A", "A", "A", "O", "O", "B", "B", "AB"] as const), rh: random() < 0.995 ? ("POSITIVE" as const) : ("NEGATIVE" as const) },
    conditions: conditionRecords,
    medications,
    allergies: allergy === null ? [] : [{ ...allergy, since: null, note: null }],
    implantedDevices: conditions.flatMap((c) => (c.device === undefined ? [] : [c.device])),
    careTeam: {
      primaryHospitalId: hospitalIds.length === 0 ? null : hospitalIds[index % hospitalIds.length],
      visitingNursingStationId: null,
      primaryPhysicianId: physician?.memberId ?? null,
      careManagerId: careManagerIds.length === 0 ? null : careManagerIds[index % careManagerIds.length],
    },
    careLevel: pick(random, SEED_CARE_LEVELS),
    livingSituation: {
      livesAlone,
      keyPerson: { name: childContact.name, relation: "長男・長女", phone: childContact.phone },
      familyCareCapacity: livesAlone ? "LIMITED" : pick(random, ["SUFFICIENT", "LIMITED", "UNKNOWN"] as const),
      note: livesAlone ? "合鍵は隣家（民生委員）に預けている" : null,
    },
    emergencyContacts: livesAlone ? [childContact] : [spouseContact, childContact],
    advanceCare: acp
      ? {
          resuscitation: pick(random, ["DNAR", "FULL_RESUSCITATION", "UNDECIDED"] as const),
          preferredPlaceOfCare: pick(random, ["HOME", "HOME", "HOSPITAL", "CARE_FACILITY"] as const),
          notes: "できるだけ住み慣れた家で過ごしたい",
          discussedWith: ["長男", "かかりつけ医", "ケアマネジャー"],
          recordedAt: new Date(now.getTime() - Math.floor(random() * 365) * DAY_MS),
        }
      : null,
    delegates: [],
    grants:
      physician === undefined
        ? []
        : [
            {
              _id: new Types.ObjectId(createHash("sha1").update(`tsunagu-demo:emergency:grant:${index}`).digest("hex").slice(0, 24)),
              granteeKind: "MEMBER" as const,
              granteeId: physician.memberId,
              note: "主治医",
              grantedAt: new Date(now.getTime() - 300 * DAY_MS),
              grantedBy: `demo-resident-${String(index + 1).padStart(5, "0")}`,
              revokedAt: null,
            },
          ],
    consent: { givenAt: new Date(now.getTime() - 400 * DAY_MS), scope, method: pick(random, ["WRITTEN", "ELECTRONIC"] as const), withdrawnAt: null },
    cardCode: generateCardCode(),
    nameKeys: [...new Set([toSearchKey(person.name), toSearchKey(person.kana)])],
    lastReviewedAt: new Date(now.getTime() - Math.floor(random() * 365) * DAY_MS),
    creation: { by: DEMO_CREATOR, key: `demo-${index}`, fingerprint: "seed", at: new Date(now.getTime() - 400 * DAY_MS) },
    version: 1,
    createdAt: new Date(now.getTime() - 400 * DAY_MS),
    updatedAt: now,
  };
  return { ...profile, ...demoSources(profile, index, now, physician) };
}

/**
 * The demo profile's items with their sources: all reported by the resident when the profile was registered, and for
 * residents with a demo doctor, the care team and some items (about half of each kind, chosen per resident by a
 * deterministic draw) confirmed by that doctor within the last year.
 */
function demoSources(
  profile: ProfileContent & { ownerSubject: string; createdAt: Date },
  index: number,
  now: Date,
  physician: DemoPhysician | undefined,
): StoredContent {
  const { person, bloodType, conditions, medications, allergies, implantedDevices, careTeam, careLevel, livingSituation, emergencyContacts, advanceCare } =
    profile;
  const reported: ItemSourceRecord = {
    kind: "SELF_REPORTED",
    recordedAt: profile.createdAt,
    recordedBy: { role: "RESIDENT", subject: profile.ownerSubject, name: person.name, relation: null, profession: null, memberId: null, organizationId: null },
    verification: "UNCONFIRMED",
    confirmedAt: null,
    confirmedBy: null,
  };
  const content = {
    person,
    bloodType,
    conditions,
    medications,
    allergies,
    implantedDevices,
    careTeam,
    careLevel,
    livingSituation,
    emergencyContacts,
    advanceCare,
  };
  const stored = withSources(content, null, reported) as StoredContent;
  if (physician === undefined) return stored;
  const random = randomFor(index, "emergency-sources");
  const listed = (kind: EmergencyItemKind, items: readonly unknown[]) => items.flatMap((_, i) => (random() < 0.5 ? [{ kind, index: i }] : []));
  const items: EmergencyItemInput[] = [
    { kind: "CARE_TEAM" },
    ...listed("CONDITION", conditions),
    ...listed("MEDICATION", medications),
    ...listed("ALLERGY", allergies),
    ...listed("IMPLANTED_DEVICE", implantedDevices),
    ...(bloodType !== null && random() < 0.5 ? [{ kind: "BLOOD_TYPE" as const }] : []),
    ...(advanceCare !== null && random() < 0.5 ? [{ kind: "ADVANCE_CARE" as const }] : []),
  ];
  const confirmer = {
    role: "PROFESSIONAL",
    subject: `demo-member-${physician.memberId}`,
    name: physician.name,
    relation: null,
    profession: "PHYSICIAN",
    memberId: physician.memberId,
    organizationId: physician.organizationId,
  };
  const confirmedAt = new Date(now.getTime() - (30 + Math.floor(random() * 300)) * DAY_MS);
  return { ...stored, ...confirmation(stored, items, confirmer, confirmedAt).set };
}

/**
 * Seeds `count` demo residents unless demo residents are already there (`skipped`). Idempotent: records have stable
 * ids and owners (`demo-resident-00001`, ...), so `npm run token -- --role RESIDENT --subject demo-resident-00001` reads one.
 */
export async function seedDemoEmergencyProfiles(
  connection: Connection,
  options: SeedDemoEmergencyOptions = {},
): Promise<{ inserted: number; skipped: boolean }> {
  const models = emergencyModels(connection);
  await ensureEmergencyIndexes(models);
  if ((await models.Profile.exists({ "creation.by": DEMO_CREATOR })) !== null) return { inserted: 0, skipped: true };
  const now = options.now ?? demoReferenceDate();
  const count = options.count ?? 60;
  let inserted = 0;
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, offset) => demoProfile(start + offset, now, options));
    await models.Profile.insertMany(batch, { ordered: true, lean: true });
    inserted += batch.length;
  }
  return { inserted, skipped: false };
}
