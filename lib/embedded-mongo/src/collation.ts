// Collation (locales simple, en and ja, strengths 1-3) by Intl.Collator; collated indexes order their B-tree with this comparator, as Intl has no sort-key API.
import type { Document } from "bson";
import { CommandError } from "./errors";
import { compareValues, isPlainObject, typeRank } from "./bson-values";

/** A non-simple collation: MongoDB's full specification of it and its value comparison. */
export interface Collation {
  spec: Document;
  /** `compareValues` with strings (also inside arrays and sub-documents) compared by the collator. */
  compare: (a: unknown, b: unknown) => number;
  /** Equal for collations that compare every string alike. */
  key: string;
}

/** The locales the engine implements besides "simple". */
const LOCALES = new Set(["en", "ja"]);
/** MongoDB's defaults, as it reports a collation back (ICU 57 is what MongoDB 7 bundles). */
const DEFAULTS = {
  caseLevel: false,
  caseFirst: "off",
  strength: 3,
  numericOrdering: false,
  alternate: "non-ignorable",
  maxVariable: "punct",
  normalization: false,
  backwards: false,
  version: "57.1",
} as const;
const SENSITIVITY: Record<number, "base" | "accent" | "variant"> = { 1: "base", 2: "accent", 3: "variant" };

const parsed = new Map<string, Collation>();

function unsupported(where: string, what: string): CommandError {
  return new CommandError(
    "InvalidOptions",
    `${where}: ${what} is not supported by the embedded engine (locales simple, en and ja; strength 1-3; caseLevel only with strength 1; numericOrdering and caseFirst are)`,
  );
}

/** Checks a collation document as MongoDB does; undefined for the simple (binary) collation. */
export function parseCollation(raw: unknown, where = "collation"): Collation | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) throw new CommandError("TypeMismatch", `BSON field '${where}' is the wrong type '${typeof raw}', expected type 'object'`);
  for (const field of Object.keys(raw)) {
    if (!(field in DEFAULTS) && field !== "locale") throw new CommandError("UnknownField", `BSON field 'collation.${field}' is an unknown field.`);
  }
  const locale = raw.locale;
  if (locale === undefined) throw new CommandError("IDLFailedToParse", "BSON field 'collation.locale' is missing but a required field");
  if (typeof locale !== "string")
    throw new CommandError("TypeMismatch", `BSON field 'collation.locale' is the wrong type '${typeof locale}', expected type 'string'`);
  if (locale === "simple") {
    if (Object.keys(raw).length > 1)
      throw new CommandError("BadValue", `Collation spec with locale "simple" cannot specify any other fields: ${JSON.stringify(raw)}`);
    return undefined;
  }
  if (!LOCALES.has(locale)) {
    if (!knownLocale(locale)) throw new CommandError("BadValue", `Field 'locale' is invalid in: ${JSON.stringify(raw)}`);
    throw unsupported(where, `locale "${locale}"`);
  }
  const spec: Document = { locale, ...DEFAULTS, ...raw };
  for (const field of ["caseLevel", "numericOrdering", "normalization", "backwards"])
    if (typeof spec[field] !== "boolean") throw new CommandError("TypeMismatch", `BSON field 'collation.${field}' is the wrong type, expected type 'bool'`);
  const strength = Number(spec.strength);
  if (!Number.isInteger(strength) || strength < 1 || strength > 5)
    throw new CommandError("BadValue", `Field 'strength' must be an integer 1 through 5. Got: ${spec.strength}`);
  spec.strength = strength;
  if (!["off", "upper", "lower"].includes(spec.caseFirst))
    throw new CommandError("BadValue", `Field 'caseFirst' must be "upper", "lower", or "off". Got: ${spec.caseFirst}`);
  if (!["non-ignorable", "shifted"].includes(spec.alternate))
    throw new CommandError("BadValue", `Field 'alternate' must be "non-ignorable" or "shifted". Got: ${spec.alternate}`);
  if (!["punct", "space"].includes(spec.maxVariable))
    throw new CommandError("BadValue", `Field 'maxVariable' must be "punct" or "space". Got: ${spec.maxVariable}`);
  if (strength > 3) throw unsupported(where, `strength ${strength}`);
  if (spec.caseLevel && strength > 1) throw unsupported(where, `caseLevel with strength ${strength}`);
  if (spec.alternate !== "non-ignorable" || spec.maxVariable !== "punct") throw unsupported(where, `alternate "shifted"/maxVariable`);
  if (spec.normalization) throw unsupported(where, "normalization");
  if (spec.backwards) throw unsupported(where, "backwards");
  spec.version = DEFAULTS.version;
  const key = JSON.stringify(spec);
  let collation = parsed.get(key);
  if (!collation) {
    const collator = new Intl.Collator(locale, {
      sensitivity: spec.caseLevel ? "case" : SENSITIVITY[strength],
      caseFirst: spec.caseFirst === "off" ? "false" : spec.caseFirst,
      numeric: spec.numericOrdering,
      usage: "sort",
    });
    collation = { spec, key, compare: collatedCompare((a, b) => Math.sign(collator.compare(a, b))) };
    parsed.set(key, collation);
  }
  return collation;
}

/** Whether ICU knows the locale (MongoDB refuses unknown ones with BadValue); malformed tags are unknown. */
function knownLocale(locale: string): boolean {
  try {
    return locale !== "" && Intl.Collator.supportedLocalesOf([locale.replace(/_/g, "-")]).length > 0;
  } catch {
    return false;
  }
}

/** The key of a collation for equality checks: "simple" for binary comparison. */
export function collationKey(collation: Collation | undefined): string {
  return collation?.key ?? "simple";
}

/** True when a value holds a string anywhere (collation changes how it compares). */
export function holdsString(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (Array.isArray(value)) return value.some(holdsString);
  if (isPlainObject(value)) return Object.values(value).some(holdsString);
  return false;
}

function collatedCompare(strings: (a: string, b: string) => number): (a: unknown, b: unknown) => number {
  const compare = (a: unknown, b: unknown): number => {
    if (typeof a === "string" && typeof b === "string") return strings(a, b);
    const rank = typeRank(a);
    if (rank !== typeRank(b) || !holdsString(a) || !holdsString(b)) return compareValues(a, b);
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const c = compare(a[i], b[i]);
        if (c !== 0) return c;
      }
      return Math.sign(a.length - b.length);
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      const keysA = Object.keys(a);
      const keysB = Object.keys(b);
      for (let i = 0; i < Math.min(keysA.length, keysB.length); i++) {
        const byType = Math.sign(typeRank(a[keysA[i]]) - typeRank(b[keysB[i]]));
        if (byType !== 0) return byType;
        const byName = compareValues(keysA[i], keysB[i]);
        if (byName !== 0) return byName;
        const byValue = compare(a[keysA[i]], b[keysB[i]]);
        if (byValue !== 0) return byValue;
      }
      return Math.sign(keysA.length - keysB.length);
    }
    return compareValues(a, b);
  };
  return compare;
}
