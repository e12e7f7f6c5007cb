// Reads the official open-data CSVs (care services, medical institutions) into validated resource inputs, row by row.
import { TextDecoder } from "node:util";
import { parse } from "csv-parse";
import { normalizeJapanese } from "@tsunagu/service-kit";
import { validateResourceInput } from "./domain";
import type { FieldError, ResourceInput, ResourceInputDraft } from "./domain";
import { parseOpenDataHours } from "./opening-hours";
import { DEFAULT_TAXONOMY, findCareServiceType, findMedicalInstitutionType } from "./taxonomy";
import type { TaxonomyCategory } from "./taxonomy";

/** CARE_SERVICES: 介護サービス情報公表システム オープンデータ; MEDICAL_INSTITUTIONS: 推奨データセット 医療機関一覧. */
export type OpenDataLayout = "CARE_SERVICES" | "MEDICAL_INSTITUTIONS";

/** A column we read: its official header first, then accepted variants; optional columns may be absent. */
interface ColumnSpec {
  headers: readonly string[];
  required: boolean;
}

function column(required: boolean, ...headers: string[]): ColumnSpec {
  return { headers, required };
}

const MUNICIPALITY_CODE = column(false, "都道府県コード又は市区町村コード", "都道府県コード又は市町村コード");

const CARE_COLUMNS = {
  municipalityCode: MUNICIPALITY_CODE,
  prefecture: column(true, "都道府県名"),
  city: column(true, "市区町村名"),
  name: column(true, "事業所名"),
  kana: column(false, "事業所名カナ"),
  service: column(true, "サービスの種類"),
  address: column(true, "住所"),
  building: column(false, "方書（ビル名等）", "方書"),
  latitude: column(false, "緯度"),
  longitude: column(false, "経度"),
  phone: column(false, "電話番号"),
  fax: column(false, "FAX番号"),
  corporateNumber: column(false, "法人番号"),
  operatorName: column(false, "法人の名称"),
  officeNumber: column(true, "事業所番号"),
  days: column(false, "利用可能曜日"),
  daysNote: column(false, "利用可能曜日特記事項"),
  capacity: column(false, "定員"),
  url: column(false, "URL"),
  remarks: column(false, "備考"),
} as const;

const MEDICAL_COLUMNS = {
  municipalityCode: MUNICIPALITY_CODE,
  prefecture: column(true, "都道府県名"),
  city: column(true, "市町村", "市区町村名"),
  name: column(true, "名称"),
  kana: column(false, "名称_カナ"),
  type: column(true, "医療機関の種類"),
  postalCode: column(false, "郵便番号"),
  address: column(true, "所在地"),
  building: column(false, "方書"),
  latitude: column(false, "緯度"),
  longitude: column(false, "経度"),
  phone: column(false, "電話番号"),
  fax: column(false, "FAX番号"),
  corporateNumber: column(false, "法人番号"),
  operatorName: column(false, "開設者氏名"),
  designatedOn: column(false, "指定年月日"),
  code: column(true, "医療機関コード"),
  days: column(false, "診療曜日"),
  opens: column(false, "診療開始時間"),
  closes: column(false, "診療終了時間"),
  hoursNote: column(false, "診療日時特記事項"),
  afterHours: column(false, "時間外における対応"),
  departments: column(false, "診療科目"),
  beds: column(false, "病床数"),
  status: column(false, "現存・休止"),
  url: column(false, "URL"),
  remarks: column(false, "備考"),
  createdOn: column(false, "データ作成日"),
} as const;

type CareColumn = keyof typeof CARE_COLUMNS;
type MedicalColumn = keyof typeof MEDICAL_COLUMNS;

/** The name of each layout's source, for messages and provenance. */
export const OPEN_DATA_LAYOUT_TITLES: Readonly<Record<OpenDataLayout, string>> = {
  CARE_SERVICES: "介護サービス情報公表システム オープンデータ",
  MEDICAL_INSTITUTIONS: "推奨データセット 医療機関一覧",
};

/** The header is not one of the official layouts, or lacks columns the import needs; `missing` names them. */
export class OpenDataHeaderError extends Error {
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super(message);
    this.name = "OpenDataHeaderError";
  }
}

/** The file cannot be read from `line` on (an unclosed quote, bytes that are neither UTF-8 nor Shift_JIS). */
export class OpenDataParseError extends Error {
  constructor(
    readonly line: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${line}行目以降を読み取れません (cannot read from line ${line}): ${reason}`, { cause });
    this.name = "OpenDataParseError";
  }
}

function headerKey(header: string): string {
  return normalizeJapanese(header.replace(/^\uFEFF/, "")).replace(/\s/g, "");
}

/** Where each read column sits in a header (-1 when an optional column is absent). */
type ColumnIndex<Column extends string> = Readonly<Record<Column, number>>;

function indexColumns<Column extends string>(
  header: readonly string[],
  columns: Readonly<Record<Column, ColumnSpec>>,
): { index: ColumnIndex<Column>; missing: string[] } {
  const positions = new Map(header.map((name, position) => [headerKey(name), position]));
  const index = {} as Record<Column, number>;
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(columns) as [Column, ColumnSpec][]) {
    const position = spec.headers
      .map((candidate) => positions.get(headerKey(candidate)))
      .find((found) => found !== undefined);
    index[name] = position ?? -1;
    if (position === undefined && spec.required) missing.push(spec.headers[0]);
  }
  return { index, missing };
}

type DetectedLayout =
  | { layout: "CARE_SERVICES"; index: ColumnIndex<CareColumn> }
  | { layout: "MEDICAL_INSTITUTIONS"; index: ColumnIndex<MedicalColumn> };

function detect(header: readonly string[]): DetectedLayout {
  if (header.some((name) => name.includes("\uFFFD"))) {
    throw new OpenDataHeaderError("ヘッダーを文字コードUTF-8またはShift_JISとして読めません (unreadable encoding)", []);
  }
  const care = indexColumns(header, CARE_COLUMNS);
  const medical = indexColumns(header, MEDICAL_COLUMNS);
  if (care.missing.length === 0) return { layout: "CARE_SERVICES", index: care.index };
  if (medical.missing.length === 0) return { layout: "MEDICAL_INSTITUTIONS", index: medical.index };
  const [missing, title] =
    medical.missing.length < care.missing.length
      ? [medical.missing, OPEN_DATA_LAYOUT_TITLES.MEDICAL_INSTITUTIONS]
      : [care.missing, OPEN_DATA_LAYOUT_TITLES.CARE_SERVICES];
  throw new OpenDataHeaderError(
    `ヘッダーが既知の形式ではありません。${title}として足りない列: ${missing.join(", ")} (unknown layout; missing columns)`,
    missing,
  );
}

/** Which official layout a header row is; throws `OpenDataHeaderError` naming the missing columns otherwise. */
export function detectOpenDataLayout(header: readonly string[]): OpenDataLayout {
  return detect(header).layout;
}

const ERA_START_YEARS: Readonly<Record<string, number>> = {
  明治: 1868, 明: 1868, m: 1868,
  大正: 1912, 大: 1912, t: 1912,
  昭和: 1926, 昭: 1926, s: 1926,
  平成: 1989, 平: 1989, h: 1989,
  令和: 2019, 令: 2019, r: 2019,
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
  アレ: "アレルギー科",
  リウ: "リウマチ科",
  歯: "歯科",
  矯歯: "矯正歯科",
  小歯: "小児歯科",
  歯外: "歯科口腔外科",
};

/** 診療科目 split on 「;」 (or 「；」「、」), abbreviations expanded, duplicates dropped. */
export function parseDepartments(text: string): string[] {
  const names = text.normalize("NFKC").split(/[;、]/).map((part) => part.trim()).filter(Boolean);
  return [...new Set(names.map((name) => DEPARTMENT_ABBREVIATIONS[name] ?? name))];
}

/** The resource key an import upserts on, as a filter on stored paths; a care office is one record per service. */
export type UpsertKey = Readonly<Record<string, string>>;

/** The upsert key of a resource: 事業所番号 with the service code, or 医療機関コード; undefined without either. */
export function upsertKeyOf(resource: ResourceInput): UpsertKey | undefined {
  const { careOfficeNumber, careServiceCode, medicalInstitutionCode } = resource.identifiers;
  if (careOfficeNumber && careServiceCode) {
    return { "identifiers.careOfficeNumber": careOfficeNumber, "identifiers.careServiceCode": careServiceCode };
  }
  return medicalInstitutionCode ? { "identifiers.medicalInstitutionCode": medicalInstitutionCode } : undefined;
}

/** One data row: the resource to upsert (with what could not be read but did not block it), or why it was rejected. */
export type OpenDataRow =
  | { line: number; resource: ResourceInput; upsertKey: UpsertKey; warnings: FieldError[] }
  | { line: number; errors: FieldError[] };

/** A row mapped to a draft, before validation; `errors` are problems found while reading the cells. */
interface MappedRow {
  draft: Omit<ResourceInputDraft, "kind" | "category"> & Partial<Pick<ResourceInputDraft, "kind" | "category">>;
  errors: FieldError[];
  warnings: FieldError[];
  /** Draft field paths (longest first wins) to the column a person should fix. */
  columns: Readonly<Record<string, string>>;
  /** The column holding the identifier the row is upserted on. */
  keyColumn: string;
}

/** Reads one column of the current row as cleaned text. */
type CellReader<Column extends string> = (column: Column) => string;

/** Cell text with full-width letters and digits made ASCII and whitespace folded; "" for an absent column. */
function clean(cell: string | undefined): string {
  return (cell ?? "").normalize("NFKC").replace(/\s+/g, " ").trim();
}

function optional(value: string): string | undefined {
  return value === "" ? undefined : value;
}

function digitsOf(value: string): string | undefined {
  return optional(value.replace(/[\s-]/g, ""));
}

/** Postal code and street from a full address, dropping a leading 〒, prefecture and city when they repeat. */
function splitAddress(full: string, prefecture: string, city: string): { postalCode?: string; street?: string } {
  let rest = full;
  const postal = /^〒?\s*(\d{3}-?\d{4})\s*/.exec(rest);
  if (postal) rest = rest.slice(postal[0].length);
  if (prefecture && rest.startsWith(prefecture)) rest = rest.slice(prefecture.length);
  if (city && rest.startsWith(city)) rest = rest.slice(city.length);
  return { postalCode: postal?.[1], street: optional(rest.trim()) };
}

/** Coordinates from 緯度/経度: empty or 0 on both means no location; one without the other is an error. */
function readLocation(
  latitudeText: string,
  longitudeText: string,
  columns: { latitude: string; longitude: string },
): { location?: { latitude: number; longitude: number }; errors: FieldError[] } {
  const toNumber = (text: string) => (text === "" ? 0 : Number(text));
  const latitude = toNumber(latitudeText);
  const longitude = toNumber(longitudeText);
  const errors: FieldError[] = [];
  for (const [value, text, field] of [
    [latitude, latitudeText, columns.latitude],
    [longitude, longitudeText, columns.longitude],
  ] as const) {
    if (Number.isNaN(value)) errors.push({ field, reason: `数値ではありません (not a number): ${text}` });
  }
  if (errors.length > 0 || (latitude === 0 && longitude === 0)) return { errors };
  if (latitude === 0 || longitude === 0) {
    const field = latitude === 0 ? columns.latitude : columns.longitude;
    return { errors: [{ field, reason: "緯度と経度の片方だけがあります (only one of latitude and longitude)" }] };
  }
  return { location: { latitude, longitude }, errors };
}

/** A count such as 定員 or 病床数 (「20」「２０人」「19床」); undefined when empty, an error when not a whole number. */
function readCount(text: string, field: string, errors: FieldError[]): number | undefined {
  if (text === "") return undefined;
  const match = /^(\d+)\s*[人名床]?$/.exec(text);
  if (!match) errors.push({ field, reason: `整数ではありません (not a whole number): ${text}` });
  return match ? Number(match[1]) : undefined;
}

/** A URL with its scheme: official data often omits "http://". */
function readUrl(text: string): string | undefined {
  if (text === "") return undefined;
  return /^[\w-]+(\.[\w-]+)+(\/\S*)?$/.test(text) ? `http://${text}` : text;
}

function kindOf(category: string | undefined, taxonomy: readonly TaxonomyCategory[]) {
  return taxonomy.find((entry) => entry.code === category)?.kind;
}

function mapCareServiceRow(cell: CellReader<CareColumn>, taxonomy: readonly TaxonomyCategory[]): MappedRow {
  const columnName = (name: CareColumn) => CARE_COLUMNS[name].headers[0];
  const errors: FieldError[] = [];
  const service = findCareServiceType(cell("service"));
  if (!service) {
    const reason = `未対応のサービスの種類です (unsupported service type): ${cell("service")}`;
    errors.push({ field: columnName("service"), reason });
  }
  const prefecture = cell("prefecture");
  const city = cell("city");
  const { location, errors: locationErrors } = readLocation(cell("latitude"), cell("longitude"), {
    latitude: columnName("latitude"),
    longitude: columnName("longitude"),
  });
  errors.push(...locationErrors);
  const maximum = readCount(cell("capacity"), columnName("capacity"), errors);
  const { hours, warnings } = parseOpenDataHours({ days: cell("days"), note: cell("daysNote") });
  return {
    draft: {
      kind: kindOf(service?.category, taxonomy),
      category: service?.category,
      names: { official: cell("name"), kana: optional(cell("kana")) },
      operatorName: optional(cell("operatorName")),
      description: optional(cell("remarks")),
      identifiers: {
        careOfficeNumber: digitsOf(cell("officeNumber")),
        careServiceCode: service?.code,
        corporateNumber: digitsOf(cell("corporateNumber")),
      },
      address: {
        prefecture,
        city,
        building: optional(cell("building")),
        ...splitAddress(cell("address"), prefecture, city),
      },
      location,
      openingHours: hours,
      contact: { phone: optional(cell("phone")), fax: optional(cell("fax")), url: readUrl(cell("url")) },
      capacity: maximum === undefined ? undefined : { maximum, unit: "PEOPLE" },
      provenance: { source: "OPEN_DATA", sourceName: OPEN_DATA_LAYOUT_TITLES.CARE_SERVICES },
    },
    errors,
    warnings: warnings.map((reason) => ({ field: columnName("days"), reason })),
    columns: {
      kind: columnName("service"),
      category: columnName("service"),
      "names.official": columnName("name"),
      "names.kana": columnName("kana"),
      operatorName: columnName("operatorName"),
      description: columnName("remarks"),
      "identifiers.careOfficeNumber": columnName("officeNumber"),
      "identifiers.corporateNumber": columnName("corporateNumber"),
      "address.prefecture": columnName("prefecture"),
      "address.city": columnName("city"),
      "address.postalCode": columnName("address"),
      "address.street": columnName("address"),
      "address.building": columnName("building"),
      "location.latitude": columnName("latitude"),
      "location.longitude": columnName("longitude"),
      openingHours: columnName("days"),
      "contact.phone": columnName("phone"),
      "contact.fax": columnName("fax"),
      "contact.url": columnName("url"),
      capacity: columnName("capacity"),
    },
    keyColumn: columnName("officeNumber"),
  };
}

function mapMedicalInstitutionRow(cell: CellReader<MedicalColumn>, taxonomy: readonly TaxonomyCategory[]): MappedRow {
  const columnName = (name: MedicalColumn) => MEDICAL_COLUMNS[name].headers[0];
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const type = findMedicalInstitutionType(cell("type"));
  if (!type) errors.push({ field: columnName("type"), reason: `未対応の医療機関の種類です (unsupported type): ${cell("type")}` });
  // A 7-digit code is the bureau's own number; the 10-digit code prefixes the prefecture and the 点数表 digit.
  let code = digitsOf(cell("code"));
  const prefectureCode = /^(\d{2})\d{4}$/.exec(cell("municipalityCode"))?.[1];
  if (code?.length === 7 && type && prefectureCode) code = `${prefectureCode}${type.scoreTable}${code}`;
  else if (code?.length === 7) {
    const reason = "7桁のコードを10桁にできません（都道府県コード・種類が不明） (cannot complete a 7-digit code)";
    errors.push({ field: columnName("code"), reason });
  }
  const prefecture = cell("prefecture");
  const city = cell("city");
  const address = splitAddress(cell("address"), prefecture, city);
  const { location, errors: locationErrors } = readLocation(cell("latitude"), cell("longitude"), {
    latitude: columnName("latitude"),
    longitude: columnName("longitude"),
  });
  errors.push(...locationErrors);
  const beds = readCount(cell("beds"), columnName("beds"), errors);
  const readDate = (name: MedicalColumn) => {
    const date = parseJapaneseDate(cell(name));
    if (!date && cell(name)) {
      warnings.push({ field: columnName(name), reason: `日付を読み取れません (unreadable date): ${cell(name)}` });
    }
    return date;
  };
  const afterHours = cell("afterHours");
  const parsedHours = parseOpenDataHours({
    days: cell("days"),
    opens: cell("opens"),
    closes: cell("closes"),
    note: [cell("hoursNote"), afterHours && `時間外: ${afterHours}`].filter(Boolean).join(" / "),
  });
  warnings.push(...parsedHours.warnings.map((reason) => ({ field: columnName("days"), reason })));
  return {
    draft: {
      kind: kindOf(type?.category, taxonomy),
      category: type?.category,
      names: { official: cell("name"), kana: optional(cell("kana")) },
      operatorName: optional(cell("operatorName")),
      description: optional(cell("remarks")),
      identifiers: {
        medicalInstitutionCode: code,
        corporateNumber: digitsOf(cell("corporateNumber")),
        designatedOn: readDate("designatedOn"),
      },
      address: {
        prefecture,
        city,
        building: optional(cell("building")),
        street: address.street,
        postalCode: optional(cell("postalCode")) ?? address.postalCode,
      },
      location,
      openingHours: parsedHours.hours,
      contact: { phone: optional(cell("phone")), fax: optional(cell("fax")), url: readUrl(cell("url")) },
      departments: parseDepartments(cell("departments")),
      capacity: beds ? { maximum: beds, unit: "BEDS" } : undefined,
      suspended: cell("status").includes("休止"),
      provenance: {
        source: "OPEN_DATA",
        sourceName: OPEN_DATA_LAYOUT_TITLES.MEDICAL_INSTITUTIONS,
        sourceDate: readDate("createdOn"),
      },
    },
    errors,
    warnings,
    columns: {
      kind: columnName("type"),
      category: columnName("type"),
      "names.official": columnName("name"),
      "names.kana": columnName("kana"),
      operatorName: columnName("operatorName"),
      description: columnName("remarks"),
      "identifiers.medicalInstitutionCode": columnName("code"),
      "identifiers.corporateNumber": columnName("corporateNumber"),
      "address.prefecture": columnName("prefecture"),
      "address.city": columnName("city"),
      "address.postalCode": columnName("postalCode"),
      "address.street": columnName("address"),
      "address.building": columnName("building"),
      "location.latitude": columnName("latitude"),
      "location.longitude": columnName("longitude"),
      openingHours: columnName("days"),
      "contact.phone": columnName("phone"),
      "contact.fax": columnName("fax"),
      "contact.url": columnName("url"),
      departments: columnName("departments"),
      capacity: columnName("beds"),
    },
    keyColumn: columnName("code"),
  };
}

/** The column for a draft field path: the longest mapped prefix of `a.b.0.c`, or the path itself. */
function columnFor(path: string, columns: Readonly<Record<string, string>>): string {
  for (let parts = path.split("."); parts.length > 0; parts = parts.slice(0, -1)) {
    const found = columns[parts.join(".")];
    if (found) return found;
  }
  return path;
}

/** Validates a mapped row; problems found while reading win over the schema's for the same column. */
function finishRow(line: number, mapped: MappedRow): OpenDataRow {
  const result = validateResourceInput(mapped.draft);
  const errors = [...mapped.errors];
  const reported = new Set(errors.map((error) => error.field));
  for (const error of result.ok ? [] : result.errors) {
    const field = columnFor(error.field, mapped.columns);
    if (!reported.has(field)) errors.push({ field, reason: error.reason });
  }
  const upsertKey = result.ok ? upsertKeyOf(result.value) : undefined;
  if (result.ok && upsertKey && errors.length === 0) {
    return { line, resource: result.value, upsertKey, warnings: mapped.warnings };
  }
  if (result.ok && !upsertKey && !reported.has(mapped.keyColumn)) {
    errors.push({ field: mapped.keyColumn, reason: "空にできません (must not be empty)" });
  }
  return { line, errors };
}

/** Decodes bytes as UTF-8, or Shift_JIS when the first chunk is not UTF-8; line endings become "\n". */
async function* decodeText(
  source: AsyncIterable<Uint8Array | string>,
  onBytes: (count: number) => void,
): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let carriageReturn = false;
  const lines = (text: string) => {
    const joined = (carriageReturn ? "\r" : "") + text;
    carriageReturn = joined.endsWith("\r");
    return (carriageReturn ? joined.slice(0, -1) : joined).replace(/\r\n?/g, "\n");
  };
  for await (const chunk of source) {
    if (typeof chunk === "string") {
      onBytes(Buffer.byteLength(chunk));
      yield lines(chunk);
      continue;
    }
    onBytes(chunk.byteLength);
    if (!decoder) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(chunk, { stream: true });
        decoder = new TextDecoder("utf-8", { fatal: true });
      } catch {
        decoder = new TextDecoder("shift_jis");
      }
    }
    yield lines(decoder.decode(chunk, { stream: true }));
  }
  yield lines(decoder?.decode() ?? "") + (carriageReturn ? "\n" : "");
}

/** A CSV record with the line it ends on and the blank lines skipped so far. */
interface ParsedRecord {
  record: string[];
  lines: number;
  emptyLines: number;
}

/**
 * The records of a CSV text, parsed as the text is pulled (so a slow consumer holds back the source). A syntax
 * error is thrown only after every record before it has been yielded.
 */
async function* readRecords(text: AsyncIterable<string>): AsyncGenerator<ParsedRecord, void, undefined> {
  const parsed: ParsedRecord[] = [];
  let failure: Error | undefined;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    on_record: (record: string[], context) => {
      parsed.push({ record, lines: context.lines, emptyLines: context.empty_lines });
      return null;
    },
  });
  parser.on("error", (error) => (failure ??= error));
  const settle = (action: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      const done = () => {
        parser.off("error", done);
        resolve();
      };
      parser.on("error", done);
      action(done);
    });
  try {
    for await (const chunk of text) {
      await settle((done) => parser.write(chunk, done));
      yield* parsed.splice(0);
      if (failure) throw failure;
    }
    await settle((done) => parser.end(done));
    yield* parsed.splice(0);
    if (failure) throw failure;
  } finally {
    parser.destroy();
  }
}

/** An opened open-data file: its layout, its rows in file order, and the bytes read so far (for a progress bar). */
export interface OpenDataFile {
  layout: OpenDataLayout;
  rows: AsyncGenerator<OpenDataRow, void, undefined>;
  bytesRead(): number;
}

/**
 * Opens an open-data CSV (a file stream or any chunks): reads the header, recognises the layout (throwing
 * `OpenDataHeaderError` naming missing columns) and returns the rows, each mapped and validated on its own, so a
 * bad row never affects another. `line` is the physical line where the row starts (header = 1). A file that
 * cannot be parsed further throws `OpenDataParseError` from `rows` after the rows before it. Rows are mapped to
 * categories with `taxonomy` (the default taxonomy unless given). Breaking out of `rows` closes the source.
 */
export async function openOpenDataCsv(
  source: AsyncIterable<Uint8Array | string>,
  taxonomy: readonly TaxonomyCategory[] = DEFAULT_TAXONOMY,
): Promise<OpenDataFile> {
  let bytes = 0;
  const records = readRecords(decodeText(source, (count) => (bytes += count)));
  let previous = { lines: 0, emptyLines: 0 };
  const next = async () => {
    try {
      return await records.next();
    } catch (error) {
      throw new OpenDataParseError(previous.lines + 1, error);
    }
  };
  const first = await next();
  if (first.done) throw new OpenDataHeaderError("空のファイルです (empty file)", []);
  previous = first.value;
  const header = first.value.record.map(clean);
  let detected: DetectedLayout;
  try {
    detected = detect(header);
  } catch (error) {
    await records.return();
    throw error;
  }
  const mapRecord = (record: readonly string[]): MappedRow | FieldError[] => {
    if (record.length !== header.length) {
      const counts = `列が${record.length}個あります（ヘッダーは${header.length}列）`;
      return [{ field: "列数", reason: `${counts} (column count ${record.length}, header ${header.length})` }];
    }
    if (detected.layout === "CARE_SERVICES") {
      const { index } = detected;
      return mapCareServiceRow((name) => clean(record[index[name]]), taxonomy);
    }
    const { index } = detected;
    return mapMedicalInstitutionRow((name) => clean(record[index[name]]), taxonomy);
  };
  async function* rows(): AsyncGenerator<OpenDataRow, void, undefined> {
    try {
      for (let result = await next(); !result.done; result = await next()) {
        const { record, emptyLines } = result.value;
        const line = previous.lines + 1 + emptyLines - previous.emptyLines;
        previous = result.value;
        if (record.every((cell) => cell.trim() === "")) continue;
        const mapped = mapRecord(record);
        yield Array.isArray(mapped) ? { line, errors: mapped } : finishRow(line, mapped);
      }
    } finally {
      await records.return();
    }
  }
  return { layout: detected.layout, rows: rows(), bytesRead: () => bytes };
}

/** One line per problem, for people: 「12行目 事業所番号: 事業所番号は10桁の数字です (10 digits)」. */
export function formatRowProblems(line: number, problems: readonly FieldError[]): string[] {
  return problems.map((problem) => `${line}行目 ${problem.field}: ${problem.reason}`);
}
