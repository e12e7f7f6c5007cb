// Tests for reading both official open-data layouts: header recognition, normalisation, row errors with line numbers.
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  OpenDataHeaderError,
  OpenDataParseError,
  detectOpenDataLayout,
  formatRowProblems,
  openOpenDataCsv,
  parseDepartments,
  parseJapaneseDate,
  upsertKeyOf,
} from "../src/open-data";
import type { OpenDataRow } from "../src/open-data";
import { validateResourceInput } from "../src/domain";

const fixture = (name: string) => join(__dirname, "fixtures", name);
const CARE_HEADER = readFileSync(fixture("jigyosho_430.csv"), "utf8").split("\n")[0] ?? "";
const MEDICAL_HEADER = readFileSync(fixture("medical-institutions.csv"), "utf8").replace(/^\uFEFF/, "").split("\n")[0] ?? "";

async function readRows(source: AsyncIterable<Uint8Array | string>): Promise<OpenDataRow[]> {
  const file = await openOpenDataCsv(source);
  const rows: OpenDataRow[] = [];
  for await (const row of file.rows) rows.push(row);
  return rows;
}

function accepted(rows: readonly OpenDataRow[], line: number) {
  const row = rows.find((candidate) => candidate.line === line);
  if (!row || !("resource" in row)) throw new Error(`line ${line} was not accepted: ${JSON.stringify(row)}`);
  return row;
}

function rejected(rows: readonly OpenDataRow[], line: number) {
  const row = rows.find((candidate) => candidate.line === line);
  if (!row || !("errors" in row)) throw new Error(`line ${line} was not rejected: ${JSON.stringify(row)}`);
  return row.errors;
}

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

describe("detectOpenDataLayout", () => {
  it("recognises both official headers", () => {
    expect(detectOpenDataLayout(CARE_HEADER.split(","))).toBe("CARE_SERVICES");
    expect(detectOpenDataLayout(MEDICAL_HEADER.split(","))).toBe("MEDICAL_INSTITUTIONS");
  });

  it("tolerates a BOM, surrounding whitespace and full-width variants in header cells", () => {
    const header = CARE_HEADER.split(",").map((name) => ` ${name.replace("（ビル名等）", "(ビル名等)")}\u3000`);
    header[0] = `\uFEFF${header[0] ?? ""}`;
    expect(detectOpenDataLayout(header)).toBe("CARE_SERVICES");
  });

  it("names the required columns a recognised layout is missing", () => {
    const header = MEDICAL_HEADER.split(",").filter((name) => name !== "所在地" && name !== "名称");
    expect(() => detectOpenDataLayout(header)).toThrow(OpenDataHeaderError);
    expect(() => detectOpenDataLayout(header)).toThrow(/推奨データセット 医療機関一覧として足りない列: 名称, 所在地/);
  });

  it("names the missing columns of the closest layout for an unknown header", () => {
    const header = CARE_HEADER.split(",").filter((name) => name !== "事業所番号" && name !== "サービスの種類");
    let error: unknown;
    try {
      detectOpenDataLayout(header);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(OpenDataHeaderError);
    expect((error as OpenDataHeaderError).missing).toEqual(["サービスの種類", "事業所番号"]);
  });

  it("rejects a file that is something else entirely", () => {
    expect(() => detectOpenDataLayout(["id", "name", "lat", "lng"])).toThrow(/足りない列: .*事業所名/);
  });
});

describe("parseJapaneseDate", () => {
  it.each([
    ["昭32. 7. 1", "1957-07-01"],
    ["平29. 7. 1", "2017-07-01"],
    ["平7. 10. 5", "1995-10-05"],
    ["令4. 10. 5", "2022-10-05"],
    ["令和2年4月1日", "2020-04-01"],
    ["令和元年5月1日", "2019-05-01"],
    ["平成31年4月30日", "2019-04-30"],
    ["R2.4.1", "2020-04-01"],
    ["H29/7/1", "2017-07-01"],
    ["2022-11-23", "2022-11-23"],
    ["2022/11/23", "2022-11-23"],
    ["２０２２年１１月２３日", "2022-11-23"],
  ])("%s → %s", (text, expected) => {
    expect(parseJapaneseDate(text)).toBe(expected);
  });

  it.each(["", "不明", "令和2年2月30日", "2022-13-01", "X2.4.1"])("rejects 「%s」", (text) => {
    expect(parseJapaneseDate(text)).toBeUndefined();
  });
});

describe("parseDepartments", () => {
  it("splits on ; and expands the bureau abbreviations, keeping unknown ones", () => {
    expect(parseDepartments("内;外;整外;耳い;ひ;救命; ;内")).toEqual(["内科", "外科", "整形外科", "耳鼻いんこう科", "泌尿器科", "救命"]);
    expect(parseDepartments("呼吸器内科；循環器内科")).toEqual(["呼吸器内科", "循環器内科"]);
    expect(parseDepartments("")).toEqual([]);
  });
});

describe("care-service layout (jigyosho_130.csv: BOM, CRLF, full-width digits, a multi-line cell, a blank line)", () => {
  let rows: OpenDataRow[];
  beforeAll(async () => {
    rows = await readRows(createReadStream(fixture("jigyosho_130.csv")));
  });

  it("yields every row with its physical line number", () => {
    expect(rows.map((row) => [row.line, "resource" in row])).toEqual([
      [2, true],
      [3, true],
      [4, true],
      [5, false],
      [6, false],
      [7, false],
      [8, false],
      [9, true],
      [12, false],
      [13, true],
    ]);
  });

  it("maps a good row to a validated resource input", () => {
    const { resource, upsertKey, warnings } = accepted(rows, 2);
    expect(warnings).toEqual([]);
    expect(upsertKey).toEqual({ "identifiers.careOfficeNumber": "1760100011", "identifiers.careServiceCode": "130" });
    expect(resource).toMatchObject({
      kind: "FORMAL",
      category: "visiting-nursing",
      names: { official: "訪問看護ステーションさくら", kana: "ホウモンカンゴステーションサクラ" },
      operatorName: "医療法人社団さくら会",
      identifiers: { careOfficeNumber: "1760100011", careServiceCode: "130", corporateNumber: "5220005000101" },
      address: { prefecture: "石川県", city: "小松市", street: "土居原町10番地", building: "さくらビル2階" },
      location: { latitude: 36.4053, longitude: 136.4468 },
      contact: { phone: "0761-00-1234", fax: "0761-00-1235", url: "https://example.org/sakura" },
      openingHours: { weekly: [], openDays: ["MON", "TUE", "WED", "THU", "FRI"], note: "土日祝は緊急時のみ対応" },
      provenance: { source: "OPEN_DATA", sourceName: "介護サービス情報公表システム オープンデータ" },
    });
  });

  it("normalises half-width kana, full-width numbers and schemeless URLs, and leaves out missing coordinates", () => {
    const { resource } = accepted(rows, 3);
    expect(resource.names.kana).toBe("アオバホウモンカンゴステーション");
    expect(resource.identifiers.careOfficeNumber).toBe("1760100029");
    expect(resource.address.street).toBe("園町ハ123番地");
    expect(resource.contact.url).toBe("http://www.example.org/aoba");
    expect(resource.location).toBeUndefined();
    expect(resource.openingHours?.closedOnPublicHolidays).toBe(true);
  });

  it("treats 0,0 coordinates as no location", () => {
    const { resource } = accepted(rows, 4);
    expect(resource.location).toBeUndefined();
    expect(resource.openingHours?.openDays).toHaveLength(7);
  });

  it("reports each bad row with the column to fix", () => {
    expect(rejected(rows, 5)).toEqual([{ field: "列数", reason: expect.stringContaining("列が23個あります（ヘッダーは24列）") }]);
    expect(rejected(rows, 6)).toEqual([{ field: "事業所番号", reason: "事業所番号は10桁の数字です (10 digits)" }]);
    expect(rejected(rows, 7)).toEqual([{ field: "緯度", reason: "緯度は-90〜90です (latitude -90..90)" }]);
    expect(rejected(rows, 8).map((error) => error.field)).toEqual(["法人番号", "電話番号"]);
    expect(rejected(rows, 12)).toEqual([
      { field: "サービスの種類", reason: "未対応のサービスの種類です (unsupported service type): 夜間対応型訪問看護" },
    ]);
  });

  it("reads a quoted cell across lines and a quoted comma", () => {
    expect(accepted(rows, 9).resource.openingHours?.note).toBe("土曜は午前のみ 日曜・祝日は休み");
    expect(accepted(rows, 13).resource.names.official).toBe("ひかり訪問看護ステーション, 分室");
    expect(accepted(rows, 13).resource.contact.phone).toBe("0761-00-9012");
  });

  it("gives the same rows when the bytes arrive in small chunks that split characters and CRLF", async () => {
    const split = await readRows(chunks(readFileSync(fixture("jigyosho_130.csv")), 7));
    expect(split).toEqual(rows);
  });

  it("produces inputs the resource schema accepts as they are", () => {
    for (const row of rows) {
      if ("resource" in row) expect(validateResourceInput(row.resource)).toEqual({ ok: true, value: row.resource });
    }
  });
});

describe("the same office across service files", () => {
  it("keeps each service a separate record keyed by its own identifier", async () => {
    const visiting = await readRows(createReadStream(fixture("jigyosho_130.csv")));
    const management = await readRows(createReadStream(fixture("jigyosho_430.csv")));
    const sakuraNursing = accepted(visiting, 2);
    const sakuraManagement = accepted(management, 2);
    // Same corporation and address, different 事業所番号.
    expect(sakuraManagement.resource.identifiers.corporateNumber).toBe(sakuraNursing.resource.identifiers.corporateNumber);
    expect(sakuraManagement.resource.address).toEqual(sakuraNursing.resource.address);
    expect(sakuraManagement.upsertKey).toEqual({ "identifiers.careOfficeNumber": "1770100019", "identifiers.careServiceCode": "430" });
    // Same 事業所番号 holding two services: the service code keeps the records apart.
    const aoba = "1760100029";
    expect(accepted(management, 3).upsertKey).toEqual({ "identifiers.careOfficeNumber": aoba, "identifiers.careServiceCode": "430" });
    expect(accepted(visiting, 3).upsertKey).toEqual({ "identifiers.careOfficeNumber": aoba, "identifiers.careServiceCode": "130" });
    expect(accepted(management, 3).resource.category).toBe("care-management");
  });
});

describe("medical-institution layout (medical-institutions.csv)", () => {
  let rows: OpenDataRow[];
  beforeAll(async () => {
    rows = await readRows(createReadStream(fixture("medical-institutions.csv")));
  });

  it("maps a hospital: 7-digit code completed, era date, departments, beds, hours and notes", () => {
    const { resource, upsertKey, warnings } = accepted(rows, 2);
    expect(warnings).toEqual([]);
    expect(upsertKey).toEqual({ "identifiers.medicalInstitutionCode": "1710110011" });
    expect(resource).toMatchObject({
      kind: "FORMAL",
      category: "hospital",
      identifiers: { medicalInstitutionCode: "1710110011", corporateNumber: "6220005000505", designatedOn: "1957-07-01" },
      address: { postalCode: "923-8560", prefecture: "石川県", city: "小松市", street: "向本折町ホ60番地" },
      departments: ["内科", "外科", "整形外科", "リハビリテーション科", "耳鼻いんこう科", "泌尿器科", "救命"],
      capacity: { maximum: 199, unit: "BEDS" },
      suspended: false,
      provenance: { source: "OPEN_DATA", sourceDate: "2024-04-01" },
    });
    expect(resource.openingHours?.weekly).toHaveLength(5);
    expect(resource.openingHours?.weekly[0]).toEqual({ day: "MON", opens: "08:30", closes: "17:00" });
    expect(resource.openingHours?.note).toBe("第1・第3土曜は午前診療 / 時間外: 24時間救急対応");
  });

  it("maps a clinic with two intervals a day, a 〒 postal code and an address repeating the prefecture", () => {
    const { resource } = accepted(rows, 3);
    expect(resource.category).toBe("clinic");
    expect(resource.names.kana).toBe("ヤマダナイカクリニック");
    expect(resource.address).toEqual({
      postalCode: "923-0801",
      prefecture: "石川県",
      city: "小松市",
      street: "園町ヌ48番地",
      building: "ソノマチビル1F",
    });
    expect(resource.contact.phone).toBe("0761-00-3311");
    expect(resource.openingHours?.weekly.filter((interval) => interval.day === "MON")).toEqual([
      { day: "MON", opens: "09:00", closes: "12:00" },
      { day: "MON", opens: "15:00", closes: "18:00" },
    ]);
    expect(resource.openingHours?.weekly.some((interval) => interval.day === "THU")).toBe(false);
    expect(resource.capacity).toBeUndefined();
    expect(resource.departments).toEqual(["内科", "小児科", "アレルギー科"]);
  });

  it("completes a dental code with 点数表 3 and reads 令和 dates", () => {
    const { resource } = accepted(rows, 4);
    expect(resource.identifiers).toMatchObject({ medicalInstitutionCode: "1730130012", designatedOn: "2020-04-01" });
    expect(resource.category).toBe("dental-clinic");
  });

  it("keeps a suspended pharmacy with a warning for its unreadable date", () => {
    const row = accepted(rows, 5);
    expect(row.resource).toMatchObject({ category: "pharmacy", suspended: true });
    expect(row.resource.identifiers.designatedOn).toBeUndefined();
    expect(row.warnings).toEqual([{ field: "指定年月日", reason: "日付を読み取れません (unreadable date): 不明" }]);
  });

  it("reports the bad rows", () => {
    expect(rejected(rows, 6)).toEqual([{ field: "医療機関の種類", reason: "未対応の医療機関の種類です (unsupported type): 助産所" }]);
    expect(rejected(rows, 7)).toEqual([{ field: "経度", reason: "数値ではありません (not a number): abc" }]);
    expect(rejected(rows, 8)).toEqual([{ field: "医療機関コード", reason: "医療機関コードは10桁の数字です (10 digits)" }]);
    expect(rejected(rows, 9)).toEqual([{ field: "列数", reason: expect.stringContaining("ヘッダーは37列") }]);
  });

  it("reads a Shift_JIS file the same as UTF-8", async () => {
    const sjis = await readRows(createReadStream(fixture("medical-institutions-sjis.csv")));
    expect(sjis).toEqual([{ ...accepted(rows, 3), line: 2 }]);
  });
});

describe("openOpenDataCsv", () => {
  it("counts the bytes read, for a progress bar", async () => {
    const file = await openOpenDataCsv(createReadStream(fixture("jigyosho_430.csv")));
    for await (const row of file.rows) expect(row.line).toBeGreaterThan(1);
    expect(file.bytesRead()).toBe(readFileSync(fixture("jigyosho_430.csv")).length);
  });

  it("closes the file when the reader stops early", async () => {
    const stream = createReadStream(fixture("jigyosho_130.csv"));
    const file = await openOpenDataCsv(stream);
    for await (const row of file.rows) {
      expect(row.line).toBe(2);
      break;
    }
    expect(stream.destroyed).toBe(true);
  });

  it("stops with a parse error when bytes stop being UTF-8 after the first chunk", async () => {
    async function* source() {
      yield Buffer.from(`${CARE_HEADER}\n${"x,".repeat(23)}x\n`);
      yield Buffer.from([0x31, 0xff, 0xfe, 0x0a]);
    }
    const file = await openOpenDataCsv(source());
    await expect(file.rows.next()).rejects.toBeInstanceOf(OpenDataParseError);
  });

  it("rejects an empty file and an unknown header before any row", async () => {
    await expect(openOpenDataCsv(chunks(Buffer.alloc(0), 1))).rejects.toThrow(/空のファイル/);
    await expect(openOpenDataCsv(chunks(Buffer.from("id,name\n1,x\n"), 64))).rejects.toBeInstanceOf(OpenDataHeaderError);
  });

  it("stops with the line where the file becomes unreadable", async () => {
    const broken = `${CARE_HEADER}\n${"x,".repeat(23)}x\n172031,"unterminated,${"x,".repeat(21)}x\n`;
    const file = await openOpenDataCsv(chunks(Buffer.from(broken), 1024));
    const lines: number[] = [];
    await expect(
      (async () => {
        for await (const row of file.rows) lines.push(row.line);
      })(),
    ).rejects.toThrow(OpenDataParseError);
    expect(lines).toEqual([2]);
    await expect(openOpenDataCsv(chunks(Buffer.from(broken), 1024)).then(async (again) => {
      for await (const row of again.rows) void row;
    })).rejects.toMatchObject({ line: 3 });
  });
});

describe("upsertKeyOf and formatRowProblems", () => {
  it("has no key without an official identifier", () => {
    const result = validateResourceInput({
      kind: "COMMUNITY",
      category: "salon",
      names: { official: "本町いきいきサロン" },
      address: { prefecture: "石川県", city: "つなぐ市" },
      provenance: { source: "VOLUNTEER" },
    });
    expect(result.ok && upsertKeyOf(result.value)).toBeUndefined();
  });

  it("prints one line per problem", () => {
    expect(formatRowProblems(12, [{ field: "事業所番号", reason: "事業所番号は10桁の数字です (10 digits)" }])).toEqual([
      "12行目 事業所番号: 事業所番号は10桁の数字です (10 digits)",
    ]);
  });
});
