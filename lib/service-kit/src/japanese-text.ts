// Japanese search normalisation shared by every subgraph: one form for stored search keys and for queries.

/** Spacing voiced/semi-voiced marks (゛゜) become their combining forms so NFKC can join them to the kana before. */
const SPACING_SOUND_MARKS = /[\u309B\u309C]/g;
/** Full-width katakana ァ..ヶ and the iteration marks ヽヾ; each sits exactly 0x60 above its hiragana. */
const KATAKANA = /[\u30A1-\u30F6\u30FD\u30FE]/g;
/** Hyphen and dash look-alikes that people type interchangeably in names, addresses and numbers. */
const HYPHENS = /[\u2010-\u2015\u2043\u2212\uFE63\uFF0D]/g;
/** Characters left out of search keys and query terms: whitespace and the middle dot (ケアプラン・さくら). */
const KEY_SEPARATORS = /[\s\u30FB]+/g;
/** Kanji (CJK ideographs, extensions and compatibility forms) and the kanji iteration/closing marks 々〆〇. */
const KANJI = /[\u3005-\u3007\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\u{20000}-\u{3134F}]/u;
/** Hiragana letters (after normalisation every katakana letter is one of these). */
const HIRAGANA = /[\u3041-\u3096]/;

/**
 * Normalises Japanese text for comparison: NFKC (half-width ｶﾅ → full-width, full-width ＡＢＣ１２３ → ASCII,
 * 「ｶﾞ」「か゛」「か\u3099」 → 「が」), katakana → hiragana (ヴ → ゔ, ー kept), lower case, hyphen look-alikes → "-",
 * runs of whitespace (including the full-width space) → one space, trimmed.
 */
export function normalizeJapanese(text: string): string {
  return text
    .replace(SPACING_SOUND_MARKS, (mark) => (mark === "\u309B" ? "\u3099" : "\u309A"))
    .normalize("NFKC")
    .replace(KATAKANA, (kana) => String.fromCharCode(kana.charCodeAt(0) - 0x60))
    .replace(HYPHENS, "-")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** One stored search key: the normalised text without spaces or middle dots, so spacing differences never matter. */
export function toSearchKey(text: string): string {
  return normalizeJapanese(text).replace(KEY_SEPARATORS, "");
}

/**
 * The search keys to store on a record from its searchable texts (official name, kana reading, short name, ...):
 * normalised, de-duplicated, empty values dropped. The kana reading's key is in hiragana, so a kana query matches it.
 */
export function buildSearchKeys(texts: Iterable<string | null | undefined>): string[] {
  const keys = new Set<string>();
  for (const text of texts) {
    const key = text ? toSearchKey(text) : "";
    if (key) keys.add(key);
  }
  return [...keys];
}

/**
 * A query as normalised terms: split on whitespace, each normalised like a search key, duplicates dropped.
 * A record matches when every term is a substring of at least one of its keys (see `matchesSearchKeys`); in
 * MongoDB: `{ $and: terms.map((t) => ({ searchKeys: { $regex: escapeRegExp(t) } })) }`.
 */
export function searchTerms(query: string): string[] {
  return buildSearchKeys(normalizeJapanese(query).split(" "));
}

/** True when every term occurs in at least one key; the in-memory twin of the `$regex` filter above. */
export function matchesSearchKeys(keys: readonly string[], terms: readonly string[]): boolean {
  return terms.every((term) => keys.some((key) => key.includes(term)));
}

/** Escapes every regular-expression metacharacter so the text matches literally inside a pattern. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True for a kana reading: it has kana and no kanji (digits, Latin letters and punctuation are allowed). */
export function isKanaReading(text: string): boolean {
  const normalized = normalizeJapanese(text);
  return HIRAGANA.test(normalized) && !KANJI.test(normalized);
}
