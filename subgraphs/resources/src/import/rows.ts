// One CSV record to the services it lists: a row is rejected only when it cannot be identified or placed; a bad optional cell becomes an import issue on the record and the row imports.
import { normalizeJapanese } from "@tsunagu/service-kit";
import { validateResourceInput } from "../domain";
import type { ResourceInput, ResourceInputDraft } from "../domain";
import { parseOpenDataHours } from "../opening-hours";
import { UNKNOWN_CARE_CATEGORY, UNKNOWN_MEDICAL_CATEGORY, findCareServiceType, findMedicalInstitutionType, inferCareServiceType } from "../taxonomy";
import type { TaxonomyCategory } from "../taxonomy";
import { addressKey, clean, identifierText, optional, parseDepartments, parseJapaneseDate, phoneText, prefectureCodeOf, splitAddress } from "./cells";
import type { DetectedLayout, SourceField } from "./layouts";
import { placeKeysOf } from "../place-keys";

/** A cell that could not be used as it is: where it is, what it held and why (「日本語 (English)」). */
export interface ImportIssue {
  line: number;
  column: string;
  value: string;
  reason: string;
}

/** A service read from a row: the key it is synchronised on, the keys of its place, the validated input and its issues. */
export interface ImportedService {
  line: number;
  /** Identifies the record across imports: `care:<事業所番号>:<サービスコード>`, `medical:<医療機関コード>`, `<mapping id>:<id>`. */
  sourceKey: string;
  /** Any of these shared with another record makes them one place: 事業所番号, 法人番号 + address, 医療機関コード. */
  placeKeys: string[];
  input: ResourceInput;
  issues: ImportIssue[];
}

/** What one data row gave: its services, or why it was rejected, or that it is outside the import's scope. */
export type RowOutcome =
  | { outcome: "services"; line: number; services: ImportedService[] }
  | { outcome: "rejected"; line: number; issues: ImportIssue[] }
  | { outcome: "outOfScope"; line: number };

/** Only rows of a prefecture (2-digit 都道府県コード) or of a city (6-digit 市町村コード with check digit, or 5 digits). */
export interface ImportScope {
  prefectureCode?: string;
  cityCode?: string;
}

/** The draft field paths and the source field a person should fix for each (longest prefix wins). */
const FIELD_OF_PATH: ReadonlyArray<[string, SourceField]> = [
  ["names.official", "name"],
  ["names.kana", "kana"],
  ["operatorName", "operatorName"],
  ["description", "remarks"],
  ["identifiers.careOfficeNumber", "careOfficeNumber"],
  ["identifiers.medicalInstitutionCode", "medicalInstitutionCode"],
  ["identifiers.corporateNumber", "corporateNumber"],
  ["identifiers.designatedOn", "designatedOn"],
  ["address.postalCode", "postalCode"],
  ["address.prefecture", "prefecture"],
  ["address.city", "city"],
  ["address.street", "address"],
  ["address.building", "building"],
  ["location", "latitude"],
  ["openingHours", "days"],
  ["contact.phone", "phone"],
  ["contact.fax", "fax"],
  ["contact.email", "email"],
  ["contact.url", "url"],
  ["departments", "departments"],
  ["capacity", "capacity"],
];

/** Paths a row cannot do without: a problem there rejects the row. */
const REQUIRED_PATHS = ["names.official", "address.prefecture", "address.city", "kind", "category"];

function reasonOf(ja: string, en: string, value?: string): string {
  return `${ja} (${en})${value === undefined ? "" : `: ${value}`}`;
}

/** Removes `path` (dotted) from a draft object. */
function removePath(draft: Record<string, unknown>, path: string): void {
  const parts = path.split(".");
  let node: unknown = draft;
  for (const part of parts.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === "object" && node !== null) delete (node as Record<string, unknown>)[parts.at(-1) as string];
}

function valueAt(draft: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((node, part) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[part] : undefined), draft);
}

/** Reads the records of one file under its detected layout. */
export class RowReader {
  private readonly kindOf: ReadonlyMap<string, TaxonomyCategory["kind"]>;

  constructor(
    private readonly detected: DetectedLayout,
    taxonomy: readonly TaxonomyCategory[],
    private readonly scope: ImportScope = {},
  ) {
    this.kindOf = new Map(taxonomy.map((entry) => [entry.code, entry.kind]));
  }

  /** The column a person should look at for a field: the file's header, or the field's first official name. */
  private columnOf(field: SourceField): string {
    return this.detected.index.get(field)?.header ?? this.detected.layout.columns[field]?.[0] ?? field;
  }

  private columnOfPath(path: string): string {
    const found = FIELD_OF_PATH.find(([prefix]) => path === prefix || path.startsWith(`${prefix}.`));
    return found ? this.columnOf(found[1]) : path;
  }

  private inScope(cell: (field: SourceField) => string, prefecture: string): boolean {
    const { prefectureCode, cityCode } = this.scope;
    if (prefectureCode === undefined && cityCode === undefined) return true;
    const code = cell("municipalityCode").replace(/\D/g, "") || this.detected.layout.defaults?.municipalityCode || "";
    const rowPrefecture = code.length >= 5 ? code.slice(0, 2) : prefectureCodeOf(prefecture);
    if (prefectureCode !== undefined && rowPrefecture !== prefectureCode.padStart(2, "0")) return false;
    // A 6-digit code ending in a check digit and its 5-digit form name the same city; a prefecture-level code (xx0000) names none.
    if (cityCode !== undefined && (code.length < 5 || code.slice(0, 5) !== cityCode.slice(0, 5))) return false;
    return true;
  }

  /** The services of one record (one per service it lists), or why it cannot be imported. */
  read(line: number, record: readonly string[], headerLength: number): RowOutcome {
    const { layout, index } = this.detected;
    const cell = (field: SourceField) => {
      const column = index.get(field);
      return column === undefined ? "" : clean(record[column.position]);
    };
    const issues: ImportIssue[] = [];
    const issue = (field: string, value: string, reason: string) =>
      issues.push({ line, column: (layout.columns as Record<string, unknown>)[field] ? this.columnOf(field as SourceField) : field, value, reason });
    if (record.length !== headerLength) {
      issue(
        "列数",
        String(record.length),
        reasonOf(`列が${record.length}個あります（ヘッダーは${headerLength}列）`, `column count ${record.length}, header ${headerLength}`),
      );
    }

    const name = cell("name");
    const building = optional(cell("building"));
    const address = splitAddress(cell("address"), {
      prefecture: optional(cell("prefecture")) ?? layout.defaults?.prefecture,
      city: optional(cell("city")) ?? layout.defaults?.city,
      building,
    });
    if (!this.inScope(cell, address.prefecture ?? "")) return { outcome: "outOfScope", line };

    // Identity: the official ids this layout carries.
    let careOfficeNumber = optional(identifierText(cell("careOfficeNumber")));
    if (careOfficeNumber && !/^[0-9A-Z]{10}$/.test(careOfficeNumber)) {
      issue("careOfficeNumber", careOfficeNumber, reasonOf("事業所番号は英数字10桁です", "an office number has 10 letters or digits"));
      careOfficeNumber = undefined;
    }
    let medicalInstitutionCode = optional(identifierText(cell("medicalInstitutionCode")));
    const medicalType = layout.category.from === "medicalType" ? findMedicalInstitutionType(cell("medicalType")) : undefined;
    if (medicalInstitutionCode?.length === 7) {
      // A 7-digit code is the bureau's own number; the 10-digit code prefixes the prefecture and the 点数表 digit.
      const prefectureCode = /^(\d{2})\d{3,4}$/.exec(cell("municipalityCode").replace(/\D/g, ""))?.[1] ?? prefectureCodeOf(address.prefecture ?? "");
      medicalInstitutionCode = medicalType && prefectureCode ? `${prefectureCode}${medicalType.scoreTable}${medicalInstitutionCode}` : medicalInstitutionCode;
    }
    if (medicalInstitutionCode && !/^\d{10}$/.test(medicalInstitutionCode)) {
      issue("medicalInstitutionCode", cell("medicalInstitutionCode"), reasonOf("医療機関コードを10桁にできません", "not a 10-digit medical institution code"));
      medicalInstitutionCode = undefined;
    }
    const officialId = optional(cell("officialId"));
    const hasId = careOfficeNumber !== undefined || medicalInstitutionCode !== undefined || officialId !== undefined;

    if (name === "") {
      issue("name", "", reasonOf("名称がありません", "no name"));
      return { outcome: "rejected", line, issues };
    }
    if (!hasId && !address.street) {
      issue("address", cell("address"), reasonOf("識別番号も住所もありません", "neither an official id nor an address"));
      return { outcome: "rejected", line, issues };
    }
    if (!address.prefecture || !address.city) {
      issue("address", cell("address"), reasonOf("都道府県・市区町村が分かりません", "cannot tell the prefecture and city"));
      return { outcome: "rejected", line, issues };
    }

    // Categories: one per service the row lists (the Digital Agency's 実施サービス may list several).
    const categories = this.categoriesOf(cell, issue);
    const location = this.readLocation(cell, issue);
    const capacity = this.readCount(cell, "capacity", issue);
    const beds = this.readCount(cell, "beds", issue);
    const url = this.readUrl(cell("url"));
    const readDate = (field: SourceField) => {
      const text = cell(field);
      const date = parseJapaneseDate(text);
      if (!date && text) issue(field, text, reasonOf("日付を読み取れません", "unreadable date"));
      return date;
    };
    const afterHours = cell("afterHours");
    const hours = parseOpenDataHours({
      days: cell("days"),
      opens: cell("opens"),
      closes: cell("closes"),
      note: [cell("daysNote"), cell("hoursNote"), afterHours && `時間外: ${afterHours}`].filter(Boolean).join(" / "),
    });
    for (const warning of hours.warnings) issue("days", cell("days"), warning);
    if (hours.hours && layout.holidaysListedExplicitly && cell("days") !== "" && !/祝/.test(cell("days"))) {
      // The ministry lists 祝日 among the days when a service runs on public holidays: 「平日」 alone means closed then.
      hours.hours.closedOnPublicHolidays = true;
    }
    const corporateNumber = optional(identifierText(cell("corporateNumber")));
    const streetKey = addressKey(address);
    const status = cell("status");
    const designatedOn = readDate("designatedOn");
    const sourceDate = readDate("createdOn");

    const services = categories.map((category): ImportedService => {
      const serviceIssues = [...issues, ...category.issues.map((entry) => ({ ...entry, line }))];
      const draft: ResourceInputDraft = {
        kind: this.kindOf.get(category.code) ?? "FORMAL",
        category: category.code,
        names: { official: name, kana: optional(cell("kana")) },
        operatorName: optional(cell("operatorName")),
        description: optional(cell("remarks")),
        identifiers: {
          careOfficeNumber,
          careServiceCode: category.serviceCode,
          medicalInstitutionCode,
          corporateNumber,
          designatedOn,
        },
        address: {
          prefecture: address.prefecture as string,
          city: address.city as string,
          street: address.street,
          building,
          postalCode: optional(cell("postalCode")) ?? address.postalCode,
        },
        location,
        openingHours: hours.hours,
        contact: {
          phone: optional(phoneText(cell("phone"))),
          fax: optional(phoneText(cell("fax"))),
          email: optional(cell("email")),
          url,
        },
        departments: parseDepartments(cell("departments")),
        capacity: capacity !== undefined ? { maximum: capacity, unit: "PEOPLE" } : beds !== undefined ? { maximum: beds, unit: "BEDS" } : undefined,
        suspended: /休止|廃止/.test(status),
        provenance: { source: "OPEN_DATA", sourceName: layout.title, sourceDate },
      };
      const validated = this.validate(line, draft, serviceIssues);
      if (!validated.ok) return { line, sourceKey: "", placeKeys: [], input: undefined as never, issues: validated.issues };
      const idPart = careOfficeNumber ?? medicalInstitutionCode ?? officialId;
      const nameKey = `name:${normalizeJapanese(name).replace(/\s/g, "")}@${streetKey}`;
      const sourceKey =
        layout.id === "care" ? `care:${careOfficeNumber ?? nameKey}:${category.serviceCode ?? category.code}` : `${layout.id}:${idPart ?? nameKey}`;
      const placeKeys = placeKeysOf(validated.input);
      if (placeKeys.length === 0) placeKeys.push(`${layout.id}:${idPart ?? nameKey}`);
      return { line, sourceKey, placeKeys, input: validated.input, issues: validated.issues };
    });
    const rejected = services.find((entry) => entry.sourceKey === "");
    if (rejected) return { outcome: "rejected", line, issues: rejected.issues };
    return { outcome: "services", line, services };
  }

  /**
   * Validates a draft; a problem in an optional field drops that field and becomes an issue (the raw cell kept), a
   * problem in a required one rejects the row.
   */
  private validate(
    line: number,
    draft: ResourceInputDraft,
    issues: ImportIssue[],
  ): { ok: true; input: ResourceInput; issues: ImportIssue[] } | { ok: false; issues: ImportIssue[] } {
    const found = [...issues];
    const first = validateResourceInput(draft);
    if (first.ok) return { ok: true, input: first.value, issues: found };
    // Only a draft with problems is copied: fields are dropped from the copy until the rest validates.
    const working = structuredClone(draft) as unknown as Record<string, unknown>;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const result = validateResourceInput(working);
      if (result.ok) return { ok: true, input: result.value, issues: found };
      for (const error of result.errors) {
        const column = this.columnOfPath(error.field);
        const raw = valueAt(working, error.field);
        found.push({ line, column, value: typeof raw === "string" ? raw : JSON.stringify(raw ?? ""), reason: error.reason });
        if (REQUIRED_PATHS.some((path) => error.field === path || error.field.startsWith(`${path}.`))) return { ok: false, issues: found };
        // Drop the whole optional value the problem is in (a bad interval drops the hours, a bad phone the phone).
        const top = FIELD_OF_PATH.find(([prefix]) => error.field === prefix || error.field.startsWith(`${prefix}.`))?.[0] ?? error.field;
        removePath(working, top);
      }
    }
    return { ok: false, issues: found };
  }

  private categoriesOf(
    cell: (field: SourceField) => string,
    issue: (field: SourceField, value: string, reason: string) => void,
  ): Array<{ code: string; serviceCode?: string; issues: ImportIssue[] }> {
    const rule = this.detected.layout.category;
    const unknown = (field: SourceField, value: string, code: string, ja: string, en: string) => {
      const before = [] as ImportIssue[];
      const record = (f: SourceField, v: string, r: string) => before.push({ line: 0, column: this.columnOf(f), value: v, reason: r });
      record(field, value, reasonOf(ja, en));
      return { code, issues: before };
    };
    if (rule.from === "careService") {
      const texts = cell("careService")
        .split(/[;；、]/)
        .map((text) => text.trim())
        .filter(Boolean);
      if (texts.length === 0) {
        return [
          unknown("careService", "", UNKNOWN_CARE_CATEGORY, "サービスの種類がありません。その他として登録しました", "no service type; filed under other"),
        ];
      }
      return texts.map((text) => {
        const type = findCareServiceType(text);
        if (type) return { code: type.category, serviceCode: type.code, issues: [] };
        const inferred = inferCareServiceType(text);
        if (inferred) {
          const reason = reasonOf(`サービスの種類を名称から「${inferred.name}」と推定しました`, `service type inferred from its name as ${inferred.code}`);
          return { code: inferred.category, serviceCode: inferred.code, issues: [{ line: 0, column: this.columnOf("careService"), value: text, reason }] };
        }
        const leading = /^(\d{3})/.exec(text)?.[1];
        return {
          ...unknown(
            "careService",
            text,
            UNKNOWN_CARE_CATEGORY,
            "未知のサービスの種類です。その他として登録しました",
            "unknown service type; filed under other",
          ),
          serviceCode: leading,
        };
      });
    }
    if (rule.from === "medicalType") {
      const type = findMedicalInstitutionType(cell("medicalType"));
      if (type) return [{ code: type.category, issues: [] }];
      return [
        unknown(
          "medicalType",
          cell("medicalType"),
          UNKNOWN_MEDICAL_CATEGORY,
          "未知の医療機関の種類です。医療機関として登録しました",
          "unknown type; filed under medical",
        ),
      ];
    }
    if (rule.from === "fixed") return [{ code: rule.category, issues: [] }];
    const value = cell("category");
    const code = rule.values[value];
    if (code) return [{ code, issues: [] }];
    if (rule.fallback) {
      return [
        unknown("category", value, rule.fallback, "対応表にない分類です。既定の分類で登録しました", "category not in the mapping; filed under the fallback"),
      ];
    }
    issue("category", value, reasonOf("対応表にない分類です", "category not in the mapping"));
    return [{ code: "", issues: [] }];
  }

  /** Coordinates from 緯度/経度: empty or 0 on both means no location; one without the other, or text, is an issue. */
  private readLocation(cell: (field: SourceField) => string, issue: (field: SourceField, value: string, reason: string) => void) {
    const latitudeText = cell("latitude");
    const longitudeText = cell("longitude");
    const latitude = latitudeText === "" ? 0 : Number(latitudeText);
    const longitude = longitudeText === "" ? 0 : Number(longitudeText);
    if (Number.isNaN(latitude)) issue("latitude", latitudeText, reasonOf("数値ではありません", "not a number"));
    if (Number.isNaN(longitude)) issue("longitude", longitudeText, reasonOf("数値ではありません", "not a number"));
    if (Number.isNaN(latitude) || Number.isNaN(longitude) || (latitude === 0 && longitude === 0)) return undefined;
    if (latitude === 0 || longitude === 0) {
      const field = latitude === 0 ? "latitude" : "longitude";
      issue(field, "", reasonOf("緯度と経度の片方だけがあります", "only one of latitude and longitude"));
      return undefined;
    }
    return { latitude, longitude };
  }

  /** A count such as 定員 or 病床数 (「20」「20人」「19床」); 0 is the ministry's "not applicable", so unknown. */
  private readCount(cell: (field: SourceField) => string, field: "capacity" | "beds", issue: (field: SourceField, value: string, reason: string) => void) {
    const text = cell(field);
    if (text === "") return undefined;
    const match = /^(\d+)\s*[人名床]?$/.exec(text.replace(/,/g, ""));
    if (!match) {
      issue(field, text, reasonOf("整数ではありません", "not a whole number"));
      return undefined;
    }
    const count = Number(match[1]);
    return count === 0 ? undefined : count;
  }

  /** A URL with its scheme: official data often omits "http://" before a host name; anything else is left to validation. */
  private readUrl(text: string): string | undefined {
    if (text === "") return undefined;
    return /^[\w-]+(\.[\w-]+)+(\/\S*)?$/.test(text) && !text.includes("@") ? `http://${text}` : text;
  }
}
