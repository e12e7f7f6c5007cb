// A deterministic synthetic city the size of Komatsu (つなぐ市, 石川県) as resource inputs, for demo data and benchmarks.
import { DEMO_SURNAMES, demoReferenceDate } from "@tsunagu/service-kit";
import { WEEKDAYS, corporateNumberCheckDigit } from "./domain";
import type {
  AcceptCode,
  Capacity,
  CapacityUnit,
  CareLevel,
  ContactWindow,
  OpeningHours,
  ProvenanceSource,
  ResourceInput,
  ResourceKind,
  Weekday,
} from "./domain";
import { japanesePublicHolidays } from "./opening-hours";

/** A town (町名) with its reading and postal code. */
interface Town {
  text: string;
  kana: string;
  postalCode: string;
}

/** A 日常生活圏域: its name, its centre as km offsets from the city centre, and its towns. */
interface District {
  name: string;
  short: { text: string; kana: string };
  north: number;
  east: number;
  towns: readonly Town[];
}

/**
 * A text with its reading in katakana. A name made with a town's name (本町いきいきサロン) is placed in that
 * town; a clinic's name says its departments (山田眼科医院 → 眼科).
 */
interface Name {
  text: string;
  kana: string;
  place?: { district: District; town: Town };
  departments?: readonly string[];
}

const CENTER = { latitude: 36.4, longitude: 136.45 };
const KM_PER_DEGREE_LATITUDE = 110.95;
const KM_PER_DEGREE_LONGITUDE = 111.32 * Math.cos((CENTER.latitude * Math.PI) / 180);
const MAX_DISTANCE_KM = 8;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A district whose towns get the postal codes 923-0<first>, 923-0<first + 3>, ... */
function district(name: string, short: [string, string], [north, east]: [number, number], first: number, towns: [string, string][]): District {
  return {
    name,
    short: { text: short[0], kana: short[1] },
    north,
    east,
    towns: towns.map(([text, kana], index) => ({ text, kana, postalCode: `923-0${first + index * 3}` })),
  };
}

const DISTRICTS: readonly District[] = [
  district("中央圏域", ["中央", "チュウオウ"], [0, 0], 801, [
    ["本町", "ホンマチ"],
    ["栄町", "サカエマチ"],
    ["錦町", "ニシキマチ"],
    ["京町", "キョウマチ"],
    ["大手町", "オオテマチ"],
  ]),
  district("北圏域", ["北", "キタ"], [4.5, -0.5], 821, [
    ["北山町", "キタヤママチ"],
    ["川辺町", "カワベマチ"],
    ["高田町", "タカダマチ"],
    ["緑ケ丘", "ミドリガオカ"],
  ]),
  district("南圏域", ["南", "ミナミ"], [-4.5, 0.5], 841, [
    ["若杉町", "ワカスギマチ"],
    ["千代町", "チヨマチ"],
    ["城南町", "ジョウナンマチ"],
    ["南陽町", "ナンヨウマチ"],
  ]),
  district("東圏域", ["東", "ヒガシ"], [0.5, 4.5], 861, [
    ["旭町", "アサヒマチ"],
    ["日吉町", "ヒヨシマチ"],
    ["桜木町", "サクラギチョウ"],
    ["東山町", "ヒガシヤママチ"],
  ]),
  district("西圏域", ["西", "ニシ"], [0, -4], 881, [
    ["浜田町", "ハマダマチ"],
    ["松原町", "マツバラマチ"],
    ["港町", "ミナトマチ"],
    ["白砂町", "シラスナマチ"],
  ]),
  district("臨海圏域", ["臨海", "リンカイ"], [3, -5.5], 901, [
    ["汐見町", "シオミマチ"],
    ["浜辺町", "ハマベマチ"],
    ["潮風台", "シオカゼダイ"],
  ]),
  district("山麓圏域", ["山麓", "サンロク"], [-2, 6.5], 921, [
    ["白山台", "ハクサンダイ"],
    ["湯の谷町", "ユノタニマチ"],
    ["木場町", "キバマチ"],
    ["丘の上町", "オカノウエマチ"],
  ]),
];

/** The fictional city every demo resource is in. */
export const DEMO_CITY = {
  prefecture: "石川県",
  city: "つなぐ市",
  center: CENTER,
  districts: DISTRICTS.map((entry) => entry.name),
} as const;

/** Corners of the city's boundary: a polygon around the 8 km circle every demo resource lies in (drawn outside it, so the circle is inside). */
const BOUNDARY_CORNERS = 48;

type KmPoint = [north: number, east: number];

/** The part of `polygon` where `side` is at most 0 (Sutherland–Hodgman against one half-plane). */
function clipToHalfPlane(polygon: readonly KmPoint[], side: (point: KmPoint) => number): KmPoint[] {
  const kept: KmPoint[] = [];
  polygon.forEach((current, index) => {
    const previous = polygon[(index + polygon.length - 1) % polygon.length];
    const [sideOfCurrent, sideOfPrevious] = [side(current), side(previous)];
    if (sideOfCurrent <= 0 !== sideOfPrevious <= 0) {
      const t = sideOfPrevious / (sideOfPrevious - sideOfCurrent);
      kept.push([previous[0] + t * (current[0] - previous[0]), previous[1] + t * (current[1] - previous[1])]);
    }
    if (sideOfCurrent <= 0) kept.push(current);
  });
  return kept;
}

/**
 * A district's outline: the city's boundary cut by the perpendicular bisector towards every other district's centre
 * (its Voronoi cell), as a closed GeoJSON ring of [longitude, latitude]; the districts tile the city without overlap.
 */
function outline(home: District): [number, number][] {
  const radius = MAX_DISTANCE_KM / Math.cos(Math.PI / BOUNDARY_CORNERS);
  let polygon = Array.from({ length: BOUNDARY_CORNERS }, (_, index): KmPoint => {
    const angle = (2 * Math.PI * index) / BOUNDARY_CORNERS;
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  });
  for (const other of DISTRICTS) {
    if (other === home) continue;
    const middle: KmPoint = [(home.north + other.north) / 2, (home.east + other.east) / 2];
    polygon = clipToHalfPlane(polygon, ([north, east]) => (north - middle[0]) * (other.north - home.north) + (east - middle[1]) * (other.east - home.east));
  }
  const round = (value: number) => Math.round(value * 1e6) / 1e6;
  const ring = polygon.map(([north, east]): [number, number] => [
    round(CENTER.longitude + east / KM_PER_DEGREE_LONGITUDE),
    round(CENTER.latitude + north / KM_PER_DEGREE_LATITUDE),
  ]);
  return [...ring, ring[0]];
}

/** The demo city's 日常生活圏域 as a district table (towns → district, and each district's outline), seeded like a city's own district file. */
export const DEMO_CITY_DISTRICTS = {
  prefecture: DEMO_CITY.prefecture,
  city: DEMO_CITY.city,
  districts: DISTRICTS.map((entry) => ({
    name: entry.name,
    towns: entry.towns.map((town) => town.text),
    area: { type: "Polygon" as const, coordinates: [outline(entry)] },
  })),
};

function fixed(...names: (readonly [string, string])[]): Name[] {
  return names.map(([text, kana]) => ({ text, kana }));
}

function toKatakana(hiragana: string): string {
  return hiragana.replace(/[\u3041-\u3096]/g, (kana) => String.fromCharCode(kana.charCodeAt(0) + 0x60));
}

/** Soft words used in facility names, written in hiragana (read the same, written in katakana). */
const WORDS: readonly Name[] = [
  "さくら",
  "ひまわり",
  "あおば",
  "みどり",
  "わかば",
  "つばさ",
  "ひかり",
  "あさひ",
  "こすもす",
  "すみれ",
  "たんぽぽ",
  "なでしこ",
  "ほほえみ",
  "やすらぎ",
  "ぬくもり",
  "かがやき",
  "こもれび",
  "はなみずき",
  "せせらぎ",
  "つくし",
  "ふれあい",
  "いずみ",
  "のぞみ",
  "めぐみ",
  "もみじ",
  "かえで",
  "すずらん",
  "あじさい",
  "なごみ",
  "えがお",
  "ゆい",
  "あかり",
  "そよかぜ",
  "はるかぜ",
  "ゆうひ",
  "しおかぜ",
].map((word) => ({ text: word, kana: toKatakana(word) }));

const PLACES: readonly Name[] = fixed(
  ["白山", "ハクサン"],
  ["梯川", "カケハシガワ"],
  ["安宅", "アタカ"],
  ["芦城", "ロジョウ"],
  ["松風", "マツカゼ"],
  ["清風", "セイフウ"],
  ["福寿", "フクジュ"],
  ["陽光", "ヨウコウ"],
  ["青葉", "アオバ"],
  ["若葉", "ワカバ"],
  ["和光", "ワコウ"],
  ["明和", "メイワ"],
  ["木場", "キバ"],
  ["向陽", "コウヨウ"],
  ["つなぐ", "ツナグ"],
  ["つなぐ中央", "ツナグチュウオウ"],
);

const SURNAMES: readonly Name[] = fixed(...DEMO_SURNAMES);

const GIVEN_NAMES: readonly Name[] = fixed(
  ["花子", "ハナコ"],
  ["恵子", "ケイコ"],
  ["由美", "ユミ"],
  ["直美", "ナオミ"],
  ["美香", "ミカ"],
  ["裕子", "ユウコ"],
  ["智子", "トモコ"],
  ["真由美", "マユミ"],
  ["明美", "アケミ"],
  ["久美子", "クミコ"],
  ["幸子", "サチコ"],
  ["陽子", "ヨウコ"],
  ["香織", "カオリ"],
  ["千尋", "チヒロ"],
  ["美穂", "ミホ"],
  ["太郎", "タロウ"],
  ["一郎", "イチロウ"],
  ["健一", "ケンイチ"],
  ["誠", "マコト"],
  ["浩", "ヒロシ"],
  ["大輔", "ダイスケ"],
  ["翔太", "ショウタ"],
  ["和也", "カズヤ"],
  ["直樹", "ナオキ"],
  ["隆", "タカシ"],
  ["修", "オサム"],
  ["拓也", "タクヤ"],
  ["健太", "ケンタ"],
  ["達也", "タツヤ"],
  ["博之", "ヒロユキ"],
  ["聡", "サトシ"],
);

const ALL_TOWNS: readonly Name[] = DISTRICTS.flatMap((entry) =>
  entry.towns.map((town) => ({ text: town.text, kana: town.kana, place: { district: entry, town } })),
);

/** Every combination of the given parts, in order: [a1+b1, a1+b2, ...]; a town part places the name. */
function combine(...lists: readonly (readonly Name[])[]): Name[] {
  return lists.reduce<Name[]>(
    (names, list) =>
      names.flatMap((name) =>
        list.map((part) => ({
          text: name.text + part.text,
          kana: name.kana + part.kana,
          place: part.place ?? name.place,
        })),
      ),
    [{ text: "", kana: "" }],
  );
}

/** mulberry32: a tiny, fast, seedable PRNG; the same seed always gives the same city. */
class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** The items kept with the given probability each, in their order. */
  some<T>(items: readonly T[], probability: number): T[] {
    return items.filter(() => this.chance(probability));
  }

  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index -= 1) {
      const other = Math.floor(this.next() * (index + 1));
      [copy[index], copy[other]] = [copy[other], copy[index]];
    }
    return copy;
  }
}

const MON_FRI: readonly Weekday[] = ["MON", "TUE", "WED", "THU", "FRI"];
const MON_SAT: readonly Weekday[] = [...MON_FRI, "SAT"];
const NEW_YEAR = { from: "12-29", to: "01-03", reason: "年末年始" };

function hours(intervals: [readonly Weekday[], string, string][], partial: Partial<OpeningHours> = {}): OpeningHours {
  return {
    weekly: intervals.flatMap(([days, opens, closes]) => days.map((day) => ({ day, opens, closes }))),
    openDays: [],
    closedOnPublicHolidays: false,
    exceptions: [],
    closures: [],
    annualClosures: [],
    ...partial,
  };
}

const ALWAYS_OPEN = hours([[WEEKDAYS, "00:00", "24:00"]]);
const OFFICE_HOURS = hours([[MON_FRI, "08:30", "17:15"]], { closedOnPublicHolidays: true, annualClosures: [NEW_YEAR] });

type AvoidCalling = ContactWindow["avoidCallingHours"][number];

/** 連絡を避けた方がよい時間 of staff in a facility, of staff who visit homes, and of residents running an activity. */
const FACILITY_AVOID: readonly AvoidCalling[] = [
  { days: [], from: "08:30", to: "09:30", reason: "朝の申し送り" },
  { days: [], from: "12:00", to: "13:00", reason: "昼休み" },
  { days: [], from: "16:30", to: "17:15", reason: "夕方の申し送り" },
  { days: ["MON"], from: "09:00", to: "10:00", reason: "週初めの会議" },
];
const VISITING_AVOID: readonly AvoidCalling[] = [...FACILITY_AVOID, { days: [...MON_FRI], from: "13:30", to: "15:30", reason: "訪問に出ている時間帯" }];
const COMMUNITY_AVOID: readonly AvoidCalling[] = [
  { days: [], from: "12:00", to: "13:00", reason: "昼食の時間" },
  { days: [], from: "18:00", to: "20:00", reason: "夕食の時間" },
];

const OTHER_LANGUAGES = ["en", "pt", "vi", "zh"];

/** Who runs an office: a medical corporation, a pharmacy company, or any of the bodies that run care services. */
type OperatorKind = "MEDICAL" | "PHARMACY" | "CARE";

const CORPORATE_FORMS: Readonly<Record<OperatorKind, readonly [string, string][]>> = {
  MEDICAL: [
    ["医療法人社団", "会"],
    ["医療法人", "会"],
  ],
  PHARMACY: [
    ["株式会社", "ファーマシー"],
    ["有限会社", "薬局"],
  ],
  CARE: [
    ["社会福祉法人", "会"],
    ["社会福祉法人", "福祉会"],
    ["医療法人社団", "会"],
    ["株式会社", "ケア"],
    ["特定非営利活動法人", ""],
  ],
};

/** What the generator knows while building one resource. */
interface Context {
  random: Random;
  now: Date;
  /** Unique within a generation: used for identifiers, e-mail addresses and photo URLs. */
  serial: number;
  district: District;
}

/** How one category is generated: its names (all combinations, used shuffled) and what it adds to the common fields. */
interface CategoryPlan {
  category: string;
  kind: ResourceKind;
  count: number;
  names: readonly Name[];
  /** Names always used first, in order: municipal facilities run by the city (つなぐ市民病院). */
  leading?: readonly Name[];
  /** One per district in turn (the names, then unshuffled, follow the districts' order). */
  perDistrict?: boolean;
  short?: (name: Name) => string;
  /** Who runs it, and how often a corporation does (clinics are often run by the doctor personally). */
  operator?: { kind: OperatorKind; probability: number };
  /** 介護保険 service: its ministry code and who may use it. */
  care?: { serviceCode: string; eligibility: readonly CareLevel[] };
  /** 点数表 digit of its 医療機関コード: 1 医科, 3 歯科, 4 調剤. */
  scoreTable?: "1" | "3" | "4";
  roles: readonly string[];
  /** Its staff make home visits (and are out in the afternoon). */
  visiting?: boolean;
  description: string;
  fees?: string;
  build: (context: Context, name: Name) => Partial<ResourceInput>;
}

/** 経管栄養, 喀痰吸引, インスリン, 褥瘡: what most medical and nursing providers take on. */
const COMMON_CARE_NEEDS: readonly AcceptCode[] = ["TUBE_FEEDING", "SUCTION", "INSULIN", "PRESSURE_ULCER"];

const CARE_ALL: readonly CareLevel[] = ["SUPPORT_1", "SUPPORT_2", "CARE_1", "CARE_2", "CARE_3", "CARE_4", "CARE_5"];
const CARE_ONLY: readonly CareLevel[] = ["CARE_1", "CARE_2", "CARE_3", "CARE_4", "CARE_5"];

function accepts(random: Random, always: readonly AcceptCode[], sometimes: readonly AcceptCode[]): AcceptCode[] {
  return [...always, ...random.some(sometimes, 0.5)];
}

function vacancy({ random, now }: Context, unit: CapacityUnit, maximum: number): Capacity {
  return {
    maximum,
    available: random.chance(0.35) ? 0 : random.int(1, Math.max(1, Math.round(maximum / 5))),
    unit,
    updatedAt: new Date(now.getTime() - random.int(1, 14 * 24 * 60) * 60_000),
  };
}

/** The next public holiday after `now`, when a clinic may serve as 休日当番医. */
function nextHoliday(now: Date): string {
  const today = now.toISOString().slice(0, 10);
  const year = now.getUTCFullYear();
  const holidays = [...japanesePublicHolidays(year), ...japanesePublicHolidays(year + 1)].sort();
  return holidays.find((date) => date > today) ?? today;
}

/** Clinic names: a surname and what the clinic does, which gives its departments. */
const CLINIC_NAMES: readonly Name[] = (
  [
    ["内科クリニック", "ナイカクリニック", ["内科", "消化器内科"]],
    ["医院", "イイン", ["内科", "小児科"]],
    ["内科医院", "ナイカイイン", ["内科", "循環器内科"]],
    ["整形外科", "セイケイゲカ", ["整形外科", "リハビリテーション科"]],
    ["眼科医院", "ガンカイイン", ["眼科"]],
    ["皮膚科クリニック", "ヒフカクリニック", ["皮膚科"]],
    ["こどもクリニック", "コドモクリニック", ["小児科"]],
    ["耳鼻咽喉科医院", "ジビインコウカイイン", ["耳鼻咽喉科"]],
    ["胃腸科内科", "イチョウカナイカ", ["内科", "消化器内科"]],
    ["在宅クリニック", "ザイタククリニック", ["内科", "緩和ケア内科"]],
  ] as const
).flatMap(([text, kana, departments]) => SURNAMES.map((surname) => ({ text: surname.text + text, kana: surname.kana + kana, departments })));

const PLANS: readonly CategoryPlan[] = [
  {
    category: "hospital",
    kind: "FORMAL",
    count: 10,
    leading: fixed(["つなぐ市民病院", "ツナグシミンビョウイン"]),
    names: [
      ...combine(PLACES, fixed(["病院", "ビョウイン"], ["中央病院", "チュウオウビョウイン"], ["記念病院", "キネンビョウイン"])),
      ...combine(PLACES, fixed(["リハビリテーション病院", "リハビリテーションビョウイン"])),
      ...combine(SURNAMES, fixed(["病院", "ビョウイン"])),
    ],
    operator: { kind: "MEDICAL", probability: 1 },
    scoreTable: "1",
    roles: ["地域医療連携室 退院調整看護師", "医療ソーシャルワーカー", "地域医療連携室 事務"],
    description: "入院・外来・救急を担う病院です。退院支援は地域医療連携室が窓口です。",
    build: (context) => ({
      departments: [
        "内科",
        "外科",
        ...context.random.some(["整形外科", "脳神経外科", "循環器内科", "消化器内科", "泌尿器科", "眼科", "皮膚科"], 0.5),
        "リハビリテーション科",
      ],
      openingHours: hours(
        [
          [MON_FRI, "08:30", "17:00"],
          [["SAT"], "08:30", "12:00"],
        ],
        {
          closedOnPublicHolidays: true,
          annualClosures: [NEW_YEAR],
          note: "救急外来は24時間受付",
        },
      ),
      accepts: accepts(
        context.random,
        [...COMMON_CARE_NEEDS, "HOME_OXYGEN", "DEMENTIA", "TERMINAL_CARE", "TWENTY_FOUR_HOUR"],
        ["IV_INFUSION", "CENTRAL_VENOUS_NUTRITION", "DIALYSIS", "VENTILATOR", "TRACHEOSTOMY", "INFECTION"],
      ),
      capacity: vacancy(context, "BEDS", context.random.int(5, 40) * 10),
      languages: ["ja", ...context.random.some(OTHER_LANGUAGES, 0.3)],
    }),
  },
  {
    category: "clinic",
    kind: "FORMAL",
    count: 72,
    names: CLINIC_NAMES,
    operator: { kind: "MEDICAL", probability: 0.5 },
    scoreTable: "1",
    roles: ["院長", "看護師", "事務長"],
    description: "地域のかかりつけ医です。",
    build: ({ random, now, serial }, name) => {
      // About one in eight is a 在宅療養支援診療所 (Komatsu: 9 of 72).
      const homeCare = name.text.endsWith("在宅クリニック") || serial % 8 === 0;
      const afternoonOff = random.pick<Weekday>(["WED", "THU"]);
      const onDuty = { date: nextHoliday(now), intervals: [{ opens: "09:00", closes: "17:00" }], note: "休日当番医" };
      return {
        departments: [...(name.departments ?? [])],
        openingHours: hours(
          [
            [MON_SAT, "09:00", "12:00"],
            [MON_FRI.filter((day) => day !== afternoonOff), "15:00", "18:00"],
          ],
          {
            closedOnPublicHolidays: true,
            annualClosures: [NEW_YEAR],
            exceptions: random.chance(0.1) ? [onDuty] : [],
            note: `${afternoonOff === "WED" ? "水" : "木"}・土曜午後休診`,
          },
        ),
        accepts: homeCare
          ? accepts(random, ["HOME_VISIT", "TERMINAL_CARE", "TWENTY_FOUR_HOUR"], ["HOME_OXYGEN", "TUBE_FEEDING", "INSULIN", "OPIOID_PAIN_CONTROL", "DEMENTIA"])
          : accepts(random, [], ["INSULIN", "DEMENTIA", "HOME_VISIT"]),
        languages: ["ja", ...random.some(OTHER_LANGUAGES, 0.1)],
      };
    },
  },
  {
    category: "dental-clinic",
    kind: "FORMAL",
    count: 48,
    names: [
      ...combine(SURNAMES, fixed(["歯科医院", "シカイイン"], ["歯科クリニック", "シカクリニック"])),
      ...combine(WORDS, fixed(["歯科", "シカ"])),
      ...combine(PLACES, fixed(["デンタルクリニック", "デンタルクリニック"])),
    ],
    operator: { kind: "MEDICAL", probability: 0.4 },
    scoreTable: "3",
    roles: ["院長", "歯科衛生士"],
    description: "歯科診療所です。訪問歯科診療の相談もできます。",
    build: ({ random }) => ({
      departments: ["歯科", ...random.some(["小児歯科", "矯正歯科", "歯科口腔外科"], 0.4)],
      openingHours: hours(
        [
          [MON_SAT.filter((day) => day !== "THU"), "09:00", "12:30"],
          [MON_FRI.filter((day) => day !== "THU"), "14:00", "19:00"],
        ],
        { closedOnPublicHolidays: true, annualClosures: [NEW_YEAR] },
      ),
      accepts: accepts(random, [], ["HOME_VISIT", "DEMENTIA"]),
    }),
  },
  {
    category: "pharmacy",
    kind: "FORMAL",
    count: 50,
    names: [
      ...combine(WORDS, fixed(["薬局", "ヤッキョク"])),
      ...combine(PLACES, fixed(["調剤薬局", "チョウザイヤッキョク"])),
      ...combine(WORDS, fixed(["薬局", "ヤッキョク"]), ALL_TOWNS, fixed(["店", "テン"])),
    ],
    operator: { kind: "PHARMACY", probability: 0.9 },
    scoreTable: "4",
    roles: ["管理薬剤師", "薬剤師"],
    description: "保険薬局です。在宅での服薬支援（訪問薬剤管理）の相談ができます。",
    build: ({ random, serial }) => ({
      openingHours:
        serial % 25 === 0
          ? { ...ALWAYS_OPEN, note: "24時間営業" }
          : hours(
              [
                [MON_FRI, "09:00", "18:30"],
                [["SAT"], "09:00", "13:00"],
              ],
              {
                closedOnPublicHolidays: true,
                annualClosures: [NEW_YEAR],
              },
            ),
      accepts: accepts(random, [], ["OPIOID_PAIN_CONTROL", "TWENTY_FOUR_HOUR", "DEMENTIA"]),
    }),
  },
  {
    category: "visiting-nursing",
    kind: "FORMAL",
    count: 7,
    names: [
      ...combine(WORDS, fixed(["訪問看護ステーション", "ホウモンカンゴステーション"])),
      ...combine(fixed(["訪問看護ステーション", "ホウモンカンゴステーション"]), WORDS),
    ],
    short: (name) => `${name.text.replace("訪問看護ステーション", "")}訪看`,
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "130", eligibility: CARE_ALL },
    roles: ["管理者（看護師）", "訪問看護師", "理学療法士"],
    visiting: true,
    description: "看護師がご自宅を訪問し、医療的ケアや療養上の世話を行います。",
    fees: "介護保険・医療保険の自己負担",
    build: ({ random }) => ({
      openingHours: hours([[MON_FRI, "08:30", "17:30"]], { closedOnPublicHolidays: true, note: "利用者の緊急時は24時間対応" }),
      accepts: accepts(
        random,
        [...COMMON_CARE_NEEDS, "HOME_OXYGEN", "URINARY_CATHETER", "TERMINAL_CARE", "DEMENTIA"],
        ["TWENTY_FOUR_HOUR", "STOMA", "IV_INFUSION", "CENTRAL_VENOUS_NUTRITION", "OPIOID_PAIN_CONTROL", "TRACHEOSTOMY"],
      ),
      servedDistricts: random.shuffle(DEMO_CITY.districts).slice(0, random.int(3, 5)),
    }),
  },
  {
    category: "care-management",
    kind: "FORMAL",
    count: 33,
    names: [
      ...combine(fixed(["居宅介護支援事業所", "キョタクカイゴシエンジギョウショ"]), WORDS),
      ...combine(WORDS, fixed(["ケアプランセンター", "ケアプランセンター"])),
    ],
    operator: { kind: "CARE", probability: 0.95 },
    care: { serviceCode: "430", eligibility: CARE_ONLY },
    roles: ["主任介護支援専門員", "介護支援専門員"],
    visiting: true,
    description: "ケアマネジャーが介護サービス計画（ケアプラン）を作り、サービス事業所との調整を行います。",
    fees: "自己負担なし（介護保険から全額給付）",
    build: (context) => ({
      openingHours: hours([[MON_FRI, "08:30", "17:30"]], { closedOnPublicHolidays: true, annualClosures: [NEW_YEAR] }),
      capacity: vacancy(context, "CASES", context.random.int(1, 5) * 35),
      servedDistricts: [context.district.name],
    }),
  },
  {
    category: "community-support-center",
    kind: "FORMAL",
    count: 10,
    names: combine(fixed(["地域包括支援センター", "チイキホウカツシエンセンター"]), WORDS),
    perDistrict: true,
    short: (name) => `${name.text.replace("地域包括支援センター", "")}包括`,
    operator: { kind: "CARE", probability: 1 },
    roles: ["保健師", "社会福祉士", "主任介護支援専門員"],
    description: "高齢者の総合相談、介護予防、権利擁護を担う地域の相談窓口です。",
    fees: "無料",
    build: ({ district: home }) => ({ openingHours: OFFICE_HOURS, servedDistricts: [home.name] }),
  },
  {
    category: "day-care",
    kind: "FORMAL",
    count: 22,
    names: [...combine(fixed(["デイサービスセンター", "デイサービスセンター"]), WORDS), ...combine(WORDS, fixed(["デイサービス", "デイサービス"]))],
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "150", eligibility: CARE_ONLY },
    roles: ["生活相談員", "管理者"],
    description: "日帰りで入浴・食事・機能訓練・レクリエーションを提供します。送迎があります。",
    fees: "介護保険の自己負担（1〜3割）と食費",
    build: (context) => ({
      openingHours: hours([[MON_SAT, "08:30", "17:00"]], { annualClosures: [NEW_YEAR] }),
      capacity: vacancy(context, "PEOPLE", context.random.pick([10, 18, 25, 30, 40])),
      accepts: accepts(context.random, ["DEMENTIA"], ["INSULIN", "HOME_OXYGEN", "STOMA"]),
    }),
  },
  {
    category: "home-help",
    kind: "FORMAL",
    count: 11,
    names: [
      ...combine(WORDS, fixed(["ヘルパーステーション", "ヘルパーステーション"])),
      ...combine(fixed(["訪問介護事業所", "ホウモンカイゴジギョウショ"]), WORDS),
    ],
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "110", eligibility: CARE_ALL },
    roles: ["サービス提供責任者", "管理者"],
    visiting: true,
    description: "ホームヘルパーがご自宅を訪問し、身体介護や生活援助を行います。",
    fees: "介護保険の自己負担（1〜3割）",
    build: ({ random, serial, district: home }) => ({
      // Every third office also makes night rounds, an interval past midnight.
      openingHours:
        serial % 3 === 0
          ? hours(
              [
                [WEEKDAYS, "07:00", "19:00"],
                [WEEKDAYS, "22:00", "06:00"],
              ],
              { note: "夜間巡回あり" },
            )
          : hours([[WEEKDAYS, "07:00", "19:00"]]),
      accepts: accepts(random, ["DEMENTIA"], ["SUCTION", "TUBE_FEEDING"]),
      servedDistricts: [
        home.name,
        ...random.some(
          DEMO_CITY.districts.filter((name) => name !== home.name),
          0.3,
        ),
      ],
    }),
  },
  {
    category: "short-stay",
    kind: "FORMAL",
    count: 8,
    names: combine(fixed(["ショートステイ", "ショートステイ"]), WORDS),
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "210", eligibility: CARE_ALL },
    roles: ["生活相談員", "看護職員"],
    description: "数日から数週間、施設に泊まって介護を受けられます。家族の休息（レスパイト）にも利用できます。",
    fees: "介護保険の自己負担（1〜3割）と滞在費・食費",
    build: (context) => ({
      openingHours: ALWAYS_OPEN,
      capacity: vacancy(context, "BEDS", context.random.pick([10, 20, 30])),
      accepts: accepts(context.random, ["DEMENTIA", "INSULIN"], ["TUBE_FEEDING", "SUCTION", "PRESSURE_ULCER"]),
    }),
  },
  {
    category: "small-multifunction",
    kind: "FORMAL",
    count: 7,
    names: combine(fixed(["小規模多機能ホーム", "ショウキボタキノウホーム"]), WORDS),
    short: (name) => `小多機${name.text.replace("小規模多機能ホーム", "")}`,
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "730", eligibility: CARE_ALL },
    roles: ["計画作成担当者（介護支援専門員）", "管理者"],
    description: "「通い」を中心に「訪問」「泊まり」を組み合わせて利用できます。",
    fees: "介護保険の月額定額（自己負担1〜3割）",
    build: (context) => ({
      openingHours: ALWAYS_OPEN,
      capacity: vacancy(context, "PEOPLE", 29),
      accepts: accepts(context.random, ["DEMENTIA"], ["TUBE_FEEDING", "TERMINAL_CARE"]),
      servedDistricts: [context.district.name],
    }),
  },
  {
    category: "nursing-small-multifunction",
    kind: "FORMAL",
    count: 2,
    names: combine(fixed(["看護小規模多機能ホーム", "カンゴショウキボタキノウホーム"]), WORDS),
    short: (name) => `看多機${name.text.replace("看護小規模多機能ホーム", "")}`,
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "770", eligibility: CARE_ONLY },
    roles: ["管理者（看護師）", "介護支援専門員"],
    visiting: true,
    description: "通い・泊まり・訪問介護に訪問看護を組み合わせ、医療的ケアが必要な方を支えます。",
    fees: "介護保険の月額定額（自己負担1〜3割）",
    build: (context) => ({
      openingHours: ALWAYS_OPEN,
      capacity: vacancy(context, "PEOPLE", 29),
      accepts: [...COMMON_CARE_NEEDS, "HOME_OXYGEN", "TERMINAL_CARE", "DEMENTIA", "TWENTY_FOUR_HOUR"],
    }),
  },
  {
    category: "group-home",
    kind: "FORMAL",
    count: 11,
    names: combine(fixed(["グループホーム", "グループホーム"]), WORDS),
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "320", eligibility: ["SUPPORT_2", ...CARE_ONLY] },
    roles: ["計画作成担当者", "管理者"],
    description: "認知症の方が少人数で共同生活を送る住まいです。",
    fees: "介護保険の自己負担と家賃・食費",
    build: (context) => ({
      openingHours: ALWAYS_OPEN,
      capacity: vacancy(context, "PEOPLE", context.random.pick([9, 18])),
      accepts: accepts(context.random, ["DEMENTIA"], ["TERMINAL_CARE", "INSULIN"]),
    }),
  },
  {
    category: "special-nursing-home",
    kind: "FORMAL",
    count: 5,
    names: combine(fixed(["特別養護老人ホーム", "トクベツヨウゴロウジンホーム"]), WORDS, fixed(["苑", "エン"])),
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "510", eligibility: ["CARE_3", "CARE_4", "CARE_5"] },
    roles: ["生活相談員", "看護職員"],
    description: "常に介護が必要な方が暮らす施設です（原則要介護3以上）。",
    fees: "介護保険の自己負担と居住費・食費",
    build: (context) => ({
      openingHours: ALWAYS_OPEN,
      capacity: vacancy(context, "BEDS", context.random.pick([50, 80, 100])),
      accepts: ["TUBE_FEEDING", "SUCTION", "PRESSURE_ULCER", "DEMENTIA", "TERMINAL_CARE"],
    }),
  },
  {
    category: "geriatric-health-facility",
    kind: "FORMAL",
    count: 3,
    names: combine(fixed(["介護老人保健施設", "カイゴロウジンホケンシセツ"]), WORDS),
    operator: { kind: "MEDICAL", probability: 1 },
    care: { serviceCode: "520", eligibility: CARE_ONLY },
    roles: ["支援相談員", "看護師長"],
    description: "リハビリを行い、在宅復帰を目指す施設です。",
    fees: "介護保険の自己負担と居住費・食費",
    build: (context) => ({
      openingHours: ALWAYS_OPEN,
      capacity: vacancy(context, "BEDS", context.random.pick([80, 100])),
      accepts: [...COMMON_CARE_NEEDS, "HOME_OXYGEN", "URINARY_CATHETER", "DEMENTIA"],
    }),
  },
  {
    category: "assisted-living",
    kind: "FORMAL",
    count: 3,
    names: combine(fixed(["介護付有料老人ホーム", "カイゴツキユウリョウロウジンホーム"]), WORDS),
    operator: { kind: "CARE", probability: 1 },
    care: { serviceCode: "331", eligibility: CARE_ALL },
    roles: ["生活相談員", "施設長"],
    description: "介護サービス付きの有料老人ホームです。",
    fees: "入居金・月額利用料と介護保険の自己負担",
    build: (context) => ({
      openingHours: ALWAYS_OPEN,
      capacity: vacancy(context, "PEOPLE", context.random.pick([30, 50])),
    }),
  },
  {
    category: "home-care-coordination-center",
    kind: "FORMAL",
    count: 1,
    names: [],
    leading: fixed(["つなぐ市在宅医療・介護連携支援センター", "ツナグシザイタクイリョウ・カイゴレンケイシエンセンター"]),
    roles: ["コーディネーター（看護師）", "医療ソーシャルワーカー"],
    description: "医療・介護の関係者からの相談を受け、連携を支援します（在宅医療・介護連携推進事業）。",
    fees: "無料",
    build: () => ({ openingHours: OFFICE_HOURS, servedDistricts: [...DEMO_CITY.districts] }),
  },
  {
    category: "consultation-desk",
    kind: "FORMAL",
    count: 1,
    names: [],
    leading: fixed(["つなぐ市役所 長寿介護課 総合相談窓口", "ツナグシヤクショ チョウジュカイゴカ ソウゴウソウダンマドグチ"]),
    roles: ["保健師", "事務職員"],
    description: "介護保険や高齢者福祉の手続き・相談の窓口です。",
    fees: "無料",
    build: () => ({ openingHours: OFFICE_HOURS, servedDistricts: [...DEMO_CITY.districts] }),
  },
  {
    category: "continence-consultation",
    kind: "INFORMAL",
    count: 24,
    names: combine(fixed(["排泄ケア相談所", "ハイセツケアソウダンジョ"]), ALL_TOWNS),
    roles: ["排泄ケア相談員"],
    description: "おむつの選び方や排泄の悩みを相談できます。",
    fees: "相談無料",
    build: () => ({ openingHours: hours([[MON_FRI, "10:00", "16:00"]], { closedOnPublicHolidays: true }) }),
  },
  {
    category: "salon",
    kind: "COMMUNITY",
    count: 189,
    names: combine(
      ALL_TOWNS,
      fixed(
        ["いきいきサロン", "イキイキサロン"],
        ["ふれあいサロン", "フレアイサロン"],
        ["お茶の間サロン", "オチャノマサロン"],
        ["百歳体操の会", "ヒャクサイタイソウノカイ"],
        ["健康クラブ", "ケンコウクラブ"],
        ["笑顔の会", "エガオノカイ"],
        ["元気塾", "ゲンキジュク"],
        ["歌声サロン", "ウタゴエサロン"],
        ["寄り合い処", "ヨリアイドコロ"],
        ["茶話会", "サワカイ"],
      ),
    ),
    roles: ["世話役", "代表"],
    description: "地域の高齢者が集まり、体操やおしゃべり、お茶を楽しむ通いの場です。",
    fees: "参加費100円（お茶代）",
    build: ({ random }) => {
      const [opens, closes] = random.pick([
        ["10:00", "12:00"],
        ["13:30", "15:30"],
      ] as const);
      return {
        openingHours: hours([[[random.pick(MON_FRI)], opens, closes]], {
          annualClosures: [{ from: "12-20", to: "01-10", reason: "年末年始休み" }],
        }),
        eligibility: { careLevels: ["INDEPENDENT", "PROGRAM_ELIGIBLE", "SUPPORT_1", "SUPPORT_2"], note: "おおむね65歳以上の方" },
      };
    },
  },
  {
    category: "dementia-cafe",
    kind: "COMMUNITY",
    count: 8,
    names: [...combine(fixed(["オレンジカフェ", "オレンジカフェ"]), WORDS), ...combine(fixed(["認知症カフェ", "ニンチショウカフェ"]), WORDS)],
    roles: ["認知症地域支援推進員", "世話役"],
    description: "認知症の方やご家族、地域の方が気軽に集い、相談できるカフェです。",
    fees: "参加費200円",
    build: ({ random }) => ({
      openingHours: hours([[[random.pick(MON_SAT)], "13:30", "15:30"]]),
      accepts: ["DEMENTIA"],
    }),
  },
  {
    category: "meal-delivery",
    kind: "INFORMAL",
    count: 5,
    names: [...combine(WORDS, fixed(["配食サービス", "ハイショクサービス"])), ...combine(fixed(["お弁当宅配", "オベントウタクハイ"]), WORDS)],
    roles: ["代表", "配達責任者"],
    description: "栄養バランスのとれたお弁当を届け、安否確認も行います。",
    fees: "1食500円から",
    build: ({ random }) => ({
      openingHours: hours([[MON_SAT, "10:00", "18:00"]]),
      servedDistricts: random.shuffle(DEMO_CITY.districts).slice(0, random.int(2, 7)),
    }),
  },
  {
    category: "shopping-support",
    kind: "INFORMAL",
    count: 4,
    names: combine(fixed(["おかいもの便", "オカイモノビン"]), WORDS),
    roles: ["代表"],
    description: "スーパーへの送迎や買い物の代行を行います。",
    fees: "1回300円",
    build: ({ district: home }) => ({
      openingHours: hours([[["TUE", "FRI"], "10:00", "15:00"]]),
      servedDistricts: [home.name],
    }),
  },
  {
    category: "mobility-support",
    kind: "INFORMAL",
    count: 4,
    names: [...combine(WORDS, fixed(["おでかけ支援の会", "オデカケシエンノカイ"])), ...combine(fixed(["移送サービス", "イソウサービス"]), WORDS)],
    roles: ["代表", "運転ボランティア"],
    description: "通院や買い物の外出を車で送迎します（会員制）。",
    fees: "片道300円",
    build: ({ district: home }) => ({
      openingHours: hours([[MON_FRI, "09:00", "16:00"]]),
      servedDistricts: [home.name],
    }),
  },
  {
    category: "housework-support",
    kind: "INFORMAL",
    count: 3,
    names: combine(WORDS, fixed(["お助け隊", "オタスケタイ"])),
    roles: ["代表"],
    description: "電球の交換やごみ出しなど、ちょっとした困りごとを手伝います。",
    fees: "30分250円",
    build: ({ district: home }) => ({
      openingHours: hours([[MON_SAT, "09:00", "17:00"]]),
      servedDistricts: [home.name],
    }),
  },
  {
    category: "watching-over",
    kind: "COMMUNITY",
    count: 7,
    names: DISTRICTS.map((entry) => ({
      text: `${entry.short.text}見守りネットワーク`,
      kana: `${entry.short.kana}ミマモリネットワーク`,
    })),
    perDistrict: true,
    roles: ["民生委員", "町内会長"],
    description: "町内会・民生委員・新聞配達などが協力して、一人暮らしの高齢者を見守ります。",
    build: ({ district: home }) => ({ servedDistricts: [home.name] }),
  },
  {
    category: "volunteer-group",
    kind: "COMMUNITY",
    count: 12,
    names: [
      ...combine(fixed(["健脚推進ボランティア", "ケンキャクスイシンボランティア"]), ALL_TOWNS, fixed(["班", "ハン"])),
      ...combine(WORDS, fixed(["ボランティアの会", "ボランティアノカイ"])),
    ],
    roles: ["代表", "世話役"],
    description: "ウォーキングや介護予防の活動を地域で広めるボランティアです。",
    build: ({ random }) => ({ openingHours: hours([[[random.pick<Weekday>(["SAT", "SUN"])], "09:00", "11:00"]]) }),
  },
  {
    category: "mutual-help",
    kind: "COMMUNITY",
    count: 4,
    names: combine(ALL_TOWNS, fixed(["支え合いの会", "ササエアイノカイ"])),
    roles: ["代表"],
    description: "ご近所どうしで声をかけ合い、困りごとを助け合う住民の会です。",
    build: ({ district: home }) => ({ servedDistricts: [home.name] }),
  },
];

/** How many resources of each category the demo city has (the Komatsu figures where DOMAIN.md gives them). */
export const DEMO_CITY_COUNTS: Readonly<Record<string, number>> = Object.fromEntries(PLANS.map((plan) => [plan.category, plan.count]));

const CITY_SIZE = PLANS.reduce((total, plan) => total + plan.count, 0);

/** A point scattered around a district centre, kept within 8 km of the city centre. */
function scatter(random: Random, home: District): { latitude: number; longitude: number } {
  let north = home.north + (random.next() + random.next() - 1) * 2.5;
  let east = home.east + (random.next() + random.next() - 1) * 2.5;
  const distance = Math.hypot(north, east);
  if (distance > MAX_DISTANCE_KM) {
    north *= MAX_DISTANCE_KM / distance;
    east *= MAX_DISTANCE_KM / distance;
  }
  const round = (value: number) => Math.round(value * 1e6) / 1e6;
  return {
    latitude: round(CENTER.latitude + north / KM_PER_DEGREE_LATITUDE),
    longitude: round(CENTER.longitude + east / KM_PER_DEGREE_LONGITUDE),
  };
}

/** A number in a local exchange starting with 0, which is never assigned: no real line is ever dialled. */
function phone(random: Random): string {
  return `0761-0${random.int(1, 9)}-${random.int(1000, 9999)}`;
}

function person(random: Random): Name {
  const surname = random.pick(SURNAMES);
  const given = random.pick(GIVEN_NAMES);
  return { text: `${surname.text} ${given.text}`, kana: `${surname.kana} ${given.kana}` };
}

function contactWindows(random: Random, serial: number, plan: CategoryPlan): ContactWindow[] {
  const formal = plan.kind === "FORMAL";
  const avoid = !formal ? COMMUNITY_AVOID : plan.visiting ? VISITING_AVOID : FACILITY_AVOID;
  const count = formal ? random.int(1, Math.min(3, plan.roles.length)) : 1;
  return plan.roles.slice(0, count).map((role, index) => {
    const id = `r${serial}-${index + 1}`;
    const name = person(random);
    return {
      name: name.text,
      kana: name.kana,
      role,
      photoUrl: `https://example.org/photos/${id}.jpg`,
      phone: phone(random),
      ...(formal ? { email: `${id}@example.org` } : {}),
      preferredChannel: formal ? random.pick(["PHONE", "PHONE", "FAX", "EMAIL", "ICT"] as const) : "PHONE",
      avoidCallingHours: random.some(avoid, formal ? 0.35 : 0.2),
    };
  });
}

/** Verified within the year for most, over a year ago for about one in five, never for a few. */
function provenance(random: Random, now: Date, kind: ResourceKind): ResourceInput["provenance"] {
  const sources: readonly ProvenanceSource[] =
    kind === "FORMAL" ? ["OPEN_DATA", "OPEN_DATA", "PROVIDER", "COORDINATOR"] : ["MUNICIPAL_SURVEY", "VOLUNTEER", "COORDINATOR"];
  const daysAgo = random.chance(0.2) ? random.int(366, 1100) : random.int(0, 365);
  const verifiedAt = new Date(now.getTime() - daysAgo * DAY_MS - random.int(0, 86_399) * 1000);
  const modifiedAt = new Date(Math.min(now.getTime(), verifiedAt.getTime() + random.int(0, 30) * DAY_MS));
  if (random.chance(0.05)) return { source: random.pick(sources), modifiedAt };
  return {
    source: random.pick(sources),
    verifiedAt,
    verifiedBy: random.pick(["つなぐ市 長寿介護課", "在宅医療・介護連携支援センター", "地域包括支援センター", "生活支援コーディネーター"]),
    modifiedAt,
  };
}

/** One corporation (法人) that runs several offices, sometimes at one site. */
interface Corporation {
  name: string;
  number: string;
  site: { district: District; town: Town; street: string; location: { latitude: number; longitude: number } };
}

function street(random: Random, town: Town): string {
  return random.chance(0.6) ? `${town.text}${random.int(1, 5)}丁目${random.int(1, 30)}番${random.int(1, 20)}号` : `${town.text}${random.int(1, 999)}番地`;
}

/** Corporations of each operator kind, with valid, distinct 法人番号. */
function corporations(random: Random, perKind: number): Record<OperatorKind, Corporation[]> {
  let serial = 0;
  const make = (kind: OperatorKind) =>
    Array.from({ length: perKind }, (): Corporation => {
      serial += 1;
      const [form, suffix] = random.pick(CORPORATE_FORMS[kind]);
      const home = random.pick(DISTRICTS);
      const town = random.pick(home.towns);
      const base = `2200${String(serial).padStart(8, "0")}`;
      return {
        name: `${form}${random.pick(WORDS).text}${suffix}`,
        number: `${corporateNumberCheckDigit(base)}${base}`,
        site: { district: home, town, street: street(random, town), location: scatter(random, home) },
      };
    });
  return { MEDICAL: make("MEDICAL"), PHARMACY: make("PHARMACY"), CARE: make("CARE") };
}

/** Options of a generation: the seed (default 1) and the moment verifications and vacancies are relative to. */
export interface DemoCityOptions {
  seed?: number;
  /** Default the fixed demoReferenceDate(). */
  now?: Date;
}

/**
 * `count` resources with the demo city's mix of categories: exactly the city when count is its size, scaled
 * otherwise (100,000 for the benchmark, where names repeat). Deterministic for a seed and `now`; every input
 * passes the resource schema, and official identifiers are distinct.
 */
export function generateResources(count: number, options: DemoCityOptions = {}): ResourceInput[] {
  const { seed = 1, now = demoReferenceDate() } = options;
  const random = new Random(seed);
  const firms = corporations(random, Math.max(20, Math.ceil(count / 40)));
  const quotas = PLANS.map((plan) => Math.floor((plan.count * count) / CITY_SIZE));
  const rest = count - quotas.reduce((total, quota) => total + quota, 0);
  quotas[PLANS.findIndex((plan) => plan.category === "salon")] += rest;
  const resources: ResourceInput[] = [];
  let serial = 0;
  PLANS.forEach((plan, planIndex) => {
    const leading = plan.leading ?? [];
    const names = [...leading, ...(plan.perDistrict ? plan.names : random.shuffle(plan.names))];
    for (let index = 0; index < quotas[planIndex]; index += 1) {
      serial += 1;
      const name = names[index % names.length];
      const municipal = index < leading.length;
      const operated = !municipal && plan.operator !== undefined && random.chance(plan.operator.probability);
      const firm = operated && plan.operator ? random.pick(firms[plan.operator.kind]) : undefined;
      // Offices of one corporation often share a site: same 法人番号 and address, different 事業所番号.
      const atFirmSite = firm !== undefined && name.place === undefined && random.chance(0.4);
      const anyDistrict = plan.perDistrict ? DISTRICTS[index % DISTRICTS.length] : random.pick(DISTRICTS);
      const home = name.place?.district ?? (atFirmSite ? firm.site.district : anyDistrict);
      const town = name.place?.town ?? (atFirmSite ? firm.site.town : random.pick(home.towns));
      const formal = plan.kind === "FORMAL";
      const number = String(serial).padStart(7, "0");
      resources.push({
        kind: plan.kind,
        category: plan.category,
        names: { official: name.text, kana: name.kana, ...(plan.short ? { short: plan.short(name) } : {}) },
        description: plan.description,
        ...(municipal ? { operatorName: DEMO_CITY.city } : firm ? { operatorName: firm.name } : {}),
        identifiers: {
          ...(plan.care ? { careOfficeNumber: `177${number}`, careServiceCode: plan.care.serviceCode } : {}),
          ...(plan.scoreTable ? { medicalInstitutionCode: `17${plan.scoreTable}${number}` } : {}),
          ...(firm ? { corporateNumber: firm.number } : {}),
        },
        address: {
          postalCode: town.postalCode,
          prefecture: DEMO_CITY.prefecture,
          city: DEMO_CITY.city,
          street: atFirmSite ? firm.site.street : street(random, town),
          ...(plan.kind === "COMMUNITY" && random.chance(0.7) ? { building: `${town.text}${random.pick(["公民館", "集会所"])}` } : {}),
        },
        location: atFirmSite ? firm.site.location : scatter(random, home),
        servedDistricts: [],
        contact: {
          ...(formal || random.chance(0.5) ? { phone: phone(random) } : {}),
          ...(formal && random.chance(0.7) ? { fax: phone(random) } : {}),
          ...(formal && random.chance(0.6) ? { url: `https://example.org/resources/${serial}` } : {}),
        },
        contactWindows: contactWindows(random, serial, plan),
        accepts: [],
        departments: [],
        ...(plan.care ? { eligibility: { careLevels: [...plan.care.eligibility] } } : {}),
        ...(plan.fees ? { fees: plan.fees } : {}),
        languages: ["ja"],
        suspended: false,
        provenance: provenance(random, now, plan.kind),
        ...plan.build({ random, now, serial, district: home }, name),
      });
    }
  });
  return resources;
}

/** The demo city: a synthetic city the size of Komatsu, seeded on first start. */
export function generateDemoCity(options: DemoCityOptions = {}): ResourceInput[] {
  return generateResources(CITY_SIZE, options);
}
