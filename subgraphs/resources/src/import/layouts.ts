// The CSV layouts an import recognises by their header: the ministry's care-service files, the Digital Agency's 医療機関一覧 and 介護サービス事業所一覧 (and a prefecture's variant), and a city's own layout from a mapping file.
import { normalizeJapanese } from "@tsunagu/service-kit";
import type { TaxonomyCategory } from "../taxonomy";

/** What a column can hold; every layout maps some of its columns onto these. */
export const SOURCE_FIELDS = [
  "municipalityCode",
  "prefecture",
  "city",
  "name",
  "kana",
  "careService",
  "medicalType",
  "category",
  "postalCode",
  "address",
  "building",
  "latitude",
  "longitude",
  "phone",
  "fax",
  "email",
  "corporateNumber",
  "operatorName",
  "careOfficeNumber",
  "medicalInstitutionCode",
  "officialId",
  "days",
  "daysNote",
  "opens",
  "closes",
  "hoursNote",
  "afterHours",
  "departments",
  "capacity",
  "beds",
  "status",
  "designatedOn",
  "url",
  "remarks",
  "createdOn",
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/** How a layout's rows get their category: the ministry's service type, the medical-institution type, a column, or one fixed category. */
export type CategoryRule =
  | { from: "careService" }
  | { from: "medicalType" }
  | { from: "column"; values: Readonly<Record<string, string>>; fallback?: string }
  | { from: "fixed"; category: string };

/** A layout: which headers hold which field (first match wins), which must be there to recognise it, and how rows are keyed. */
export interface Layout {
  /** Stable id, also the prefix of the records' source keys (`care`, `medical`, or a mapping's id). */
  id: string;
  title: string;
  columns: Readonly<Partial<Record<SourceField, readonly string[]>>>;
  /** Fields whose column must be in the header for the layout to be recognised. */
  signature: readonly SourceField[];
  category: CategoryRule;
  /** Values when the file has no such column (a city's own list rarely repeats its prefecture and city). */
  defaults?: Readonly<Partial<Record<"prefecture" | "city" | "municipalityCode", string>>>;
  /** Categories a mapping file adds to the taxonomy when missing (AED, evacuation buildings, ...). */
  newCategories?: readonly TaxonomyCategory[];
  /** A care-service file lists days including 祝日 explicitly: days given without 祝日 mean closed on public holidays. */
  holidaysListedExplicitly?: boolean;
}

const MUNICIPALITY_CODE = ["都道府県コード又は市区町村コード", "都道府県コード又は市町村コード", "市区町村コード", "市町村コード"];

/** 介護サービス情報公表システム オープンデータ (jigyosho_<code>.csv). */
export const CARE_SERVICE_LAYOUT: Layout = {
  id: "care",
  title: "介護サービス情報公表システム オープンデータ",
  columns: {
    municipalityCode: MUNICIPALITY_CODE,
    prefecture: ["都道府県名"],
    city: ["市区町村名"],
    name: ["事業所名"],
    kana: ["事業所名カナ"],
    careService: ["サービスの種類"],
    address: ["住所"],
    building: ["方書（ビル名等）", "方書"],
    latitude: ["緯度"],
    longitude: ["経度"],
    phone: ["電話番号"],
    fax: ["FAX番号"],
    corporateNumber: ["法人番号"],
    operatorName: ["法人の名称"],
    careOfficeNumber: ["事業所番号"],
    days: ["利用可能曜日"],
    daysNote: ["利用可能曜日特記事項"],
    capacity: ["定員"],
    url: ["URL"],
    remarks: ["備考"],
  },
  signature: ["name", "careService", "careOfficeNumber"],
  category: { from: "careService" },
  holidaysListedExplicitly: true,
};

/** 推奨データセット 介護サービス事業所一覧 (the Digital Agency's template). */
export const CARE_SERVICE_DATASET_LAYOUT: Layout = {
  ...CARE_SERVICE_LAYOUT,
  id: "care",
  title: "推奨データセット 介護サービス事業所一覧",
  columns: {
    ...CARE_SERVICE_LAYOUT.columns,
    name: ["介護サービス事業所名称"],
    kana: ["介護サービス事業所名称_カナ"],
    careService: ["実施サービス"],
  },
  holidaysListedExplicitly: false,
};

/** 推奨データセット 医療機関一覧: the official template (住所, 市区町村名, 法人の名称) and a prefecture's variant (所在地, 市町村, 開設者氏名). */
export const MEDICAL_INSTITUTION_LAYOUT: Layout = {
  id: "medical",
  title: "推奨データセット 医療機関一覧",
  columns: {
    municipalityCode: MUNICIPALITY_CODE,
    prefecture: ["都道府県名"],
    city: ["市区町村名", "市町村"],
    name: ["名称"],
    kana: ["名称_カナ"],
    medicalType: ["医療機関の種類"],
    postalCode: ["郵便番号"],
    address: ["住所", "所在地"],
    building: ["方書"],
    latitude: ["緯度"],
    longitude: ["経度"],
    phone: ["電話番号"],
    fax: ["FAX番号"],
    corporateNumber: ["法人番号"],
    operatorName: ["法人の名称", "開設者氏名"],
    designatedOn: ["指定年月日"],
    medicalInstitutionCode: ["医療機関コード"],
    days: ["診療曜日"],
    opens: ["診療開始時間"],
    closes: ["診療終了時間"],
    hoursNote: ["診療日時特記事項"],
    afterHours: ["時間外における対応"],
    departments: ["診療科目"],
    beds: ["病床数"],
    status: ["現存・休止"],
    url: ["URL"],
    remarks: ["備考"],
    createdOn: ["データ作成日"],
  },
  signature: ["name", "medicalType", "address"],
  category: { from: "medicalType" },
};

/** The layouts recognised without a mapping file, most specific first. */
export const BUILT_IN_LAYOUTS: readonly Layout[] = [CARE_SERVICE_LAYOUT, CARE_SERVICE_DATASET_LAYOUT, MEDICAL_INSTITUTION_LAYOUT];

/** The header is not one of the layouts, or lacks columns the import needs; `missing` names them. */
export class OpenDataHeaderError extends Error {
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super(message);
    this.name = "OpenDataHeaderError";
  }
}

/** A header cell compared without BOM, width, case or spacing differences. */
export function headerKey(header: string): string {
  return normalizeJapanese(header.replace(/^\uFEFF/, "")).replace(/\s/g, "");
}

/** Where each field's column sits in a header, and its header text (as the file wrote it) for messages. */
export type ColumnIndex = ReadonlyMap<SourceField, { position: number; header: string }>;

/** The columns of `layout` found in `header`, and the signature fields it lacks. */
export function indexColumns(header: readonly string[], layout: Layout): { index: ColumnIndex; missing: string[] } {
  const positions = new Map(header.map((name, position) => [headerKey(name), position]));
  const index = new Map<SourceField, { position: number; header: string }>();
  for (const [field, candidates] of Object.entries(layout.columns) as [SourceField, readonly string[]][]) {
    for (const candidate of candidates) {
      const position = positions.get(headerKey(candidate));
      if (position !== undefined) {
        index.set(field, { position, header: header[position] });
        break;
      }
    }
  }
  const missing = layout.signature.filter((field) => !index.has(field)).map((field) => layout.columns[field]?.[0] ?? field);
  return { index, missing };
}

/** A recognised header. */
export interface DetectedLayout {
  layout: Layout;
  index: ColumnIndex;
}

/**
 * The layout of a header: `given` when a mapping file was named (its signature columns must be there), otherwise the
 * first built-in layout whose signature columns are all present. Throws `OpenDataHeaderError` naming the missing
 * columns of the closest layout.
 */
export function detectLayout(header: readonly string[], given?: Layout): DetectedLayout {
  if (header.some((name) => name.includes("\uFFFD"))) {
    throw new OpenDataHeaderError("ヘッダーを文字コードUTF-8またはShift_JISとして読めません (unreadable encoding)", []);
  }
  const candidates = given ? [given] : BUILT_IN_LAYOUTS;
  const tried = candidates.map((layout) => ({ layout, ...indexColumns(header, layout) }));
  const found = tried.find((entry) => entry.missing.length === 0);
  if (found) return { layout: found.layout, index: found.index };
  const closest = tried.reduce((best, entry) => (entry.missing.length < best.missing.length ? entry : best));
  throw new OpenDataHeaderError(
    `ヘッダーが既知の形式ではありません。${closest.layout.title}として足りない列: ${closest.missing.join(", ")}` +
      ` (unknown layout; missing columns${given ? "" : "; a city's own layout needs a mapping file, --mapping"})`,
    closest.missing,
  );
}
