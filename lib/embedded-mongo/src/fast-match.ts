// A compiled matcher for the filter shapes services send most (equality, $in, $all, ranges, $regex, $exists, $ne under $and/$or);
// anything else returns undefined and mingo evaluates it. Semantics follow MongoDB: an array matches when any element does.
import { BSONRegExp, type Document } from "bson";
import { bsonTypeCode, compareValues, isPlainObject, typeRank, valuesAtPath } from "./bson-values";
import { typeCodesOf } from "./numbers";

type Test = (doc: Document) => boolean;
type Compare = (a: unknown, b: unknown) => number;

const RANGE: Record<string, (c: number) => boolean> = {
  $gt: (c) => c > 0,
  $gte: (c) => c >= 0,
  $lt: (c) => c < 0,
  $lte: (c) => c <= 0,
};

/** A value that equality and ranges can compare directly (no arrays, sub-documents, regexes or null). */
function simpleValue(value: unknown): boolean {
  if (value === null || value === undefined || Array.isArray(value) || isPlainObject(value)) return false;
  return !(value instanceof RegExp || value instanceof BSONRegExp);
}

/** The values a path holds, with arrays contributing themselves and their elements, as MongoDB compares them. */
function candidates(doc: Document, path: string): unknown[] {
  const found: unknown[] = [];
  for (const leaf of valuesAtPath(doc, path)) {
    found.push(leaf);
    if (Array.isArray(leaf)) found.push(...leaf);
  }
  return found;
}

function equalsTest(path: string, value: unknown, compare: Compare): Test | undefined {
  if (value === null) {
    // `{ path: null }` also matches a missing field; only plain top-level paths are compiled.
    if (path.includes(".")) return undefined;
    return (doc) => {
      const held = doc[path];
      return held === undefined || held === null || (Array.isArray(held) && held.some((element) => element === null || element === undefined));
    };
  }
  if (!simpleValue(value)) return undefined;
  const rank = typeRank(value);
  return (doc) => candidates(doc, path).some((candidate) => typeRank(candidate) === rank && compare(candidate, value) === 0);
}

/**
 * `$in`: under binary comparison its strings are looked up in a set, so a look-up of a thousand keys reads the path
 * once per document instead of once per value; other values are tested one by one.
 */
function inTest(path: string, values: readonly unknown[], compare: Compare): Test | undefined {
  const strings = new Set(compare === compareValues ? values.filter((value): value is string => typeof value === "string") : []);
  const each = values.filter((value) => !(typeof value === "string" && strings.has(value))).map((value) => equalsTest(path, value, compare));
  if (!each.every((t): t is Test => t !== undefined)) return undefined;
  if (strings.size === 0) return (doc) => each.some((t) => t(doc));
  return (doc) => candidates(doc, path).some((candidate) => typeof candidate === "string" && strings.has(candidate)) || each.some((t) => t(doc));
}

/** `$type`: a value of one of the named BSON types at the path, or inside an array there ("array" matches the array). */
export function typeTest(path: string, operand: unknown): Test {
  const codes = typeCodesOf(operand);
  return (doc) =>
    valuesAtPath(doc, path).some((leaf) => {
      if (Array.isArray(leaf)) return codes.has(4) || leaf.some((element) => codes.has(bsonTypeCode(element)));
      return codes.has(bsonTypeCode(leaf));
    });
}

function regexTest(path: string, pattern: unknown, options: unknown): Test | undefined {
  let regex: RegExp;
  if (pattern instanceof RegExp) regex = pattern;
  else if (typeof pattern === "string" && (options === undefined || typeof options === "string")) {
    if (options !== undefined && !/^[imsu]*$/.test(options)) return undefined;
    try {
      regex = new RegExp(pattern, options);
    } catch {
      return undefined;
    }
  } else return undefined;
  return (doc) => candidates(doc, path).some((candidate) => typeof candidate === "string" && regex.test(candidate));
}

function operatorTest(path: string, operators: Document, compare: Compare): Test | undefined {
  const tests: Test[] = [];
  for (const [operator, operand] of Object.entries(operators)) {
    let test: Test | undefined;
    if (operator === "$eq") test = equalsTest(path, operand, compare);
    else if (operator === "$ne") {
      const equal = equalsTest(path, operand, compare);
      test = equal && ((doc) => !equal(doc));
    } else if (operator === "$in" && Array.isArray(operand)) test = inTest(path, operand, compare);
    else if (operator === "$all" && Array.isArray(operand) && operand.length > 0) {
      // `{ path: { $all: [a, b] } }` is `{ $and: [{ path: a }, { path: b }] }`.
      const each = operand.map((value) => equalsTest(path, value, compare));
      test = each.every((t) => t !== undefined) ? (doc) => each.every((t) => t(doc)) : undefined;
    } else if (operator in RANGE) {
      if (!simpleValue(operand)) return undefined;
      const rank = typeRank(operand);
      const accept = RANGE[operator];
      test = (doc) => candidates(doc, path).some((candidate) => typeRank(candidate) === rank && accept(compare(candidate, operand)));
    } else if (operator === "$exists") {
      const wanted = Boolean(operand);
      test = (doc) => valuesAtPath(doc, path).length > 0 === wanted;
    } else if (operator === "$regex") test = regexTest(path, operand, operators.$options);
    else if (operator === "$type") test = typeTest(path, operand);
    else if (operator === "$options" && "$regex" in operators) continue;
    if (!test) return undefined;
    tests.push(test);
  }
  return tests.length === 0 ? undefined : (doc) => tests.every((t) => t(doc));
}

function clauseTests(clauses: unknown, compare: Compare): Test[] | undefined {
  if (!Array.isArray(clauses) || clauses.length === 0) return undefined;
  const tests = clauses.map((clause) => (isPlainObject(clause) ? compileFastMatcher(clause, compare) : undefined));
  return tests.every((t) => t !== undefined) ? tests : undefined;
}

/** Compiles a filter, or returns undefined when it uses anything this matcher does not cover; `compare` orders values (a collation's). */
export function compileFastMatcher(filter: Document, compare: Compare = compareValues): Test | undefined {
  const tests: Test[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    let test: Test | undefined;
    if (key === "$and" || key === "$or") {
      const subtests = clauseTests(condition, compare);
      if (subtests) test = key === "$and" ? (doc) => subtests.every((t) => t(doc)) : (doc) => subtests.some((t) => t(doc));
    } else if (key.startsWith("$")) return undefined;
    else if (condition instanceof RegExp) test = regexTest(key, condition, undefined);
    else if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith("$"))) test = operatorTest(key, condition, compare);
    else test = equalsTest(key, condition, compare);
    if (!test) return undefined;
    tests.push(test);
  }
  return (doc) => tests.every((t) => t(doc));
}
