// Reading official files row by row: layouts recognised by header, every kind of mess in the fixtures, rows rejected only when they cannot be identified or placed.
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { addressKey, parseDepartments, parseJapaneseDate, splitAddress } from "../src/import/cells";
import { OpenDataHeaderError, detectLayout } from "../src/import/layouts";
import { readMappingFile } from "../src/import/mapping-file";
import { openOpenDataCsv } from "../src/import/reader";
import type { OpenOptions } from "../src/import/reader";
import type { ImportedService, RowOutcome } from "../src/import/rows";
import { CARE_SERVICE_TYPES, findCareServiceType } from "../src/taxonomy";

const fixture = (name: string) => join(__dirname, "fixtures", name);

async function readAll(name: string, options: OpenOptions = {}): Promise<{ layout: string; rows: RowOutcome[] }> {
  const file = await openOpenDataCsv(createReadStream(fixture(name)), options);
  const rows: RowOutcome[] = [];
  for await (const row of file.rows) rows.push(row);
  return { layout: file.layout.title, rows };
}

function servicesOf(rows: readonly RowOutcome[]): ImportedService[] {
  return rows.flatMap((row) => (row.outcome === "services" ? row.services : []));
}

function serviceAt(rows: readonly RowOutcome[], line: number): ImportedService {
  const found = servicesOf(rows).find((service) => service.line === line);
  if (!found) throw new Error(`no service on line ${line}`);
  return found;
}

describe("the ministry's care-service layout, with its mess", () => {
  let rows: RowOutcome[];
  beforeAll(async () => {
    rows = (await readAll("mhlw-messy.csv")).rows;
  });

  test("only the nameless row and the row with neither id nor address are rejected, with line, column and reason", () => {
    const rejected = rows.filter((row) => row.outcome === "rejected");
    expect(rejected).toEqual([
      { outcome: "rejected", line: 7, issues: [{ line: 7, column: "事業所名", value: "", reason: "名称がありません (no name)" }] },
      {
        outcome: "rejected",
        line: 8,
        issues: [{ line: 8, column: "住所", value: "", reason: "識別番号も住所もありません (neither an official id nor an address)" }],
      },
    ]);
    expect(servicesOf(rows)).toHaveLength(8);
  });

  test("an office number with a letter is valid, 定員 0 is unknown, the building is not repeated, 平日,祝日 opens on holidays", () => {
    const clinic = serviceAt(rows, 2);
    expect(clinic.issues).toEqual([]);
    expect(clinic.sourceKey).toBe("care:17B0100011:550");
    expect(clinic.input.identifiers).toMatchObject({ careOfficeNumber: "17B0100011", careServiceCode: "550" });
    expect(clinic.input.category).toBe("care-medical-institution");
    expect(clinic.input.capacity).toBeUndefined();
    expect(clinic.input.address).toMatchObject({ street: "土居原町10番地", building: "さくらビル2階" });
    expect(clinic.input.openingHours).toMatchObject({ openDays: ["MON", "TUE", "WED", "THU", "FRI"], closedOnPublicHolidays: false });
  });

  test("full-width office numbers and ー in phones are normalised; a bad URL is an issue with its raw value and the row imports", () => {
    const station = serviceAt(rows, 3);
    expect(station.input.identifiers.careOfficeNumber).toBe("1760100029");
    expect(station.input.contact).toEqual({ phone: "0761-00-2345" });
    expect(station.input.openingHours).toMatchObject({ openDays: ["MON", "TUE", "WED", "THU", "FRI"], closedOnPublicHolidays: true });
    expect(station.issues).toEqual([{ line: 3, column: "URL", value: "http//example.org/aoba", reason: "http(s)のURLではありません (not an http(s) URL)" }]);
  });

  test("kanji in the kana column, an e-mail as URL and a wrong 法人番号 check digit are issues; ｰ in phones is read; 0 coordinates are none", () => {
    const day = serviceAt(rows, 4);
    expect(day.input.identifiers.careServiceCode).toBe("155");
    expect(day.input.contact.phone).toBe("0761-00-3456");
    expect(day.input.location).toBeUndefined();
    expect(day.input.capacity).toEqual({ maximum: 18, unit: "PEOPLE" });
    expect(day.input.names.kana).toBeUndefined();
    expect(day.input.identifiers.corporateNumber).toBeUndefined();
    expect(day.issues.map((issue) => [issue.column, issue.value])).toEqual([
      ["事業所名カナ", "訪問看護つばさ"],
      ["法人番号", "9220005000303"],
      ["URL", "info@example.org"],
    ]);
    expect(day.issues.every((issue) => /\(.+\)/.test(issue.reason))).toBe(true);
  });

  test("a 郡 before the city is dropped from the street; 770's variant name maps to its category", () => {
    const kawakita = serviceAt(rows, 5);
    expect(kawakita.input.address).toMatchObject({ prefecture: "石川県", city: "川北町", street: "字壱ツ屋174" });
    expect(kawakita.input.category).toBe("nursing-small-multifunction");
    expect(kawakita.issues.map((issue) => issue.value)).toEqual(["https:://example.org/kawakita"]);
  });

  test("an unknown service is imported under the general category with a warning, never rejected", () => {
    const unknown = serviceAt(rows, 6);
    expect(unknown.input.category).toBe("other-care-facility");
    expect(unknown.issues).toEqual([
      {
        line: 6,
        column: "サービスの種類",
        value: "介護予防・日常生活支援総合事業",
        reason: "未知のサービスの種類です。その他として登録しました (unknown service type; filed under other)",
      },
    ]);
  });

  test("one office number with two services, and one corporation at one address, share place keys", () => {
    expect(serviceAt(rows, 9).placeKeys).toContain("office:1760100029");
    expect(serviceAt(rows, 3).placeKeys).toContain("office:1760100029");
    const corporateKey = serviceAt(rows, 2).placeKeys.find((key) => key.startsWith("corp:"));
    expect(corporateKey).toBeDefined();
    expect(serviceAt(rows, 10).placeKeys).toContain(corporateKey);
  });

  test("--prefecture and --city keep only their rows", async () => {
    const ishikawa = await readAll("mhlw-messy.csv", { scope: { prefectureCode: "17" } });
    expect(ishikawa.rows.filter((row) => row.outcome === "outOfScope").map((row) => row.line)).toEqual([11]);
    const komatsu = await readAll("mhlw-messy.csv", { scope: { cityCode: "172031" } });
    expect(komatsu.rows.filter((row) => row.outcome === "outOfScope").map((row) => row.line)).toEqual([5, 11]);
  });
});

describe("the Digital Agency's templates and a prefecture's variant", () => {
  test("the official 介護サービス事業所一覧: a row listing two services gives two services at one place", async () => {
    const { layout, rows } = await readAll("da-care-service.csv");
    expect(layout).toBe("推奨データセット 介護サービス事業所一覧");
    const services = servicesOf(rows);
    expect(services.map((service) => [service.line, service.sourceKey, service.input.category])).toEqual([
      [2, "care:1760300010:110", "home-help"],
      [2, "care:1760300010:150", "day-care"],
      [3, "care:1760300010:130", "visiting-nursing"],
    ]);
    expect(new Set(services.map((service) => service.placeKeys[0]))).toEqual(new Set(["office:1760300010"]));
  });

  test("the official 医療機関一覧 (住所, 市区町村名, 法人の名称) imports without 医療機関コード", async () => {
    const { layout, rows } = await readAll("da-hospital.csv");
    expect(layout).toBe("推奨データセット 医療機関一覧");
    const [clinic, hospital] = servicesOf(rows);
    expect(clinic.input.identifiers.medicalInstitutionCode).toBeUndefined();
    expect(clinic.input.operatorName).toBe("医療法人東会");
    expect(clinic.sourceKey).toMatch(/^medical:name:/);
    expect(hospital.sourceKey).toBe("medical:1710110011");
  });

  test("a prefecture's variant (所在地, 市町村, 開設者氏名) in UTF-8 and Shift_JIS reads the same", async () => {
    const utf8 = servicesOf((await readAll("medical-institutions.csv")).rows);
    const sjis = servicesOf((await readAll("medical-institutions-sjis.csv")).rows);
    expect(utf8.length).toBeGreaterThan(0);
    const clinic = sjis.find((service) => service.sourceKey === "medical:1710123456");
    expect(clinic?.input.names.official).toBe("やまだ内科クリニック");
    expect(clinic?.input.address).toMatchObject({ postalCode: "923-0801", street: "園町ヌ48番地", building: "ソノマチビル1F" });
    expect(clinic?.input).toEqual(utf8.find((service) => service.sourceKey === "medical:1710123456")?.input);
    const hospital = utf8.find((service) => service.sourceKey === "medical:1710110011");
    expect(hospital?.input.identifiers.designatedOn).toBe("1957-07-01");
    expect(hospital?.input.departments).toContain("整形外科");
  });

  test("a header of no layout is refused, naming the missing columns and the mapping option", () => {
    expect(() => detectLayout(["名前", "住所"])).toThrow(OpenDataHeaderError);
    expect(() => detectLayout(["名前", "住所"])).toThrow(/--mapping/);
  });
});

describe("a city's own layout through a mapping file", () => {
  test("the AED list imports under the mapping's category; a nameless row is rejected", async () => {
    const layout = await readMappingFile(fixture("city-aed.yaml"));
    const { rows } = await readAll("city-aed.csv", { layout });
    const services = servicesOf(rows);
    expect(services.map((service) => [service.sourceKey, service.input.category, service.input.address.city])).toEqual([
      ["komatsu-aed:A-001", "aed", "小松市"],
      ["komatsu-aed:A-002", "aed", "小松市"],
    ]);
    expect(services[0].input.address).toMatchObject({ street: "小馬出町91番地", building: "1階 正面玄関" });
    expect(rows.find((row) => row.outcome === "rejected")?.line).toBe(4);
  });

  test("a mapping without a name column is refused with what to fix", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = join(mkdtempSync(join(tmpdir(), "tsunagu-mapping-")), "bad.json");
    writeFileSync(path, JSON.stringify({ id: "x-list", title: "x", category: "aed", columns: { address: "住所" } }));
    await expect(readMappingFile(path)).rejects.toThrow(/columns\.name/);
  });
});

describe("cells", () => {
  test("every ministry service code is known, with name variants", () => {
    for (const code of ["110", "155", "334", "335", "336", "337", "361", "362", "363", "364", "550", "551", "770", "780"]) {
      expect(CARE_SERVICE_TYPES.some((type) => type.code === code)).toBe(true);
    }
    expect(findCareServiceType("短期入所療養介護(療養病床を有する病院等）")?.code).toBe("230");
    expect(findCareServiceType("特定施設入居者生活介護（有料老人ホーム（サービス付き高齢者向け住宅（外部サービス利用型））)")?.code).toBe("337");
    expect(findCareServiceType("地域密着型特定施設入居者生活介護（有料老人ホーム（サービス付き高齢者向け住宅））")?.code).toBe("364");
    expect(findCareServiceType("看護小規模多機能型居宅介護（複合型サービス）")?.code).toBe("770");
    expect(findCareServiceType("指定療養通所介護")?.code).toBe("155");
    expect(findCareServiceType("お茶会")).toBeUndefined();
  });

  test("addresses: postal code, prefecture, 郡 and city taken off; keys ignore 丁目・番地 wording and width", () => {
    expect(splitAddress("〒923-0801 石川県小松市園町ヌ48番地", { prefecture: "石川県", city: "小松市" })).toEqual({
      postalCode: "923-0801",
      prefecture: "石川県",
      city: "小松市",
      street: "園町ヌ48番地",
    });
    expect(splitAddress("北海道松前郡福島町字三岳32-3", {})).toMatchObject({ prefecture: "北海道", city: "福島町", street: "字三岳32-3" });
    expect(addressKey({ prefecture: "石川県", city: "小松市", street: "土居原町10番地" })).toBe(
      addressKey({ prefecture: "石川県", city: "小松市", street: "土居原町１０" }),
    );
    expect(addressKey({ street: "本町1丁目2番3号" })).toBe(addressKey({ street: "本町1-2-3" }));
  });

  test("era dates and 診療科目 abbreviations", () => {
    expect(parseJapaneseDate("昭32. 7. 1")).toBe("1957-07-01");
    expect(parseJapaneseDate("令和元年5月1日")).toBe("2019-05-01");
    expect(parseJapaneseDate("平成31年2月30日")).toBeUndefined();
    expect(parseDepartments("内;外;耳い;救命")).toEqual(["内科", "外科", "耳鼻いんこう科", "救命救急科"]);
  });

  test("the Shift_JIS fixture really is Shift_JIS", () => {
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(fixture("medical-institutions-sjis.csv")))).toThrow();
  });
});
