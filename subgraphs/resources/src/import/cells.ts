// Reading single cells of official open data: only unambiguous normalisation (widths, dashes in phones, 0 = unknown, era dates, addresses without repeated prefecture, 郡, city or building).
import { normalizeJapanese } from "@tsunagu/service-kit";

/** Cell text with full-width letters and digits made ASCII and whitespace folded; "" for an absent column. */
export function clean(cell: string | undefined): string {
  return (cell ?? "").normalize("NFKC").replace(/\s+/g, " ").trim();
}

export function optional(value: string): string | undefined {
  return value === "" ? undefined : value;
}

/** Dashes people type in phone numbers (ー, ｰ, －, ―, ‐, −) as "-". */
export function phoneText(value: string): string {
  return value.replace(/[ー―‐−–—ｰ－]/g, "-");
}

/** An identifier without spaces or hyphens, letters upper-case (事業所番号 `01B0100011`). */
export function identifierText(value: string): string {
  return value.replace(/[\s\-ー―‐−]/g, "").toUpperCase();
}

const ERA_START_YEARS: Readonly<Record<string, number>> = {
  明治: 1868,
  明: 1868,
  m: 1868,
  大正: 1912,
  大: 1912,
  t: 1912,
  昭和: 1926,
  昭: 1926,
  s: 1926,
  平成: 1989,
  平: 1989,
  h: 1989,
  令和: 2019,
  令: 2019,
  r: 2019,
};

/**
 * An ISO date from the date forms of official data: 「昭32. 7. 1」「平29. 7. 1」「令和2年4月1日」「令和元年5月1日」
 * 「R2.4.1」「2022-11-23」「2022/11/23」「２０２２年１１月２３日」; undefined when it is not a real date.
 */
export function parseJapaneseDate(text: string): string | undefined {
  const normalized = normalizeJapanese(text).replace(/\s/g, "");
  const western = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(normalized);
  const era = /^(明治|大正|昭和|平成|令和|[明大昭平令mtshr])(元|\d{1,2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(normalized);
  const parts = western
    ? [western[1], western[2], western[3]].map(Number)
    : era && [ERA_START_YEARS[era[1]] + (era[2] === "元" ? 1 : Number(era[2])) - 1, Number(era[3]), Number(era[4])];
  if (!parts) return undefined;
  const [year, month, day] = parts;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

/** The regional health bureaus' abbreviations of 診療科目 that we expand; others are kept as written. */
const DEPARTMENT_ABBREVIATIONS: Readonly<Record<string, string>> = {
  内: "内科",
  外: "外科",
  整外: "整形外科",
  形外: "形成外科",
  脳外: "脳神経外科",
  心外: "心臓血管外科",
  呼外: "呼吸器外科",
  呼内: "呼吸器内科",
  神内: "神経内科",
  脳内: "脳神経内科",
  呼: "呼吸器科",
  消: "消化器科",
  循: "循環器科",
  小: "小児科",
  皮: "皮膚科",
  眼: "眼科",
  耳い: "耳鼻いんこう科",
  産婦: "産婦人科",
  産: "産科",
  婦: "婦人科",
  精: "精神科",
  ひ: "泌尿器科",
  放: "放射線科",
  麻: "麻酔科",
  リハ: "リハビリテーション科",
  病理: "病理診断科",
  救命: "救命救急科",
  アレ: "アレルギー科",
  リウ: "リウマチ科",
  歯: "歯科",
  矯歯: "矯正歯科",
  小歯: "小児歯科",
  歯外: "歯科口腔外科",
};

/** 診療科目 split on 「;」 (or 「；」「、」), abbreviations expanded, duplicates dropped. */
export function parseDepartments(text: string): string[] {
  const names = text
    .normalize("NFKC")
    .split(/[;、]/)
    .map((part) => part.trim())
    .filter(Boolean);
  return [...new Set(names.map((name) => DEPARTMENT_ABBREVIATIONS[name] ?? name))];
}

/** The 47 prefectures in 都道府県コード order (01 北海道 ... 47 沖縄県). */
export const PREFECTURES = [
  "北海道",
  "青森県",
  "岩手県",
  "宮城県",
  "秋田県",
  "山形県",
  "福島県",
  "茨城県",
  "栃木県",
  "群馬県",
  "埼玉県",
  "千葉県",
  "東京都",
  "神奈川県",
  "新潟県",
  "富山県",
  "石川県",
  "福井県",
  "山梨県",
  "長野県",
  "岐阜県",
  "静岡県",
  "愛知県",
  "三重県",
  "滋賀県",
  "京都府",
  "大阪府",
  "兵庫県",
  "奈良県",
  "和歌山県",
  "鳥取県",
  "島根県",
  "岡山県",
  "広島県",
  "山口県",
  "徳島県",
  "香川県",
  "愛媛県",
  "高知県",
  "福岡県",
  "佐賀県",
  "長崎県",
  "熊本県",
  "大分県",
  "宮崎県",
  "鹿児島県",
  "沖縄県",
] as const;

/** The 2-digit 都道府県コード of a prefecture's name ("石川県" → "17"). */
export function prefectureCodeOf(name: string): string | undefined {
  const index = PREFECTURES.indexOf(name as (typeof PREFECTURES)[number]);
  return index < 0 ? undefined : String(index + 1).padStart(2, "0");
}

const PREFECTURE_PREFIX = /^(東京都|北海道|(?:京都|大阪)府|[^\s\d]{2,3}県)/;
const COUNTY_PREFIX = /^[^\s\d市区町村]{1,6}郡/;

/** The parts of an address cell once what other columns already say is removed. */
export interface SplitAddress {
  postalCode?: string;
  prefecture?: string;
  city?: string;
  street?: string;
}

/**
 * Postal code, prefecture, city and street from a full address: a leading 〒 code, the prefecture, a 郡 and the city
 * are taken off when they lead (the known `prefecture` and `city` first, else read from the text), and a building
 * name that the 方書 column already holds is not repeated at the end.
 */
export function splitAddress(full: string, known: { prefecture?: string; city?: string; building?: string }): SplitAddress {
  let rest = full.replace(/\s+/g, " ").trim();
  const postal = /^〒?\s*(\d{3}-?\d{4})\s*/.exec(rest);
  if (postal) rest = rest.slice(postal[0].length);
  let prefecture = known.prefecture;
  if (prefecture && rest.startsWith(prefecture)) rest = rest.slice(prefecture.length);
  else if (!prefecture) {
    prefecture = PREFECTURE_PREFIX.exec(rest)?.[1];
    if (prefecture && PREFECTURES.includes(prefecture as (typeof PREFECTURES)[number])) rest = rest.slice(prefecture.length);
    else prefecture = undefined;
  }
  let city = known.city;
  const county = COUNTY_PREFIX.exec(rest)?.[0];
  if (county && city && rest.slice(county.length).startsWith(city)) rest = rest.slice(county.length);
  if (city && rest.startsWith(city)) rest = rest.slice(city.length);
  else if (!city) {
    // 「札幌市中央区」「小松市」「松前郡福島町」: a 郡 is dropped, a 政令市's 区 stays with its city.
    const match = /^(?:[^\s\d市区町村]{1,6}郡)?([^\s\d]{1,5}?市(?:[^\s\d]{1,4}?区)?|[^\s\d]{1,4}?[区町村])/.exec(rest);
    if (match) {
      city = match[1];
      rest = rest.slice(match[0].length);
    }
  }
  rest = rest.trim();
  const building = known.building?.replace(/\s/g, "");
  if (building) {
    const compact = rest.replace(/\s/g, "");
    const at = compact.lastIndexOf(building);
    if (at > 0 && at + building.length === compact.length) {
      // Cut the same number of non-space characters off the spaced text.
      let kept = 0;
      let cut = rest.length;
      for (let index = 0; index < rest.length; index += 1) {
        if (kept === at) {
          cut = index;
          break;
        }
        if (!/\s/.test(rest[index])) kept += 1;
      }
      rest = rest.slice(0, cut).trim();
    }
  }
  return { postalCode: postal?.[1], prefecture, city, street: optional(rest) };
}

/** An address compared without width, spacing, 丁目/番地/号 wording or a trailing 「内」: for telling places apart. */
export function addressKey(parts: { prefecture?: string; city?: string; street?: string }): string {
  const street = normalizeJapanese(parts.street ?? "")
    .replace(/\s/g, "")
    .replace(/(\d+)(丁目|番地の?|番の?|号|の)(?=\d)/g, "$1-")
    .replace(/(\d+)(丁目|番地|番|号)$/, "$1")
    .replace(/-+/g, "-");
  return `${parts.prefecture ?? ""}${parts.city ?? ""}${street}`;
}
