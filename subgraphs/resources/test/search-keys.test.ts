// The gram index of resource text: which grams a resource stores and a term needs, and text conditions that select exactly the resources the exact key test selects.
import { Query } from "mingo";
import { matchesSearchKeys, searchTerms } from "@tsunagu/service-kit";
import { categoryLabels } from "../src/categories";
import { generateDemoCity } from "../src/demo-city";
import { toResourceRecord } from "../src/domain";
import { gramsOfKeys, termGrams, textConditions } from "../src/search-keys";
import { DEFAULT_TAXONOMY, categorySearchTerms } from "../src/taxonomy";

const NOW = new Date("2025-06-02T00:00:00Z");
const LABELS = new Map(DEFAULT_TAXONOMY.map((entry) => [entry.code, categorySearchTerms(entry)]));
const RECORDS = generateDemoCity({ now: NOW }).map((input) => toResourceRecord(input, NOW, LABELS.get(input.category) ?? []));

test("a resource stores every adjacent pair and the last character of its own keys, not its category's labels", () => {
  expect(gramsOfKeys(["さくら", "歯科", "薬"]).sort()).toEqual(["くら", "さく", "ら", "歯科", "科", "薬"].sort());
  const station = RECORDS.find((record) => record.category === "visiting-nursing")!;
  expect(station.searchGrams).toEqual(
    gramsOfKeys(station.searchKeys.filter((key) => !["訪問看護すてーしょん", "ほうもんかんごすてーしょん", "visitingnursingstation"].includes(key))),
  );
  expect(station.searchGrams).not.toContain("vi");
});

test("a term needs its adjacent pairs; a one-character term any gram it begins", () => {
  expect(termGrams("訪問看護")).toEqual(["訪問", "問看", "看護"]);
  expect(termGrams("ささささ")).toEqual(["ささ"]);
  expect(textConditions("歯", [])[0]).toEqual({ searchGrams: { $regex: "^歯" } });
  expect(textConditions("*", [])[0]).toEqual({ searchGrams: { $regex: "^\\*" } });
});

test("a term found only in a category label selects the category as candidates", () => {
  expect(textConditions("nursing", categoryLabels(DEFAULT_TAXONOMY))[0]).toEqual({
    $or: [{ searchGrams: { $all: ["nu", "ur", "rs", "si", "in", "ng"] } }, { category: { $in: expect.arrayContaining(["visiting-nursing"]) } }],
  });
  expect(textConditions("さくら", []).length).toBe(2);
});

/** Queries of every kind: kanji, hiragana, half-width katakana, mixed, English labels, one character, several words, nothing found. */
const QUERIES = [
  "訪問看護",
  "ほうもんかんご",
  "ﾎｳﾓﾝｶﾝｺﾞ",
  "ケアプラン",
  "さくら 訪問",
  "歯",
  "ぐ",
  "科",
  "ん",
  "nursing",
  "visiting nursing",
  "通所",
  "病院 つなぐ",
  "薬局",
  "そんなものはない",
];

test.each(QUERIES)("「%s」 selects exactly the resources whose search keys hold every term", (query) => {
  const filter = new Query({ $and: textConditions(query, categoryLabels(DEFAULT_TAXONOMY)) });
  const byConditions = RECORDS.filter((record) => filter.test(record)).map((record) => record.names.official);
  const byKeys = RECORDS.filter((record) => matchesSearchKeys(record.searchKeys, searchTerms(query))).map((record) => record.names.official);
  expect(byConditions).toEqual(byKeys);
  if (query !== "そんなものはない") expect(byKeys.length).toBeGreaterThan(0);
});
