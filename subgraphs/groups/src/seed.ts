// Demo data for the groups subgraph: つなぐ市's professional groups, members with faces and hours not to call, board posts, and a year of consultation desk log with Team Kamaishi's figures.
import { createHash } from "node:crypto";
import { Types } from "mongoose";
import type { Connection, Model } from "mongoose";
import { demoReferenceDate, fiscalYearOf, fiscalYearStart } from "@tsunagu/service-kit";
import type { Weekday } from "@tsunagu/service-kit";
import type { AffiliationInput, ConsultationCategory, ConsultationChannel, GroupKind, GroupRole, Profession } from "./domain";
import { ensureGroupsIndexes, groupsModels } from "./models";
import type { AcknowledgementDocument, BoardRecord, CommentDocument, ConsultationDocument, GroupDocument, MemberDocument, PostDocument } from "./models";
import { groupIndexFields, memberRecord } from "./people";

/** A resource of the resources subgraph a demo member can work at: what the member's record keeps of it. */
export interface DemoAffiliation {
  id: string;
  name: string;
  kana?: string | null;
  district?: string | null;
  category: string;
  categoryLabel?: string | null;
}

export interface SeedDemoGroupsOptions {
  /** The moment the demo is set at (posts are days before it; the consultation log covers the fiscal year before it). Default: the fixed demoReferenceDate(). */
  now?: Date;
  /**
   * Resources to affiliate demo members with (`npm start` passes the demo city's): each member takes one of the
   * categories that suit their profession, in turn. Without them the members have no affiliation.
   */
  resources?: readonly DemoAffiliation[];
}

/** The figures the demo consultation log reproduces for the fiscal year before `now` (Team Kamaishi, FY2017, n=58). */
export const DEMO_CONSULTATION_FIGURES = {
  total: 58,
  /** 電話 41, メール 9, 電話及びメール 3, 対面 4, 文書 1. */
  byChannelCombination: [
    { channels: ["PHONE"], count: 41 },
    { channels: ["EMAIL"], count: 9 },
    { channels: ["PHONE", "EMAIL"], count: 3 },
    { channels: ["IN_PERSON"], count: 4 },
    { channels: ["LETTER"], count: 1 },
  ] as const satisfies readonly { channels: readonly ConsultationChannel[]; count: number }[],
  /**
   * In-region requests as Kamaishi classified them (主催事業 6, 職種間連携 6, チームかまいしに関する問合せ 1, データ提供依頼 4,
   * 他部署との調整 4, その他 1; n=22); the other 36 were enquiries from outside the region, logged as questions about the centre.
   */
  byCategory: {
    EVENT_COHOSTING: 6,
    INTERPROFESSIONAL_COLLABORATION: 6,
    QUESTION_ABOUT_CENTRE: 1 + 36,
    DATA_REQUEST: 4,
    INTERDEPARTMENTAL_COORDINATION: 4,
    OTHER: 1,
  } satisfies Record<ConsultationCategory, number>,
};

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** A stable id for a demo record, so that seeding twice upserts the same records. */
function demoId(kind: string, slug: string): Types.ObjectId {
  return new Types.ObjectId(createHash("sha1").update(`tsunagu-demo:groups:${kind}:${slug}`).digest("hex").slice(0, 24));
}

type Days = Weekday[];

interface DemoPerson {
  slug: string;
  name: string;
  kana: string;
  profession: Profession;
  title?: string;
  /** Resource categories that suit the person, best first. */
  categories: readonly string[];
  avoid?: { days: Days; from: string; to: string; reason: string }[];
}

const WEEKDAYS_ONLY: Days = ["MON", "TUE", "WED", "THU", "FRI"];

const PEOPLE: readonly DemoPerson[] = [
  {
    slug: "yamada-taro",
    name: "山田 太郎",
    kana: "ヤマダ タロウ",
    profession: "PHYSICIAN",
    title: "院長",
    categories: ["clinic"],
    avoid: [{ days: ["MON", "TUE", "THU", "FRI"], from: "12:30", to: "15:00", reason: "訪問診療中" }],
  },
  { slug: "kitamura-kenichi", name: "北村 健一", kana: "キタムラ ケンイチ", profession: "PHYSICIAN", title: "在宅医療担当医", categories: ["clinic"] },
  {
    slug: "nakamura-makoto",
    name: "中村 誠",
    kana: "ナカムラ マコト",
    profession: "PHYSICIAN",
    title: "地域医療連携室長",
    categories: ["hospital"],
    avoid: [{ days: [], from: "08:30", to: "09:30", reason: "病棟回診" }],
  },
  {
    slug: "yoshida-naoki",
    name: "吉田 直樹",
    kana: "ヨシダ ナオキ",
    profession: "DENTIST",
    title: "院長",
    categories: ["dental-clinic"],
    avoid: [{ days: WEEKDAYS_ONLY, from: "09:00", to: "12:00", reason: "外来診療中" }],
  },
  { slug: "matsumoto-takashi", name: "松本 隆", kana: "マツモト タカシ", profession: "DENTIST", title: "訪問歯科診療担当", categories: ["dental-clinic"] },
  { slug: "hayashi-mika", name: "林 美香", kana: "ハヤシ ミカ", profession: "DENTAL_HYGIENIST", categories: ["dental-clinic"] },
  {
    slug: "takada-keiko",
    name: "高田 恵子",
    kana: "タカダ ケイコ",
    profession: "PHARMACIST",
    title: "管理薬剤師",
    categories: ["pharmacy"],
    avoid: [{ days: [], from: "17:30", to: "18:30", reason: "夕方の調剤が集中" }],
  },
  { slug: "nishikawa-kazuya", name: "西川 和也", kana: "ニシカワ カズヤ", profession: "PHARMACIST", title: "在宅訪問担当", categories: ["pharmacy"] },
  { slug: "miyamoto-yumi", name: "宮本 由美", kana: "ミヤモト ユミ", profession: "NURSE", title: "退院調整看護師", categories: ["hospital"] },
  {
    slug: "kobayashi-naomi",
    name: "小林 直美",
    kana: "コバヤシ ナオミ",
    profession: "NURSE",
    title: "管理者",
    categories: ["visiting-nursing"],
    avoid: [{ days: WEEKDAYS_ONLY, from: "08:30", to: "09:15", reason: "朝の申し送り" }],
  },
  { slug: "kato-tomoko", name: "加藤 智子", kana: "カトウ トモコ", profession: "NURSE", title: "訪問看護師", categories: ["visiting-nursing"] },
  { slug: "sato-yuko", name: "佐藤 裕子", kana: "サトウ ユウコ", profession: "MEDICAL_SOCIAL_WORKER", title: "地域医療連携室", categories: ["hospital"] },
  {
    slug: "suzuki-daisuke",
    name: "鈴木 大輔",
    kana: "スズキ ダイスケ",
    profession: "MEDICAL_SOCIAL_WORKER",
    title: "医療福祉相談室",
    categories: ["hospital"],
  },
  {
    slug: "takahashi-mayumi",
    name: "高橋 真由美",
    kana: "タカハシ マユミ",
    profession: "CHIEF_CARE_MANAGER",
    title: "管理者",
    categories: ["care-management"],
    avoid: [{ days: ["WED"], from: "13:00", to: "17:00", reason: "担当者会議" }],
  },
  {
    slug: "ito-akemi",
    name: "伊藤 明美",
    kana: "イトウ アケミ",
    profession: "CARE_MANAGER",
    categories: ["care-management"],
    avoid: [{ days: [], from: "16:00", to: "17:00", reason: "モニタリング訪問の記録" }],
  },
  { slug: "watanabe-kumiko", name: "渡辺 久美子", kana: "ワタナベ クミコ", profession: "CARE_MANAGER", categories: ["care-management"] },
  { slug: "shimizu-sachiko", name: "清水 幸子", kana: "シミズ サチコ", profession: "CARE_MANAGER", categories: ["care-management"] },
  {
    slug: "ikeda-yoko",
    name: "池田 陽子",
    kana: "イケダ ヨウコ",
    profession: "SOCIAL_WORKER",
    title: "地域包括支援センター",
    categories: ["community-support-center"],
  },
  {
    slug: "mori-kaori",
    name: "森 香織",
    kana: "モリ カオリ",
    profession: "PUBLIC_HEALTH_NURSE",
    title: "地域包括支援センター",
    categories: ["community-support-center"],
  },
  {
    slug: "ishida-shota",
    name: "石田 翔太",
    kana: "イシダ ショウタ",
    profession: "LIFE_SUPPORT_COORDINATOR",
    title: "第2層生活支援コーディネーター",
    categories: ["community-support-center"],
  },
  {
    slug: "maeda-chihiro",
    name: "前田 千尋",
    kana: "マエダ チヒロ",
    profession: "PHYSICAL_THERAPIST",
    categories: ["visiting-rehabilitation", "day-rehabilitation", "hospital"],
  },
  { slug: "sakamoto-takuya", name: "坂本 拓也", kana: "サカモト タクヤ", profession: "OCCUPATIONAL_THERAPIST", categories: ["day-rehabilitation", "hospital"] },
  { slug: "nakagawa-miho", name: "中川 美穂", kana: "ナカガワ ミホ", profession: "SPEECH_THERAPIST", categories: ["hospital"] },
  { slug: "yamaguchi-kenta", name: "山口 健太", kana: "ヤマグチ ケンタ", profession: "REGISTERED_DIETITIAN", title: "栄養管理室", categories: ["hospital"] },
  {
    slug: "matsuda-tatsuya",
    name: "松田 達也",
    kana: "マツダ タツヤ",
    profession: "CARE_WORKER",
    title: "生活相談員",
    categories: ["special-nursing-home", "geriatric-health-facility"],
  },
  {
    slug: "takeuchi-hiroyuki",
    name: "竹内 博之",
    kana: "タケウチ ヒロユキ",
    profession: "HOME_HELPER",
    title: "サービス提供責任者",
    categories: ["home-help"],
  },
  { slug: "murata-satoshi", name: "村田 聡", kana: "ムラタ サトシ", profession: "EMS_CREW", title: "救急救命士", categories: [] },
  {
    slug: "nishimura-hiroshi",
    name: "西村 浩",
    kana: "ニシムラ ヒロシ",
    profession: "MUNICIPAL_OFFICER",
    title: "長寿介護課 在宅医療・介護連携担当",
    categories: ["home-care-coordination-center", "community-support-center"],
  },
  {
    slug: "okada-hanako",
    name: "岡田 花子",
    kana: "オカダ ハナコ",
    profession: "MUNICIPAL_OFFICER",
    title: "在宅医療・介護連携コーディネーター",
    categories: ["home-care-coordination-center", "community-support-center"],
  },
  {
    slug: "fujita-ichiro",
    name: "藤田 一郎",
    kana: "フジタ イチロウ",
    profession: "OTHER",
    title: "認知症カフェ 運営ボランティア",
    categories: ["dementia-cafe", "salon"],
  },
];

type Slug = (typeof PEOPLE)[number]["slug"];

interface DemoGroup {
  slug: string;
  kind: GroupKind;
  name: string;
  kana: string;
  description: string;
  parent?: string;
  visibility: BoardRecord["visibility"];
  window?: { name: string; person?: Slug; phone: string; note?: string };
  members: readonly [Slug, GroupRole][];
}

const GROUPS: readonly DemoGroup[] = [
  {
    slug: "ishikai",
    kind: "PROFESSIONAL_ASSOCIATION",
    name: "つなぐ市医師会",
    kana: "ツナグシイシカイ",
    description: "市内の病院・診療所の医師の団体。在宅医療連携拠点の事務局を担う。",
    visibility: "PRIVATE",
    window: { name: "医師会事務局", phone: "0761-22-0101", note: "平日 9:00〜17:00" },
    members: [
      ["yamada-taro", "REPRESENTATIVE"],
      ["kitamura-kenichi", "MEMBER"],
      ["nakamura-makoto", "MEMBER"],
    ],
  },
  {
    slug: "shikaishikai",
    kind: "PROFESSIONAL_ASSOCIATION",
    name: "つなぐ市歯科医師会",
    kana: "ツナグシシカイシカイ",
    description: "歯科医師の団体。訪問歯科診療の相談窓口を持つ。",
    visibility: "PRIVATE",
    window: { name: "訪問歯科相談窓口", person: "matsumoto-takashi", phone: "0761-22-0202" },
    members: [
      ["yoshida-naoki", "REPRESENTATIVE"],
      ["matsumoto-takashi", "SECRETARIAT"],
    ],
  },
  {
    slug: "yakuzaishikai",
    kind: "PROFESSIONAL_ASSOCIATION",
    name: "つなぐ市薬剤師会",
    kana: "ツナグシヤクザイシカイ",
    description: "薬局薬剤師の団体。在宅訪問薬剤管理の輪番を調整する。",
    visibility: "PRIVATE",
    window: { name: "薬剤師会事務局", person: "nishikawa-kazuya", phone: "0761-22-0303" },
    members: [
      ["takada-keiko", "REPRESENTATIVE"],
      ["nishikawa-kazuya", "SECRETARIAT"],
    ],
  },
  {
    slug: "caremane",
    kind: "PROFESSIONAL_ASSOCIATION",
    name: "つなぐ市介護支援専門員協議会",
    kana: "ツナグシカイゴシエンセンモンインキョウギカイ",
    description: "市内の居宅介護支援事業所のケアマネジャーの協議会（ケアマネ協議会）。",
    visibility: "PRIVATE",
    window: { name: "ケアマネ協議会事務局", person: "ito-akemi", phone: "0761-22-0404" },
    members: [
      ["takahashi-mayumi", "REPRESENTATIVE"],
      ["ito-akemi", "SECRETARIAT"],
      ["watanabe-kumiko", "MEMBER"],
      ["shimizu-sachiko", "MEMBER"],
    ],
  },
  {
    slug: "rehashikai",
    kind: "PROFESSIONAL_ASSOCIATION",
    name: "つなぐ市リハビリテーション専門職協議会",
    kana: "ツナグシリハビリテーションセンモンショクキョウギカイ",
    description: "理学療法士・作業療法士・言語聴覚士の協議会（リハ士会）。介護予防の通いの場に講師を派遣する。",
    visibility: "PRIVATE",
    members: [
      ["maeda-chihiro", "REPRESENTATIVE"],
      ["sakamoto-takuya", "MEMBER"],
      ["nakagawa-miho", "MEMBER"],
    ],
  },
  {
    slug: "eiyoushikai",
    kind: "PROFESSIONAL_ASSOCIATION",
    name: "つなぐ市栄養士会",
    kana: "ツナグシエイヨウシカイ",
    description: "管理栄養士・栄養士の団体。在宅療養者の栄養相談に協力する。",
    visibility: "PRIVATE",
    members: [["yamaguchi-kenta", "REPRESENTATIVE"]],
  },
  {
    slug: "tashokushu",
    kind: "MULTIDISCIPLINARY_NETWORK",
    name: "つなぐ多職種連携の会",
    kana: "ツナグタショクシュレンケイノカイ",
    description: "医療・介護・行政の実務者が顔の見える関係をつくる会。毎月の勉強会と事例検討を行う。",
    visibility: "PUBLIC",
    window: { name: "在宅医療・介護連携支援センター", person: "okada-hanako", phone: "0761-24-1234", note: "平日 8:30〜17:15" },
    members: [
      ["yamada-taro", "ORGANIZER"],
      ["miyamoto-yumi", "ORGANIZER"],
      ["okada-hanako", "SECRETARIAT"],
      ["takahashi-mayumi", "MEMBER"],
      ["kobayashi-naomi", "MEMBER"],
      ["takada-keiko", "MEMBER"],
      ["sato-yuko", "MEMBER"],
      ["maeda-chihiro", "MEMBER"],
      ["ikeda-yoko", "MEMBER"],
      ["yoshida-naoki", "MEMBER"],
      ["takeuchi-hiroyuki", "MEMBER"],
    ],
  },
  {
    slug: "kyogikai",
    kind: "COUNCIL",
    name: "つなぐ市在宅医療・介護連携推進協議会",
    kana: "ツナグシザイタクイリョウカイゴレンケイスイシンキョウギカイ",
    description: "在宅医療・介護連携推進事業の協議体。課題を抽出し、部会で対応策を検討する。",
    visibility: "PRIVATE",
    window: { name: "長寿介護課", person: "nishimura-hiroshi", phone: "0761-24-1111" },
    members: [
      ["yamada-taro", "REPRESENTATIVE"],
      ["nishimura-hiroshi", "SECRETARIAT"],
      ["okada-hanako", "SECRETARIAT"],
      ["yoshida-naoki", "MEMBER"],
      ["takada-keiko", "MEMBER"],
      ["takahashi-mayumi", "MEMBER"],
      ["kobayashi-naomi", "MEMBER"],
    ],
  },
  {
    slug: "nyutaiin",
    kind: "COUNCIL",
    name: "入退院支援部会",
    kana: "ニュウタイインシエンブカイ",
    parent: "kyogikai",
    description: "入退院連絡票の運用と、退院5日前までの連絡を進める部会。",
    visibility: "PRIVATE",
    members: [
      ["miyamoto-yumi", "REPRESENTATIVE"],
      ["sato-yuko", "MEMBER"],
      ["suzuki-daisuke", "MEMBER"],
      ["takahashi-mayumi", "MEMBER"],
      ["ito-akemi", "MEMBER"],
    ],
  },
  {
    slug: "soudanin",
    kind: "COUNCIL",
    name: "病院・施設相談員部会",
    kana: "ビョウイン・シセツソウダンインブカイ",
    parent: "kyogikai",
    description: "介護保険施設と病院の相談員が、行政・地域包括と施設間の連携を話し合う部会。",
    visibility: "PRIVATE",
    members: [
      ["sato-yuko", "ORGANIZER"],
      ["suzuki-daisuke", "MEMBER"],
      ["matsuda-tatsuya", "MEMBER"],
      ["ikeda-yoko", "MEMBER"],
    ],
  },
  {
    slug: "orange-cafe",
    kind: "CARE_CAFE",
    name: "認知症カフェ「オレンジカフェほんまち」",
    kana: "ニンチショウカフェ「オレンジカフェホンマチ」",
    description: "本人・家族・地域の人が気軽に集まる認知症カフェ。毎月第2土曜日 13:30〜15:30。",
    visibility: "PUBLIC",
    window: { name: "カフェ世話人", person: "fujita-ichiro", phone: "0761-22-0808", note: "開催日以外は地域包括支援センターへ" },
    members: [
      ["fujita-ichiro", "REPRESENTATIVE"],
      ["mori-kaori", "ORGANIZER"],
      ["ishida-shota", "MEMBER"],
    ],
  },
  {
    slug: "center-team",
    kind: "OFFICE_TEAM",
    name: "在宅医療・介護連携支援センター 相談員チーム",
    kana: "ザイタクイリョウカイゴレンケイシエンセンターソウダンインチーム",
    description: "連携に関する相談窓口を受け持つコーディネーターのチーム。",
    visibility: "PRIVATE",
    members: [
      ["okada-hanako", "REPRESENTATIVE"],
      ["nishimura-hiroshi", "MEMBER"],
    ],
  },
];

interface DemoPost {
  slug: string;
  group: string;
  author: Slug;
  daysAgo: number;
  title: string;
  body: string;
  tags: string[];
  pinned?: boolean;
  urgent?: boolean;
  readBy: Slug[];
  comments: [Slug, string][];
}

const POSTS: readonly DemoPost[] = [
  {
    slug: "kenshu",
    group: "tashokushu",
    author: "okada-hanako",
    daysAgo: 12,
    pinned: true,
    tags: ["研修", "勉強会"],
    title: "【ご案内】顔の見える多職種連携研修会（事例検討：退院直後の在宅酸素）",
    body: "次回の研修会は市民交流センター2階で18:30から行います。退院直後に在宅酸素療法を始めた事例をもとに、病院・訪問看護・ケアマネ・薬局の役割分担を話し合います。参加申込は前日までにこの投稿へのコメントでお知らせください。",
    readBy: ["yamada-taro", "miyamoto-yumi", "takahashi-mayumi", "kobayashi-naomi", "takada-keiko"],
    comments: [
      ["yamada-taro", "医師会から2名参加します。"],
      ["kobayashi-naomi", "訪問看護ステーションから1名参加します。事例の提供もできます。"],
    ],
  },
  {
    slug: "ooyuki",
    group: "tashokushu",
    author: "kobayashi-naomi",
    daysAgo: 2,
    urgent: true,
    tags: ["災害", "訪問調整"],
    title: "【緊急】大雪に伴う訪問の調整について",
    body: "大雪警報のため、本日午後の訪問は安否確認を優先し、必要に応じて電話での状態確認に切り替えます。在宅酸素・人工呼吸器を使っている方の停電時の対応を各事業所で確認してください。",
    readBy: ["okada-hanako", "takahashi-mayumi"],
    comments: [["takahashi-mayumi", "担当の利用者さん3名に電話で確認しました。全員問題ありません。"]],
  },
  {
    slug: "renrakuhyo",
    group: "caremane",
    author: "takahashi-mayumi",
    daysAgo: 20,
    pinned: true,
    tags: ["入退院連絡票"],
    title: "入退院連絡票の運用ルール改訂（退院5日前までの連絡）",
    body: "入退院支援部会での合意により、病院から担当ケアマネジャーへの退院連絡は退院日の5日前までを目安とします。連絡がなかった事例は事務局まで報告してください。",
    readBy: ["ito-akemi", "watanabe-kumiko"],
    comments: [],
  },
  {
    slug: "taiin-conference",
    group: "nyutaiin",
    author: "miyamoto-yumi",
    daysAgo: 5,
    tags: ["退院前カンファレンス"],
    title: "退院前カンファレンスの日程調整について",
    body: "来週の退院前カンファレンスは火曜日と木曜日の14:00から設定できます。参加する事業所は返信をお願いします。",
    readBy: ["sato-yuko"],
    comments: [["ito-akemi", "木曜日に参加します。"]],
  },
  {
    slug: "toban",
    group: "ishikai",
    author: "yamada-taro",
    daysAgo: 8,
    tags: ["在宅当番医"],
    title: "在宅当番医の輪番表（来月分）",
    body: "来月の休日在宅当番医の輪番表を添付しました。交代が必要な場合は事務局まで連絡してください。",
    readBy: ["kitamura-kenichi"],
    comments: [],
  },
  {
    slug: "cafe-annai",
    group: "orange-cafe",
    author: "fujita-ichiro",
    daysAgo: 3,
    tags: ["認知症カフェ"],
    title: "今月のオレンジカフェほんまち（第2土曜日）",
    body: "今月は地域包括支援センターの保健師さんによるミニ講座「もの忘れが気になったら」があります。どなたでもお越しください。参加費100円（飲み物付き）。",
    readBy: ["mori-kaori"],
    comments: [],
  },
];

/** One in-region request as Kamaishi's FY2017 report lists them: category, requester and what was asked. */
type DemoRequest = [ConsultationCategory, Profession | null, string, string];

const IN_REGION_REQUESTS: readonly DemoRequest[] = [
  ["EVENT_COHOSTING", "PHARMACIST", "つなぐ市薬剤師会", "薬剤師会が受託したモデル事業への参画と研修会の共催の依頼"],
  ["EVENT_COHOSTING", "NURSE", "つなぐ中央病院 看護部", "病院職員対象「退院支援」研修会の開催に関する相談"],
  ["EVENT_COHOSTING", "CHIEF_CARE_MANAGER", "つなぐ市介護支援専門員協議会", "介護支援専門員研修会の周知と運営への協力依頼"],
  ["EVENT_COHOSTING", "DENTIST", "つなぐ市歯科医師会", "口腔ケア講演会の会場選定とチラシ作成の相談"],
  ["EVENT_COHOSTING", "MEDICAL_SOCIAL_WORKER", "つなぐ中央病院 地域医療連携室", "地域連携報告会の共催と他職種の参加者とりまとめの依頼"],
  ["EVENT_COHOSTING", "PUBLIC_HEALTH_NURSE", "つなぐ市 健康推進課", "ACP（人生会議）普及啓発講座の共催の相談"],
  ["INTERPROFESSIONAL_COLLABORATION", "PHARMACIST", "つなぐ市薬剤師会", "地域包括支援センターの保健師との連携を進める事業を実施したい"],
  ["INTERPROFESSIONAL_COLLABORATION", "MEDICAL_SOCIAL_WORKER", "つなぐ中央病院 地域医療連携室", "連携実務者の多職種連携の会を結成したい"],
  ["INTERPROFESSIONAL_COLLABORATION", "CARE_MANAGER", "居宅介護支援事業所", "退院時に訪問看護へつなぐ際の情報提供の様式について"],
  ["INTERPROFESSIONAL_COLLABORATION", "PHYSICIAN", "診療所", "訪問診療を始める際のケアマネジャーとの連絡方法について"],
  ["INTERPROFESSIONAL_COLLABORATION", "NURSE", "つなぐ市立病院 看護部", "病棟看護師と訪問看護師の同行訪問の進め方"],
  ["INTERPROFESSIONAL_COLLABORATION", "PHYSICIAN", "つなぐ市医師会", "医師会と歯科医師会の合同事例検討会の持ち方"],
  ["QUESTION_ABOUT_CENTRE", null, "市民", "在宅医療・介護連携支援センターはどのような相談に乗ってくれるのか"],
  ["DATA_REQUEST", "MUNICIPAL_OFFICER", "近隣町 保健福祉課", "医療・介護資源マップのデータ提供の依頼"],
  ["DATA_REQUEST", "PHYSICIAN", "つなぐ市医師会", "在宅看取り件数の推移の提供依頼"],
  ["DATA_REQUEST", "PUBLIC_HEALTH_NURSE", "つなぐ市 健康推進課", "入退院連絡票の運用状況調査の結果提供の依頼"],
  ["DATA_REQUEST", "MEDICAL_SOCIAL_WORKER", "つなぐ中央病院 地域医療連携室", "ICT利用促進に向けた課題の抽出・分類結果の提供依頼"],
  ["INTERDEPARTMENTAL_COORDINATION", "MEDICAL_SOCIAL_WORKER", "つなぐ中央病院 地域医療連携室", "患者家族等が介護申請を受け付けてもらえないことがある"],
  ["INTERDEPARTMENTAL_COORDINATION", "NURSE", "つなぐ市立病院 地域連携室", "退院後の住宅改修の手続きについて担当課との調整"],
  ["INTERDEPARTMENTAL_COORDINATION", "MEDICAL_SOCIAL_WORKER", "つなぐ市立病院 医療福祉相談室", "身寄りのない入院患者の退院支援で福祉課との調整"],
  ["INTERDEPARTMENTAL_COORDINATION", "NURSE", "つなぐ中央病院 看護部", "災害時の在宅人工呼吸器使用者の情報共有について防災担当との調整"],
  ["OTHER", "PHARMACIST", "薬局", "薬局の在宅対応の可否を一覧に載せたい"],
];

const OUT_OF_REGION_REQUESTS = 36;

/** Each consultation's channels, Kamaishi's counts interleaved so that every part of the year has each channel. */
function demoChannels(): ConsultationChannel[][] {
  const pool = DEMO_CONSULTATION_FIGURES.byChannelCombination.flatMap(({ channels, count }) => Array.from({ length: count }, () => [...channels]));
  // A fixed stride coprime with 58 spreads the rarer channels over the year.
  return pool.map((_, index) => pool[(index * 23) % pool.length] as ConsultationChannel[]);
}

function demoConsultations(now: Date, handler: Types.ObjectId): Omit<ConsultationDocument, "creation">[] {
  const currentYear = fiscalYearStart(fiscalYearOf(now));
  const previousYear = fiscalYearStart(fiscalYearOf(now) - 1);
  const yearDays = Math.round((currentYear.getTime() - previousYear.getTime()) / DAY_MS);
  const channels = demoChannels();
  const requests: DemoRequest[] = [
    ...IN_REGION_REQUESTS,
    ...Array.from({ length: OUT_OF_REGION_REQUESTS }, (): DemoRequest => [
      "QUESTION_ABOUT_CENTRE",
      "MUNICIPAL_OFFICER",
      "圏域外の自治体",
      "連携支援センターの取組と相談窓口の運営についての問合せ・視察依頼",
    ]),
  ];
  const order = requests.map((_, index) => requests[(index * 31) % requests.length]);
  const past = order.map(([category, profession, organizationName, summary], index) => {
    const receivedAt = new Date(previousYear.getTime() + Math.floor((index * yearDays) / order.length) * DAY_MS + (9 + (index % 8)) * HOUR_MS);
    return consultation(`${index}`, receivedAt, channels[index], category, profession, organizationName, summary, "RESOLVED", handler);
  });
  const current = [
    consultation(
      "current-1",
      new Date(Math.max(currentYear.getTime(), now.getTime() - 3 * DAY_MS)),
      ["PHONE"],
      "INTERPROFESSIONAL_COLLABORATION",
      "CARE_MANAGER",
      "居宅介護支援事業所",
      "退院連絡が前日になった事例の共有と改善の相談",
      "IN_PROGRESS",
      handler,
    ),
    consultation(
      "current-2",
      new Date(Math.max(currentYear.getTime(), now.getTime() - DAY_MS)),
      ["EMAIL"],
      "EVENT_COHOSTING",
      "PHARMACIST",
      "つなぐ市薬剤師会",
      "多職種連携研修会での薬局の在宅訪問紹介の依頼",
      "OPEN",
      null,
    ),
  ];
  return [...past, ...current];
}

function consultation(
  slug: string,
  receivedAt: Date,
  channels: ConsultationChannel[],
  category: ConsultationCategory,
  profession: Profession | null,
  organizationName: string,
  summary: string,
  status: ConsultationDocument["status"],
  handler: Types.ObjectId | null,
): Omit<ConsultationDocument, "creation"> {
  return {
    _id: demoId("consultation", slug),
    receivedAt,
    channels,
    requester: { profession, organizationName, organizationId: null },
    category,
    summary,
    status,
    handledById: handler,
    resolution: status === "RESOLVED" ? "関係者との打合せを設定し、対応策を共に検討・実施した。" : null,
    createdAt: receivedAt,
    updatedAt: receivedAt,
  };
}

/** Picks each person's organisation: the first suitable category with resources, taking them in turn. */
function affiliations(resources: readonly DemoAffiliation[]): Map<Slug, AffiliationInput> {
  const byCategory = new Map<string, DemoAffiliation[]>();
  for (const resource of resources) byCategory.set(resource.category, [...(byCategory.get(resource.category) ?? []), resource]);
  const used = new Map<string, number>();
  const chosen = new Map<Slug, AffiliationInput>();
  for (const person of PEOPLE) {
    const category = person.categories.find((candidate) => (byCategory.get(candidate)?.length ?? 0) > 0);
    if (category === undefined) continue;
    const candidates = byCategory.get(category) as DemoAffiliation[];
    const turn = used.get(category) ?? 0;
    used.set(category, turn + 1);
    const resource = candidates[turn % candidates.length];
    chosen.set(person.slug, {
      resourceId: resource.id,
      name: resource.name,
      kana: resource.kana,
      district: resource.district,
      category: resource.category,
      categoryLabel: resource.categoryLabel,
    });
  }
  return chosen;
}

function demoMembers(resources: readonly DemoAffiliation[], now: Date): MemberDocument[] {
  const chosen = affiliations(resources);
  return PEOPLE.map((person, index) => ({
    _id: demoId("member", person.slug),
    ...memberRecord({
      name: person.name,
      kana: person.kana,
      profession: person.profession,
      title: person.title ?? null,
      affiliation: chosen.get(person.slug) ?? null,
      photoUrl: `https://demo.tsunagu.example/photos/${person.slug}.jpg`,
      workContact: { phone: `0761-2${index % 10}-${String(3000 + index * 37).padStart(4, "0")}`, email: `${person.slug}@demo.tsunagu.example` },
      avoidCallingHours: person.avoid ?? [],
    }),
    createdAt: now,
    updatedAt: now,
  }));
}

function demoGroups(now: Date): GroupDocument[] {
  const joinedAt = new Date(now.getTime() - 365 * DAY_MS);
  return GROUPS.map((group) => ({
    _id: demoId("group", group.slug),
    kind: group.kind,
    name: group.name,
    kana: group.kana,
    description: group.description,
    parentId: group.parent ? demoId("group", group.parent) : null,
    contactWindow: group.window
      ? {
          name: group.window.name,
          memberId: group.window.person ? demoId("member", group.window.person) : null,
          phone: group.window.phone,
          email: `${group.slug}@demo.tsunagu.example`,
          note: group.window.note ?? null,
        }
      : null,
    members: group.members.map(([slug, role], index) => ({ memberId: demoId("member", slug), role, joinedAt: new Date(joinedAt.getTime() + index * DAY_MS) })),
    board: { _id: demoId("board", group.slug), name: `${group.name} 掲示板`, visibility: group.visibility },
    ...groupIndexFields(group),
    createdAt: joinedAt,
    updatedAt: joinedAt,
  }));
}

function demoPosts(now: Date) {
  const posts: PostDocument[] = [];
  const comments: CommentDocument[] = [];
  const acknowledgements: AcknowledgementDocument[] = [];
  for (const post of POSTS) {
    const createdAt = new Date(now.getTime() - post.daysAgo * DAY_MS);
    const postId = demoId("post", post.slug);
    const place = { boardId: demoId("board", post.group), groupId: demoId("group", post.group) };
    posts.push({
      _id: postId,
      ...place,
      authorId: demoId("member", post.author),
      title: post.title,
      body: post.body,
      tags: post.tags,
      attachments: [],
      pinned: post.pinned ?? false,
      urgent: post.urgent ?? false,
      editedAt: null,
      createdAt,
      updatedAt: createdAt,
    });
    post.comments.forEach(([author, body], index) => {
      const at = new Date(createdAt.getTime() + (index + 1) * HOUR_MS);
      comments.push({
        _id: demoId("comment", `${post.slug}:${index}`),
        postId,
        ...place,
        authorId: demoId("member", author),
        body,
        createdAt: at,
        updatedAt: at,
      });
    });
    post.readBy.forEach((reader, index) => {
      acknowledgements.push({
        _id: demoId("acknowledgement", `${post.slug}:${reader}`),
        postId,
        memberId: demoId("member", reader),
        acknowledgedAt: new Date(createdAt.getTime() + (index + 1) * 30 * 60 * 1000),
      });
    });
  }
  return { posts, comments, acknowledgements };
}

/** Inserts the records that are not there yet (by their stable ids); returns how many were inserted. */
async function upsertAll<T extends { _id: Types.ObjectId }>(model: Model<T>, documents: readonly T[]): Promise<number> {
  if (documents.length === 0) return 0;
  const result = await model.collection.bulkWrite(
    // The inserted document takes its _id from the equality filter.
    documents.map(({ _id, ...fields }) => ({ updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true } })),
    { ordered: false },
  );
  return result.upsertedCount;
}

/**
 * Seeds the demo groups, members, boards, posts and consultation log. Idempotent: every record has a stable id
 * and is only inserted when absent, so a second run (or a run after a partial one) adds nothing twice.
 */
export async function seedDemoGroups(connection: Connection, options: SeedDemoGroupsOptions = {}): Promise<{ inserted: number; skipped: boolean }> {
  const now = options.now ?? demoReferenceDate();
  const models = groupsModels(connection);
  await ensureGroupsIndexes(models);
  const { posts, comments, acknowledgements } = demoPosts(now);
  const counts = await Promise.all([
    upsertAll(models.Member, demoMembers(options.resources ?? [], now)),
    upsertAll(models.Group, demoGroups(now)),
    upsertAll(models.Post, posts),
    upsertAll(models.Comment, comments),
    upsertAll(models.Acknowledgement, acknowledgements),
    upsertAll(models.Consultation, demoConsultations(now, demoId("member", "okada-hanako"))),
  ]);
  const inserted = counts.reduce((sum, count) => sum + count, 0);
  return { inserted, skipped: inserted === 0 };
}
