// Tests for Japanese search normalisation: kana, half-width, kanji and spacing variants must meet on the same keys.
import { buildSearchKeys, escapeRegExp, isKanaReading, matchesSearchKeys, normalizeJapanese, searchTerms, toSearchKey } from "../src/japanese-text";

describe("normalizeJapanese", () => {
  it.each([
    ["ﾎｳﾓﾝｶﾝｺﾞ", "ほうもんかんご"],
    ["ホウモンカンゴ", "ほうもんかんご"],
    ["ほうもんかんご", "ほうもんかんご"],
    ["訪問看護", "訪問看護"],
    ["ﾃﾞｲｻｰﾋﾞｽ", "でいさーびす"],
    ["ステーション", "すてーしょん"],
    ["ｽﾃｰｼｮﾝ", "すてーしょん"],
    ["ヴィラ", "ゔぃら"],
    ["ｳﾞｨﾗ", "ゔぃら"],
    ["ケ゛ンキ", "げんき"],
    ["ハ\u309Aン", "ぱん"],
    ["ハ\u309Cン", "ぱん"],
    ["か\u3099っこう", "がっこう"],
    ["ＡＢＣ１２３", "abc123"],
    ["ＪＡ北海道厚生連　旭川厚生病院", "ja北海道厚生連 旭川厚生病院"],
    ["  さくら　\t 訪問看護  ", "さくら 訪問看護"],
    ["１丁目１番６５号", "1丁目1番65号"],
    ["0761－22‐1234", "0761-22-1234"],
    ["ヽヾ", "ゝゞ"],
    ["㈱つなぐ", "(株)つなぐ"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeJapanese(input)).toBe(expected);
  });

  it("leaves kanji untouched and is idempotent", () => {
    const once = normalizeJapanese("小松市 ｻｸﾗ訪問看護ステーション");
    expect(once).toBe("小松市 さくら訪問看護すてーしょん");
    expect(normalizeJapanese(once)).toBe(once);
  });
});

describe("search keys and query terms", () => {
  const station = buildSearchKeys(["訪問看護ステーションつなぐ", "ホウモンカンゴステーション ツナグ", "つなぐ訪看"]);

  it("stores the normalised name, the hiragana reading and the short name", () => {
    expect(station).toEqual(["訪問看護すてーしょんつなぐ", "ほうもんかんごすてーしょんつなぐ", "つなぐ訪看"]);
  });

  it.each(["ほうもんかんご", "ﾎｳﾓﾝｶﾝｺﾞ", "訪問看護", "ホウモンカンゴ", "ほうもん　かんご", "つなぐ訪看"])("「%s」 finds the station", (query) => {
    expect(matchesSearchKeys(station, searchTerms(query))).toBe(true);
  });

  it("needs every term to match some key", () => {
    expect(matchesSearchKeys(station, searchTerms("訪問看護 つなぐ"))).toBe(true);
    expect(matchesSearchKeys(station, searchTerms("訪問看護 さくら"))).toBe(false);
    expect(matchesSearchKeys(station, searchTerms("訪問介護"))).toBe(false);
  });

  it("drops spaces and middle dots from keys so spelling variants meet", () => {
    expect(toSearchKey("ケアプラン・さくら")).toBe("けあぷらんさくら");
    expect(toSearchKey("ｹｱﾌﾟﾗﾝ･ｻｸﾗ")).toBe("けあぷらんさくら");
    expect(toSearchKey("医療法人社団　さくら会")).toBe("医療法人社団さくら会");
    expect(matchesSearchKeys(buildSearchKeys(["医療法人社団　さくら会"]), searchTerms("社団さくら会"))).toBe(true);
  });

  it("de-duplicates keys and terms and ignores empty values", () => {
    expect(buildSearchKeys(["さくら", "サクラ", "ｻｸﾗ", "", null, undefined, "  "])).toEqual(["さくら"]);
    expect(searchTerms("  ｻｸﾗ　さくら ・ ")).toEqual(["さくら"]);
    expect(searchTerms("")).toEqual([]);
  });
});

describe("escapeRegExp", () => {
  it("makes every metacharacter literal", () => {
    const text = "a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o/p-q";
    const pattern = new RegExp(`^${escapeRegExp(text)}$`, "u");
    expect(pattern.test(text)).toBe(true);
    expect(pattern.test("aXb*c+d?e^f$g{h}i(j)k|l[m]n\\o/p-q")).toBe(false);
  });

  it("finds a normalised term inside a stored key", () => {
    const [term] = searchTerms("(株)ｻｸﾗ");
    expect(term).toBe("(株)さくら");
    expect(new RegExp(escapeRegExp(term)).test(toSearchKey("㈱さくら薬局"))).toBe(true);
    expect(new RegExp(escapeRegExp(term)).test(toSearchKey("株さくら薬局"))).toBe(false);
  });
});

describe("isKanaReading", () => {
  it.each([
    ["ホウモンカンゴステーション", true],
    ["ﾎｳﾓﾝｶﾝｺﾞ", true],
    ["ほうもんかんご すてーしょん", true],
    ["エーティーケア２１", true],
    ["訪問看護", false],
    ["サクラ訪問看護", false],
    ["ABC", false],
    ["", false],
  ])("%s → %s", (text, expected) => {
    expect(isKanaReading(text)).toBe(expected);
  });
});
