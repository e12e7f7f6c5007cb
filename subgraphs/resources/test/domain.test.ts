// Tests for the resource schema (field paths and limits), identifiers, phone and postal normalisation, stored form.
import { matchesSearchKeys, searchTerms } from "@tsunagu/service-kit";
import {
  ACCEPT_CODES,
  ACCEPT_LABELS,
  corporateNumberCheckDigit,
  isValidCorporateNumber,
  normalizePhoneNumber,
  normalizePostalCode,
  resourceSearchKeys,
  toResourceRecord,
  validateResourceInput,
} from "../src/domain";
import type { ResourceInput, ResourceInputDraft } from "../src/domain";

const minimal: ResourceInputDraft = {
  kind: "FORMAL",
  category: "visiting-nursing",
  names: { official: "訪問看護ステーションつなぐ", kana: "ホウモンカンゴステーションツナグ", short: "つなぐ訪看" },
  address: { prefecture: "石川県", city: "つなぐ市" },
  provenance: { source: "PROVIDER" },
};

function valid(draft: ResourceInputDraft): ResourceInput {
  const result = validateResourceInput(draft);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

function errorsOf(draft: unknown): Record<string, string> {
  const result = validateResourceInput(draft);
  return result.ok ? {} : Object.fromEntries(result.errors.map((error) => [error.field, error.reason]));
}

describe("法人番号", () => {
  it("computes the check digit of real and made-up numbers", () => {
    expect(corporateNumberCheckDigit("000012050002")).toBe(7);
    expect(isValidCorporateNumber("7000012050002")).toBe(true);
    expect(isValidCorporateNumber("5220005000101")).toBe(true);
  });

  it.each(["4220005000101", "522000500010", "52200050001011", "522000500010a"])("rejects %s", (value) => {
    expect(isValidCorporateNumber(value)).toBe(false);
  });
});

describe("normalizePhoneNumber", () => {
  it.each([
    ["0761-22-1234", "0761-22-1234"],
    ["０７６１－２２－１２３４", "0761-22-1234"],
    ["0761‐22‐1234", "0761-22-1234"],
    ["(0761)22-1234", "0761-22-1234"],
    ["0761(22)1234", "0761-22-1234"],
    ["0761 22 1234", "0761-22-1234"],
    ["+81-761-22-1234", "0761-22-1234"],
    ["0761-22-1234（代表）", "0761-22-1234"],
    ["0761221234", "0761221234"],
    ["090-1234-5678", "090-1234-5678"],
    ["0120-123-456", "0120-123-456"],
  ])("%s → %s", (raw, expected) => {
    expect(normalizePhoneNumber(raw)).toBe(expected);
  });

  it.each(["0761-22", "761-22-1234", "0761-22-12345-6", "0761--22-1234", "tel 0761-22-1234", ""])("rejects 「%s」", (raw) => {
    expect(normalizePhoneNumber(raw)).toBeUndefined();
  });
});

describe("normalizePostalCode", () => {
  it.each([
    ["923-0801", "923-0801"],
    ["9230801", "923-0801"],
    ["〒923-0801", "923-0801"],
    ["〒９２３－０８０１", "923-0801"],
  ])("%s → %s", (raw, expected) => {
    expect(normalizePostalCode(raw)).toBe(expected);
  });

  it.each(["923-080", "92308011", "abc-defg"])("rejects %s", (raw) => {
    expect(normalizePostalCode(raw)).toBeUndefined();
  });
});

describe("validateResourceInput", () => {
  it("fills the defaults of a minimal input", () => {
    expect(valid(minimal)).toEqual({
      ...minimal,
      identifiers: {},
      servedDistricts: [],
      contact: {},
      contactWindows: [],
      accepts: [],
      departments: [],
      languages: [],
      suspended: false,
    });
  });

  it("normalises phone numbers and postal codes and turns date strings into Dates", () => {
    const value = valid({
      ...minimal,
      address: { ...minimal.address, postalCode: "〒９２３０８０１" },
      contact: { phone: "(0761)22-1234", email: "info@example.org", url: "https://example.org/" },
      capacity: { available: 3, maximum: 40, unit: "CASES", updatedAt: "2025-06-01T09:00:00+09:00" },
      provenance: { source: "COORDINATOR", verifiedAt: new Date("2025-05-01T00:00:00Z"), verifiedBy: "長寿介護課" },
    });
    expect(value.address.postalCode).toBe("923-0801");
    expect(value.contact.phone).toBe("0761-22-1234");
    expect(value.capacity?.updatedAt).toEqual(new Date("2025-06-01T00:00:00Z"));
    expect(value.provenance.verifiedAt).toEqual(new Date("2025-05-01T00:00:00Z"));
  });

  it("reports every problem with its field path", () => {
    expect(
      errorsOf({
        ...minimal,
        category: "Visiting Nursing",
        names: { official: "", kana: "訪問看護", short: "x".repeat(61) },
        identifiers: { careOfficeNumber: "176010001", medicalInstitutionCode: "17101A0001", corporateNumber: "4220005000101" },
        address: { prefecture: "石川県", city: "つなぐ市", postalCode: "923-080" },
        location: { latitude: 135, longitude: -181 },
        contact: { phone: "0761-22", email: "info@", url: "javascript:alert(1)" },
        contactWindows: [{ name: "山田 花子", phone: "123", avoidCallingHours: [{ from: "13:00", to: "12:00" }], preferredChannel: "PIGEON" }],
        openingHours: {
          weekly: [
            { day: "MON", opens: "09:00", closes: "09:00" },
            { day: "FUN", opens: "9:00", closes: "12:00" },
          ],
          annualClosures: [{ from: "02-30", to: "01-03" }],
          closures: [{ from: "2025-08-16", to: "2025-08-13" }],
          exceptions: [{ date: "2025-01-01" }, { date: "2025-01-01" }],
        },
        accepts: ["SUCTION", "MAGIC"],
        capacity: { available: 5, maximum: 3, unit: "BEDS" },
        languages: ["Japanese"],
        provenance: { source: "RUMOUR", verifiedAt: "yesterday" },
      }),
    ).toEqual({
      category: "分類コードは英小文字・数字・ハイフンです (lower-case code)",
      "names.official": "空にできません (must not be empty)",
      "names.kana": "読み仮名はカタカナかひらがなで入力してください (kana only, no kanji)",
      "names.short": "60文字以内にしてください (at most 60 characters)",
      "identifiers.careOfficeNumber": "事業所番号は英数字10桁です (10 letters or digits)",
      "identifiers.medicalInstitutionCode": "医療機関コードは10桁の数字です (10 digits)",
      "identifiers.corporateNumber": "法人番号のチェックデジットが一致しません (check digit mismatch)",
      "address.postalCode": "郵便番号は7桁です (7 digits, 123-4567)",
      "location.latitude": "緯度は-90〜90です (latitude -90..90)",
      "location.longitude": "経度は-180〜180です (longitude -180..180)",
      "contact.phone": "電話番号は0から始まる10〜11桁です (a Japanese number, 10-11 digits from 0)",
      "contact.email": "メールアドレスの形式ではありません (not an e-mail address)",
      "contact.url": "http(s)のURLではありません (not an http(s) URL)",
      "contactWindows.0.phone": "電話番号は0から始まる10〜11桁です (a Japanese number, 10-11 digits from 0)",
      "contactWindows.0.preferredChannel": expect.stringContaining("PHONE"),
      "contactWindows.0.avoidCallingHours.0.to": "終了が開始より前です (to must be after from)",
      "openingHours.weekly.0.closes": "開始と終了が同じです (opens equals closes)",
      "openingHours.weekly.1.day": expect.stringContaining("MON"),
      "openingHours.weekly.1.opens": "時刻はHH:MM形式です (HH:MM, 00:00-24:00)",
      "openingHours.annualClosures.0.from": "月日はMM-DD形式の実在する日です (an existing MM-DD)",
      "openingHours.closures.0.to": "終了日が開始日より前です (to is before from)",
      "openingHours.exceptions": "同じ日付が重複しています (duplicate dates)",
      "accepts.1": expect.stringContaining("TUBE_FEEDING"),
      "capacity.available": "空きが定員を超えています (available exceeds maximum)",
      "capacity.updatedAt": "空き状況には更新日時が必要です (available needs updatedAt)",
      "languages.0": "言語コードの形式ではありません (BCP 47 code)",
      "provenance.source": expect.stringContaining("OPEN_DATA"),
      "provenance.verifiedAt": "日時はISO-8601形式です (ISO-8601 date-time with offset)",
    });
  });

  it("refuses duplicates in code lists", () => {
    expect(errorsOf({ ...minimal, accepts: ["SUCTION", "DEMENTIA", "SUCTION"] })).toEqual({
      accepts: "同じ値が重複しています (duplicate values)",
    });
  });

  it("caps lengths and list sizes", () => {
    expect(errorsOf({ ...minimal, names: { official: "あ".repeat(201) } })).toEqual({
      "names.official": "200文字以内にしてください (at most 200 characters)",
    });
    expect(errorsOf({ ...minimal, servedDistricts: Array.from({ length: 51 }, (_, index) => `圏域${index}`) })).toEqual({
      servedDistricts: "50件までです (at most 50 items)",
    });
  });

  it("accepts an interval past midnight and 24:00 as a closing time", () => {
    const value = valid({
      ...minimal,
      openingHours: {
        weekly: [
          { day: "FRI", opens: "22:00", closes: "06:00" },
          { day: "SAT", opens: "00:00", closes: "24:00" },
        ],
      },
    });
    expect(value.openingHours?.weekly).toHaveLength(2);
  });
});

describe("accept codes", () => {
  it("labels every code in Japanese and English", () => {
    const required = ["TUBE_FEEDING", "SUCTION", "INSULIN", "PRESSURE_ULCER", "HOME_OXYGEN", "DEMENTIA", "TERMINAL_CARE"];
    expect(ACCEPT_CODES).toEqual(expect.arrayContaining([...required, "TWENTY_FOUR_HOUR"]));
    expect(Object.keys(ACCEPT_LABELS).sort()).toEqual([...ACCEPT_CODES].sort());
    expect(ACCEPT_LABELS.SUCTION).toEqual({ ja: "喀痰吸引", en: "Suction" });
  });
});

describe("toResourceRecord", () => {
  const now = new Date("2025-06-01T00:00:00Z");
  const input = valid({ ...minimal, operatorName: "医療法人社団さくら会", location: { latitude: 36.4053, longitude: 136.4468 } });

  it("stores the location as a GeoJSON point, longitude first, and is not archived", () => {
    const record = toResourceRecord(input, now, []);
    expect(record.location).toEqual({ type: "Point", coordinates: [136.4468, 36.4053] });
    expect(record.archivedAt).toBeNull();
    expect(record.provenance.modifiedAt).toEqual(now);
    expect("latitude" in record).toBe(false);
  });

  it("keeps a given modifiedAt and leaves out a missing location", () => {
    const modifiedAt = new Date("2024-01-01T00:00:00Z");
    const record = toResourceRecord(valid({ ...minimal, provenance: { source: "PROVIDER", modifiedAt } }), now, []);
    expect(record.provenance.modifiedAt).toEqual(modifiedAt);
    expect("location" in record).toBe(false);
  });

  it("stores search keys for the names, the operator and the category's labels", () => {
    const keys = resourceSearchKeys(input, ["訪問看護ステーション", "ホウモンカンゴステーション", "Visiting nursing station"]);
    expect(keys).toEqual([
      "訪問看護すてーしょんつなぐ",
      "ほうもんかんごすてーしょんつなぐ",
      "つなぐ訪看",
      "医療法人社団さくら会",
      "訪問看護すてーしょん",
      "ほうもんかんごすてーしょん",
      "visitingnursingstation",
    ]);
    for (const query of ["ほうもんかんご", "ﾎｳﾓﾝｶﾝｺﾞ", "訪問看護", "さくら会", "visiting nursing"]) {
      expect(matchesSearchKeys(keys, searchTerms(query))).toBe(true);
    }
    expect(matchesSearchKeys(keys, searchTerms("訪問介護"))).toBe(false);
  });
});
