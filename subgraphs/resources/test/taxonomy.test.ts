// Tests for the default taxonomy and the mappings from the official open-data type codes and names.
import { isKanaReading } from "@tsunagu/service-kit";
import {
  CARE_SERVICE_TYPES,
  DEFAULT_TAXONOMY,
  MEDICAL_INSTITUTION_TYPES,
  categorySearchTerms,
  checkResourceCategory,
  findCareServiceType,
  inferCareServiceType,
  findMedicalInstitutionType,
  taxonomyCategorySchema,
  taxonomyProblems,
} from "../src/taxonomy";
import type { TaxonomyCategory } from "../src/taxonomy";

const codes = new Set(DEFAULT_TAXONOMY.map((entry) => entry.code));

describe("DEFAULT_TAXONOMY", () => {
  it("is a consistent tree of valid categories with kana readings", () => {
    expect(taxonomyProblems(DEFAULT_TAXONOMY)).toEqual([]);
    for (const entry of DEFAULT_TAXONOMY) {
      expect(taxonomyCategorySchema.parse(entry)).toEqual(entry);
      expect(isKanaReading(entry.kana)).toBe(true);
    }
  });

  it("covers the formal, informal and community resources of the issue", () => {
    expect([...codes]).toEqual(
      expect.arrayContaining([
        "hospital",
        "clinic",
        "dental-clinic",
        "pharmacy",
        "visiting-nursing",
        "care-management",
        "community-support-center",
        "day-care",
        "home-help",
        "short-stay",
        "small-multifunction",
        "group-home",
        "other-care-facility",
        "salon",
        "meal-delivery",
        "shopping-support",
        "mobility-support",
        "watching-over",
        "dementia-cafe",
        "volunteer-group",
        "consultation-desk",
        "continence-consultation",
      ]),
    );
    const kinds = (kind: string) => DEFAULT_TAXONOMY.filter((entry) => entry.kind === kind).map((entry) => entry.code);
    expect(kinds("INFORMAL")).toEqual(expect.arrayContaining(["meal-delivery", "shopping-support", "mobility-support"]));
    expect(kinds("COMMUNITY")).toEqual(expect.arrayContaining(["salon", "dementia-cafe", "watching-over", "volunteer-group"]));
    expect(DEFAULT_TAXONOMY.find((entry) => entry.code === "community-support-center")).toMatchObject({
      ja: "地域包括支援センター",
      en: "Community general support centre",
      parent: "consultation",
      kind: "FORMAL",
    });
  });

  it("maps every official type onto a category it has, with distinct codes", () => {
    for (const type of [...CARE_SERVICE_TYPES, ...MEDICAL_INSTITUTION_TYPES]) expect(codes.has(type.category)).toBe(true);
    expect(new Set(CARE_SERVICE_TYPES.map((type) => type.code)).size).toBe(CARE_SERVICE_TYPES.length);
  });
});

describe("findCareServiceType", () => {
  it.each([
    ["訪問介護", "110", "home-help"],
    ["訪問看護", "130", "visiting-nursing"],
    ["通所介護", "150", "day-care"],
    ["短期入所生活介護", "210", "short-stay"],
    ["認知症対応型共同生活介護", "320", "group-home"],
    ["居宅介護支援", "430", "care-management"],
    ["小規模多機能型居宅介護", "730", "small-multifunction"],
    ["地域密着型通所介護", "780", "day-care"],
    ["短期入所療養介護(介護老人保健施設)", "220", "medical-short-stay"],
    ["複合型サービス（看護小規模多機能型居宅介護）", "770", "nursing-small-multifunction"],
    [" 訪問看護 ", "130", "visiting-nursing"],
    ["430", "430", "care-management"],
    ["１３０_訪問看護", "130", "visiting-nursing"],
  ])("「%s」 → %s %s", (text, code, category) => {
    expect(findCareServiceType(text)).toMatchObject({ code, category });
  });

  it.each(["夜間対応型訪問看護", "999", "", "訪問"])("does not guess 「%s」", (text) => {
    expect(findCareServiceType(text)).toBeUndefined();
  });

  it("infers a new wording's service from its keywords, for an import to import with a warning", () => {
    expect(inferCareServiceType("介護予防訪問看護（新）")?.code).toBe("130");
    expect(inferCareServiceType("地域密着型特定施設入居者生活介護（軽費老人ホーム・新）")?.code).toBe("362");
    expect(inferCareServiceType("お茶会")).toBeUndefined();
  });
});

describe("findMedicalInstitutionType", () => {
  it.each([
    ["病院", "hospital", "1"],
    ["診療所", "clinic", "1"],
    ["一般診療所", "clinic", "1"],
    ["歯科診療所", "dental-clinic", "3"],
    ["薬局", "pharmacy", "4"],
    ["保険薬局", "pharmacy", "4"],
  ])("「%s」 → %s (点数表 %s)", (text, category, scoreTable) => {
    expect(findMedicalInstitutionType(text)).toMatchObject({ category, scoreTable });
  });

  it("does not guess other types", () => {
    expect(findMedicalInstitutionType("助産所")).toBeUndefined();
  });
});

describe("checkResourceCategory", () => {
  it("accepts a known category of the same kind", () => {
    expect(checkResourceCategory({ kind: "COMMUNITY", category: "salon" }, DEFAULT_TAXONOMY)).toEqual([]);
  });

  it("reports an unknown category and a kind that differs from the category's", () => {
    expect(checkResourceCategory({ kind: "COMMUNITY", category: "karaoke" }, DEFAULT_TAXONOMY)).toEqual([
      { field: "category", reason: "未登録の分類です (unknown category): karaoke" },
    ]);
    expect(checkResourceCategory({ kind: "FORMAL", category: "salon" }, DEFAULT_TAXONOMY)).toEqual([
      { field: "kind", reason: "分類 salon の種別は COMMUNITY です (category kind is COMMUNITY)" },
    ]);
  });

  it("accepts a category a city added", () => {
    const farming: TaxonomyCategory = {
      code: "farm-work",
      ja: "農作業の場",
      kana: "ノウサギョウノバ",
      en: "Farm work",
      parent: "community",
      kind: "COMMUNITY",
    };
    expect(checkResourceCategory({ kind: "COMMUNITY", category: "farm-work" }, [...DEFAULT_TAXONOMY, farming])).toEqual([]);
  });
});

describe("taxonomyProblems", () => {
  const entry = (code: string, parent: string | null): TaxonomyCategory => ({
    code,
    parent,
    ja: code,
    kana: "カナ",
    en: code,
    kind: "COMMUNITY",
  });

  it("finds duplicate codes, unknown parents and parent cycles", () => {
    expect(taxonomyProblems([entry("root", null), entry("root", null)])).toEqual(["duplicate code root"]);
    expect(taxonomyProblems([entry("orphan", "missing")])).toEqual(["orphan: unknown parent missing"]);
    expect(taxonomyProblems([entry("aa", "bb"), entry("bb", "aa")])).toEqual(["aa: parent cycle through aa", "bb: parent cycle through bb"]);
  });
});

describe("categorySearchTerms", () => {
  it("gives the Japanese label, its reading and the English label", () => {
    const station = DEFAULT_TAXONOMY.find((candidate) => candidate.code === "visiting-nursing");
    expect(station && categorySearchTerms(station)).toEqual(["訪問看護ステーション", "ホウモンカンゴステーション", "Visiting nursing station"]);
  });
});
