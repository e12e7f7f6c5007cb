// A compiled matcher for the filter shapes services send most (equality, $in, $all, ranges, $regex, $exists, $ne under $and/$or), cheapest
// conditions tested first; anything else returns undefined and mingo evaluates it. Semantics follow MongoDB: an array matches when any element does.
import { BSONRegExp, type Document } from "bson";
import { bsonTypeCode, compareValues, isPlainObject, typeRank, valuesAtPath } from "./bson-values";
import { typeCodesOf } from "./numbers";

type Test = (doc: Document) => boolean;
type Compare = (a: unknown, b: unknown) => number;
/** A test and its rough cost per document (1 for one comparison of a value), so that a conjunction tries the cheapest first. */
interface Costed {
  test: Test;
  cost: number;
}
/** What a regular expression costs against one equality test. */
const REGEX_COST = 4;

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

/**
 * A test that some value `path` holds passes `accept`, arrays offering themselves and their elements, as MongoDB compares
 * them. A top-level path is read in place, without collecting its values (most conditions name one).
 */
function anyValue(path: string, accept: (candidate: unknown) => boolean): Test {
  if (!path.includes(".")) {
    return (doc) => {
      if (!Object.hasOwn(doc, path)) return false;
      const held: unknown = doc[path];
      return accept(held) || (Array.isArray(held) && held.some(accept));
    };
  }
  return (doc) => valuesAtPath(doc, path).some((leaf) => accept(leaf) || (Array.isArray(leaf) && leaf.some(accept)));
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
  return anyValue(path, (candidate) => typeRank(candidate) === rank && compare(candidate, value) === 0);
}

/**
 * `$in`: under binary comparison its strings are looked up in a set, so a look-up of a thousand keys reads the path
 * once per document instead of once per value; other values are tested one by one.
 */
function inTest(path: string, values: readonly unknown[], compare: Compare): Costed | undefined {
  const strings = new Set(compare === compareValues ? values.filter((value): value is string => typeof value === "string") : []);
  const each = values.filter((value) => !(typeof value === "string" && strings.has(value))).map((value) => equalsTest(path, value, compare));
  if (!each.every((t): t is Test => t !== undefined)) return undefined;
  const cost = each.length + (strings.size === 0 ? 0 : 1);
  if (strings.size === 0) return { test: (doc) => each.some((t) => t(doc)), cost };
  const inStrings = anyValue(path, (candidate) => typeof candidate === "string" && strings.has(candidate));
  return { test: each.length === 0 ? inStrings : (doc) => inStrings(doc) || each.some((t) => t(doc)), cost };
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
  return anyValue(path, (candidate) => typeof candidate === "string" && regex.test(candidate));
}

function operatorTest(path: string, operators: Document, compare: Compare): Costed | undefined {
  const tests: Costed[] = [];
  for (const [operator, operand] of Object.entries(operators)) {
    let test: Test | undefined;
    let cost = 1;
    if (operator === "$eq") test = equalsTest(path, operand, compare);
    else if (operator === "$ne") {
      const equal = equalsTest(path, operand, compare);
      test = equal && ((doc) => !equal(doc));
    } else if (operator === "$in" && Array.isArray(operand)) {
      const costed = inTest(path, operand, compare);
      if (!costed) return undefined;
      ({ test, cost } = costed);
    } else if (operator === "$all" && Array.isArray(operand) && operand.length > 0) {
      // `{ path: { $all: [a, b] } }` is `{ $and: [{ path: a }, { path: b }] }`.
      const each = operand.map((value) => equalsTest(path, value, compare));
      test = each.every((t) => t !== undefined) ? (doc) => each.every((t) => t(doc)) : undefined;
      cost = operand.length;
    } else if (operator in RANGE) {
      if (!simpleValue(operand)) return undefined;
      const rank = typeRank(operand);
      const accept = RANGE[operator];
      test = anyValue(path, (candidate) => typeRank(candidate) === rank && accept(compare(candidate, operand)));
    } else if (operator === "$exists") {
      const wanted = Boolean(operand);
      test = (doc) => valuesAtPath(doc, path).length > 0 === wanted;
    } else if (operator === "$regex") [test, cost] = [regexTest(path, operand, operators.$options), REGEX_COST];
    else if (operator === "$type") test = typeTest(path, operand);
    else if (operator === "$options" && "$regex" in operators) continue;
    if (!test) return undefined;
    tests.push({ test, cost });
  }
  return tests.length === 0 ? undefined : allOf(tests);
}

/** The tests, cheapest first (tests have no side effects, so the order changes only the work), and what they cost together. */
function cheapestFirst(tests: readonly Costed[]): { ordered: Test[]; cost: number } {
  return { ordered: [...tests].sort((a, b) => a.cost - b.cost).map(({ test }) => test), cost: tests.reduce((total, { cost }) => total + cost, 0) };
}

/** A conjunction, its cheapest tests first. */
function allOf(tests: Costed[]): Costed {
  const { ordered, cost } = cheapestFirst(tests);
  return { test: ordered.length === 1 ? ordered[0] : (doc) => ordered.every((t) => t(doc)), cost };
}

/** A disjunction, its cheapest tests first. */
function anyOf(tests: Costed[]): Costed {
  const { ordered, cost } = cheapestFirst(tests);
  return { test: (doc) => ordered.some((t) => t(doc)), cost };
}

function clauseTests(clauses: unknown, compare: Compare): Costed[] | undefined {
  if (!Array.isArray(clauses) || clauses.length === 0) return undefined;
  const tests = clauses.map((clause) => (isPlainObject(clause) ? compileCosted(clause, compare) : undefined));
  return tests.every((t) => t !== undefined) ? tests : undefined;
}

function compileCosted(filter: Document, compare: Compare): Costed | undefined {
  const tests: Costed[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    let costed: Costed | undefined;
    if (key === "$and" || key === "$or") {
      const subtests = clauseTests(condition, compare);
      if (subtests) costed = key === "$and" ? allOf(subtests) : anyOf(subtests);
    } else if (key.startsWith("$")) return undefined;
    else if (condition instanceof RegExp) {
      const test = regexTest(key, condition, undefined);
      costed = test && { test, cost: REGEX_COST };
    } else if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith("$"))) costed = operatorTest(key, condition, compare);
    else {
      const test = equalsTest(key, condition, compare);
      costed = test && { test, cost: 1 };
    }
    if (!costed) return undefined;
    tests.push(costed);
  }
  return tests.length === 0 ? { test: () => true, cost: 0 } : allOf(tests);
}

/** Compiles a filter, or returns undefined when it uses anything this matcher does not cover; `compare` orders values (a collation's). */
export function compileFastMatcher(filter: Document, compare: Compare = compareValues): Test | undefined {
  return compileCosted(filter, compare)?.test;
}
