// The default category taxonomy of regional resources as data, and the official open-data type codes mapped onto it.
import { z } from "zod";
import { normalizeJapanese } from "@tsunagu/service-kit";
import { RESOURCE_KINDS } from "./domain";
import type { FieldError, ResourceKind } from "./domain";

/** A category as stored in the taxonomy collection; `parent` is null for a top-level group. */
export const taxonomyCategorySchema = z.object({
  code: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, "分類コードは英小文字・数字・ハイフンです (lower-case code)"),
  ja: z.string().trim().min(1).max(60),
  kana: z.string().trim().min(1).max(100),
  en: z.string().trim().min(1).max(100),
  parent: z.string().nullable(),
  kind: z.enum(RESOURCE_KINDS),
});
export type TaxonomyCategory = z.output<typeof taxonomyCategorySchema>;

/** code, Japanese label, its reading in katakana, English label, and a kind when it differs from its group's. */
type Row = [code: string, ja: string, kana: string, en: string, kind?: ResourceKind];

/** A top-level group and its categories. */
function group(kind: ResourceKind, [code, ja, kana, en]: Row, children: readonly Row[]): TaxonomyCategory[] {
  return [
    { code, ja, kana, en, parent: null, kind },
    ...children.map(([child, childJa, childKana, childEn, childKind]) => ({
      code: child,
      ja: childJa,
      kana: childKana,
      en: childEn,
      parent: code,
      kind: childKind ?? kind,
    })),
  ];
}

/** The categories a new installation starts with; a city adds its own to the collection without a release. */
export const DEFAULT_TAXONOMY: readonly TaxonomyCategory[] = [
  ...group(
    "FORMAL",
    ["medical", "医療機関", "イリョウキカン", "Medical institutions"],
    [
      ["hospital", "病院", "ビョウイン", "Hospital"],
      ["clinic", "診療所", "シンリョウジョ", "Clinic"],
      ["dental-clinic", "歯科診療所", "シカシンリョウジョ", "Dental clinic"],
      ["pharmacy", "薬局", "ヤッキョク", "Pharmacy"],
      ["visiting-nursing", "訪問看護ステーション", "ホウモンカンゴステーション", "Visiting nursing station"],
    ],
  ),
  ...group(
    "FORMAL",
    ["care", "介護サービス", "カイゴサービス", "Long-term care services"],
    [
      ["care-management", "居宅介護支援事業所", "キョタクカイゴシエンジギョウショ", "Care-management office"],
      ["home-help", "訪問介護", "ホウモンカイゴ", "Home help"],
      ["visiting-bathing", "訪問入浴介護", "ホウモンニュウヨクカイゴ", "Visiting bathing"],
      ["visiting-rehabilitation", "訪問リハビリテーション", "ホウモンリハビリテーション", "Visiting rehabilitation"],
      [
        "regular-visit",
        "定期巡回・随時対応型訪問介護看護",
        "テイキジュンカイ・ズイジタイオウガタホウモンカイゴカンゴ",
        "Regular and on-call home care and nursing",
      ],
      ["night-home-help", "夜間対応型訪問介護", "ヤカンタイオウガタホウモンカイゴ", "Night-time home help"],
      ["day-care", "通所介護（デイサービス）", "ツウショカイゴ", "Day care"],
      ["day-rehabilitation", "通所リハビリテーション（デイケア）", "ツウショリハビリテーション", "Day rehabilitation"],
      ["dementia-day-care", "認知症対応型通所介護", "ニンチショウタイオウガタツウショカイゴ", "Day care for people with dementia"],
      ["short-stay", "短期入所生活介護（ショートステイ）", "タンキニュウショセイカツカイゴ", "Short stay"],
      ["medical-short-stay", "短期入所療養介護", "タンキニュウショリョウヨウカイゴ", "Short stay with medical care"],
      ["small-multifunction", "小規模多機能型居宅介護", "ショウキボタキノウガタキョタクカイゴ", "Small-scale multifunctional home care"],
      [
        "nursing-small-multifunction",
        "看護小規模多機能型居宅介護",
        "カンゴショウキボタキノウガタキョタクカイゴ",
        "Small-scale multifunctional home care with nursing",
      ],
      ["group-home", "認知症対応型共同生活介護（グループホーム）", "ニンチショウタイオウガタキョウドウセイカツカイゴ", "Group home for people with dementia"],
      ["special-nursing-home", "介護老人福祉施設（特別養護老人ホーム）", "カイゴロウジンフクシシセツ", "Special nursing home"],
      ["geriatric-health-facility", "介護老人保健施設", "カイゴロウジンホケンシセツ", "Geriatric health services facility"],
      ["care-medical-institution", "介護医療院", "カイゴイリョウイン", "Integrated facility for medical and long-term care"],
      ["assisted-living", "特定施設（有料老人ホーム等）", "トクテイシセツ", "Assisted living (designated facilities)"],
      ["welfare-equipment", "福祉用具貸与・販売", "フクシヨウグタイヨ・ハンバイ", "Welfare equipment rental and sale"],
      ["other-care-facility", "その他の介護施設", "ソノタノカイゴシセツ", "Other care facilities"],
    ],
  ),
  ...group(
    "FORMAL",
    ["consultation", "相談窓口", "ソウダンマドグチ", "Consultation"],
    [
      ["community-support-center", "地域包括支援センター", "チイキホウカツシエンセンター", "Community general support centre"],
      [
        "home-care-coordination-center",
        "在宅医療・介護連携支援センター",
        "ザイタクイリョウ・カイゴレンケイシエンセンター",
        "Home medical and care coordination centre",
      ],
      ["consultation-desk", "その他の相談窓口", "ソノタノソウダンマドグチ", "Other consultation desk"],
      ["continence-consultation", "排泄ケア相談窓口", "ハイセツケアソウダンマドグチ", "Continence consultation point", "INFORMAL"],
    ],
  ),
  ...group(
    "INFORMAL",
    ["life-support", "生活支援サービス", "セイカツシエンサービス", "Daily-life support"],
    [
      ["meal-delivery", "配食サービス", "ハイショクサービス", "Meal delivery"],
      ["shopping-support", "買い物支援", "カイモノシエン", "Shopping support"],
      ["mobility-support", "移動支援（外出・通院）", "イドウシエン", "Mobility support"],
      ["housework-support", "家事援助・困りごと支援", "カジエンジョ・コマリゴトシエン", "Housework and small-task help"],
    ],
  ),
  ...group(
    "COMMUNITY",
    ["community", "地域の通いの場・活動", "チイキノカヨイノバ・カツドウ", "Community activities"],
    [
      ["salon", "地域サロン・通いの場", "チイキサロン・カヨイノバ", "Community salon and gathering place"],
      ["dementia-cafe", "認知症カフェ（オレンジカフェ）", "ニンチショウカフェ", "Dementia cafe"],
      ["watching-over", "見守りネットワーク", "ミマモリネットワーク", "Watching-over network"],
      ["volunteer-group", "ボランティア団体", "ボランティアダンタイ", "Volunteer group"],
      ["mutual-help", "住民の支え合い（地域のお宝）", "ジュウミンノササエアイ", "Neighbourhood mutual help"],
    ],
  ),
];

/** A service type of the health ministry's care-service open data (`jigyosho_<code>.csv`, column サービスの種類). */
export interface CareServiceType {
  code: string;
  name: string;
  aliases: readonly string[];
  category: string;
}

function service(code: string, name: string, category: string, aliases: readonly string[] = []): CareServiceType {
  return { code, name, category, aliases };
}

/**
 * The ministry's service codes (介護サービス情報公表システム) with their official names and the variants files use. A row
 * whose service matches none of them (by code, name or keyword) is imported under `UNKNOWN_CARE_CATEGORY` with a warning.
 */
export const CARE_SERVICE_TYPES: readonly CareServiceType[] = [
  service("110", "訪問介護", "home-help"),
  service("120", "訪問入浴介護", "visiting-bathing"),
  service("130", "訪問看護", "visiting-nursing"),
  service("140", "訪問リハビリテーション", "visiting-rehabilitation"),
  service("150", "通所介護", "day-care"),
  service("155", "療養通所介護", "day-care", ["指定療養通所介護", "通所介護（療養通所介護）", "地域密着型通所介護（療養通所介護）"]),
  service("160", "通所リハビリテーション", "day-rehabilitation"),
  service("170", "福祉用具貸与", "welfare-equipment"),
  service("210", "短期入所生活介護", "short-stay"),
  service("220", "短期入所療養介護（介護老人保健施設）", "medical-short-stay", ["短期入所療養介護（老健）"]),
  service("230", "短期入所療養介護（療養病床を有する病院等）", "medical-short-stay", ["短期入所療養介護（病院等）"]),
  service("320", "認知症対応型共同生活介護", "group-home"),
  service("331", "特定施設入居者生活介護（有料老人ホーム）", "assisted-living"),
  service("332", "特定施設入居者生活介護（軽費老人ホーム）", "assisted-living"),
  service("333", "特定施設入居者生活介護（養護老人ホーム）", "assisted-living"),
  service("334", "特定施設入居者生活介護（有料老人ホーム（サービス付き高齢者向け住宅））", "assisted-living", [
    "特定施設入居者生活介護（サービス付き高齢者向け住宅）",
  ]),
  service("335", "特定施設入居者生活介護（有料老人ホーム（外部サービス利用型））", "assisted-living", [
    "外部サービス利用型特定施設入居者生活介護（有料老人ホーム）",
  ]),
  service("336", "特定施設入居者生活介護（軽費老人ホーム（外部サービス利用型））", "assisted-living", [
    "外部サービス利用型特定施設入居者生活介護（軽費老人ホーム）",
  ]),
  service("337", "特定施設入居者生活介護（有料老人ホーム（サービス付き高齢者向け住宅（外部サービス利用型）））", "assisted-living", [
    "外部サービス利用型特定施設入居者生活介護（サービス付き高齢者向け住宅）",
  ]),
  service("338", "特定施設入居者生活介護（養護老人ホーム（外部サービス利用型））", "assisted-living"),
  service("361", "地域密着型特定施設入居者生活介護（有料老人ホーム）", "assisted-living"),
  service("362", "地域密着型特定施設入居者生活介護（軽費老人ホーム）", "assisted-living"),
  service("363", "地域密着型特定施設入居者生活介護（養護老人ホーム）", "assisted-living"),
  service("364", "地域密着型特定施設入居者生活介護（有料老人ホーム（サービス付き高齢者向け住宅））", "assisted-living", [
    "地域密着型特定施設入居者生活介護（サービス付き高齢者向け住宅）",
  ]),
  service("410", "特定福祉用具販売", "welfare-equipment"),
  service("430", "居宅介護支援", "care-management"),
  service("510", "介護老人福祉施設", "special-nursing-home", ["介護福祉施設サービス", "特別養護老人ホーム"]),
  service("520", "介護老人保健施設", "geriatric-health-facility", ["介護保健施設サービス"]),
  service("530", "介護療養型医療施設", "care-medical-institution"),
  service("540", "地域密着型介護老人福祉施設入所者生活介護", "special-nursing-home", ["地域密着型介護老人福祉施設"]),
  service("550", "介護医療院", "care-medical-institution", ["介護医療院サービス"]),
  service("551", "短期入所療養介護（介護医療院）", "medical-short-stay"),
  service("710", "夜間対応型訪問介護", "night-home-help"),
  service("720", "認知症対応型通所介護", "dementia-day-care"),
  service("730", "小規模多機能型居宅介護", "small-multifunction"),
  service("760", "定期巡回・随時対応型訪問介護看護", "regular-visit"),
  service("770", "看護小規模多機能型居宅介護", "nursing-small-multifunction", [
    "看護小規模多機能型居宅介護（複合型サービス）",
    "複合型サービス（看護小規模多機能型居宅介護）",
    "複合型サービス",
  ]),
  service("780", "地域密着型通所介護", "day-care"),
];

/** The category of a care service no code, name or keyword identifies: imported with a warning, never rejected. */
export const UNKNOWN_CARE_CATEGORY = "other-care-facility";
/** The category of a medical institution whose 医療機関の種類 is not one we know. */
export const UNKNOWN_MEDICAL_CATEGORY = "medical";

/**
 * Keywords of a service name, most specific first, for names no table lists exactly (a publisher's new wording):
 * 「（予防）」 or extra brackets do not change which service it is.
 */
const CARE_SERVICE_KEYWORDS: ReadonlyArray<[RegExp, string]> = [
  [/看護小規模多機能|複合型サービス/, "770"],
  [/療養通所/, "155"],
  [/地域密着型.*特定施設.*(サービス付き|サ高住)/, "364"],
  [/地域密着型.*特定施設.*軽費/, "362"],
  [/地域密着型.*特定施設.*養護/, "363"],
  [/地域密着型.*特定施設/, "361"],
  [/特定施設.*(サービス付き|サ高住).*外部/, "337"],
  [/特定施設.*軽費.*外部/, "336"],
  [/特定施設.*養護.*外部/, "338"],
  [/特定施設.*外部/, "335"],
  [/特定施設.*(サービス付き|サ高住)/, "334"],
  [/特定施設.*軽費/, "332"],
  [/特定施設.*養護/, "333"],
  [/特定施設/, "331"],
  [/地域密着型.*(介護老人福祉|特別養護)/, "540"],
  [/短期入所療養.*介護医療院/, "551"],
  [/短期入所療養.*(老人保健|老健)/, "220"],
  [/短期入所療養/, "230"],
  [/短期入所生活|ショートステイ/, "210"],
  [/定期巡回/, "760"],
  [/夜間対応型訪問介護/, "710"],
  [/認知症対応型通所/, "720"],
  [/認知症対応型共同生活|グループホーム/, "320"],
  [/小規模多機能/, "730"],
  [/地域密着型通所/, "780"],
  [/通所リハ|デイケア/, "160"],
  [/通所介護|デイサービス/, "150"],
  [/訪問入浴/, "120"],
  [/訪問看護/, "130"],
  [/訪問リハ/, "140"],
  [/訪問介護|ホームヘルプ/, "110"],
  [/福祉用具販売/, "410"],
  [/福祉用具/, "170"],
  [/居宅介護支援|ケアプラン/, "430"],
  [/介護医療院/, "550"],
  [/介護療養型医療施設/, "530"],
  [/介護老人保健施設|老健/, "520"],
  [/介護老人福祉施設|特別養護老人ホーム/, "510"],
];

/** A value of 医療機関の種類 in the Digital Agency's medical-institution dataset. */
export interface MedicalInstitutionType {
  name: string;
  aliases: readonly string[];
  category: string;
  /** 点数表番号, the third digit of a 10-digit 医療機関コード: 1 医科, 3 歯科, 4 調剤. */
  scoreTable: "1" | "3" | "4";
}

export const MEDICAL_INSTITUTION_TYPES: readonly MedicalInstitutionType[] = [
  { name: "病院", aliases: [], category: "hospital", scoreTable: "1" },
  {
    name: "診療所",
    aliases: ["一般診療所", "医科診療所", "有床診療所", "無床診療所"],
    category: "clinic",
    scoreTable: "1",
  },
  { name: "歯科診療所", aliases: ["歯科"], category: "dental-clinic", scoreTable: "3" },
  { name: "薬局", aliases: ["保険薬局", "調剤薬局"], category: "pharmacy", scoreTable: "4" },
];

function sameName(a: string, b: string): boolean {
  return normalizeJapanese(a).replace(/\s/g, "") === normalizeJapanese(b).replace(/\s/g, "");
}

function nameKey(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[\s・]/g, "")
    .replace(/^(指定|介護予防)/, "");
}

const CARE_SERVICES_BY_NAME = new Map(CARE_SERVICE_TYPES.flatMap((type) => [type.name, ...type.aliases].map((name) => [nameKey(name), type] as const)));

/**
 * The care service type named by サービスの種類: a leading code ("130", "130_訪問看護"), or the official name or a
 * known variant (width, brackets, 「指定」 ignored); undefined otherwise (see `inferCareServiceType`).
 */
export function findCareServiceType(text: string): CareServiceType | undefined {
  const code = /^\s*(\d{3})(?:\D|$)/.exec(normalizeJapanese(text))?.[1];
  if (code) return CARE_SERVICE_TYPES.find((type) => type.code === code);
  const key = nameKey(text);
  return key === "" ? undefined : CARE_SERVICES_BY_NAME.get(key);
}

/** The service type a name no table lists most likely means, by the keywords of its name: an import says it inferred it. */
export function inferCareServiceType(text: string): CareServiceType | undefined {
  const key = nameKey(text);
  const keyword = key === "" ? undefined : CARE_SERVICE_KEYWORDS.find(([pattern]) => pattern.test(key))?.[1];
  return CARE_SERVICE_TYPES.find((type) => type.code === keyword);
}

/** The medical institution type named by 医療機関の種類 (full-width and spacing variants tolerated). */
export function findMedicalInstitutionType(text: string): MedicalInstitutionType | undefined {
  return MEDICAL_INSTITUTION_TYPES.find((type) => [type.name, ...type.aliases].some((name) => sameName(name, text)));
}

/** The texts a category adds to its resources' search keys, so 「ほうもんかんご」 also finds stations named otherwise. */
export function categorySearchTerms(entry: TaxonomyCategory): string[] {
  return [entry.ja, entry.kana, entry.en];
}

/** Problems with a resource's category against a taxonomy: unknown code, or a kind that differs from the category's. */
export function checkResourceCategory(resource: { kind: ResourceKind; category: string }, taxonomy: readonly TaxonomyCategory[]): FieldError[] {
  const entry = taxonomy.find((candidate) => candidate.code === resource.category);
  if (!entry) return [{ field: "category", reason: `未登録の分類です (unknown category): ${resource.category}` }];
  if (entry.kind !== resource.kind) {
    return [{ field: "kind", reason: `分類 ${entry.code} の種別は ${entry.kind} です (category kind is ${entry.kind})` }];
  }
  return [];
}

/** Problems with a whole taxonomy (after a city edits it): duplicate codes, unknown parents, parent cycles. */
export function taxonomyProblems(taxonomy: readonly TaxonomyCategory[]): string[] {
  const byCode = new Map<string, TaxonomyCategory>();
  const problems: string[] = [];
  for (const entry of taxonomy) {
    if (byCode.has(entry.code)) problems.push(`duplicate code ${entry.code}`);
    byCode.set(entry.code, entry);
  }
  for (const entry of taxonomy) {
    if (entry.parent !== null && !byCode.has(entry.parent)) {
      problems.push(`${entry.code}: unknown parent ${entry.parent}`);
    }
    const seen = new Set<string>([entry.code]);
    for (let parent = entry.parent; parent !== null; parent = byCode.get(parent)?.parent ?? null) {
      if (seen.has(parent)) {
        problems.push(`${entry.code}: parent cycle through ${parent}`);
        break;
      }
      seen.add(parent);
    }
  }
  return problems;
}
