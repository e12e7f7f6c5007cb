// mingo's expression operators and accumulators as the engine runs them: value-moving ones on typed values, computing ones on plain numbers with MongoDB's result types (or refused), and typed ones for arithmetic, $type, conversions and $group.
import { Decimal128, Double, Int32, Long, ObjectId, type Document } from "bson";
import { evalExpr } from "mingo/core";
import { resolve } from "mingo/util";
import type { Options } from "mingo/types";
import { $sum as plainSum } from "mingo/operators/accumulator";
import { compareValues, isPlainObject, valueKey } from "./bson-values";
import * as plainExpressions from "mingo/operators/expression";
import { CommandError } from "./errors";
import { asDouble, compareNumbers, expressionArithmetic, numberType, originalOf, plainNumbers, type NumberType } from "./numbers";

type Expression = (obj: Document, expr: unknown, options: Options) => unknown;
type Accumulator = (collection: Document[], expr: unknown, options: Options) => unknown;

/*
 * Documents reach mingo with their BSON number types (a Long, a whole Double, a Decimal128). Operators that only
 * move values (field paths, `$arrayElemAt`, `$map`, `$let`, `$mergeObjects`, ...) are handed the typed values and
 * return them untouched; operators that compute or compare are handed the plain-number view (mingo computes only
 * with JS numbers) and their numeric results are typed by MongoDB's rules for that operator, or refused (72).
 * `callerTakesTypes` tells an operator whether its caller keeps types: a stage setting field values does, one of
 * mingo's computing operators does not (it is handed plain numbers).
 */
let callerTakesTypes = false;

/** Runs a stage whose field values keep the types typed operators compute ($project, $addFields, $group, ...). */
export function evaluatingTyped<T>(typed: boolean, run: () => T): T {
  const outer = callerTakesTypes;
  callerTakesTypes = typed;
  try {
    return run();
  } finally {
    callerTakesTypes = outer;
  }
}

/** mingo's ComputeOptions (its class is not exported): `local` holds the root and variables bound, `options` the command's. */
interface BoundOptions extends Options {
  readonly local: { root?: unknown; variables?: Document };
  readonly options: Options;
  update(locals: Document): BoundOptions;
}

function isBound(options: Options): options is BoundOptions {
  const candidate = options as Partial<BoundOptions>;
  return typeof candidate.update === "function" && candidate.local !== undefined;
}

/** A copy of mingo's options with `locals` bound (a group, a join's variables), as mingo's own stages bind them. */
export function boundOptions(options: Options, locals: Document): Options {
  if (!isBound(options)) return options;
  return (options.constructor as unknown as { init(options: Options): BoundOptions }).init(options).update(locals);
}

function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/** The plain options last made for a bound options object, with the root and variables they were made for. */
const plainBound = new WeakMap<object, { root: unknown; variables: unknown; plain: Options }>();

/** The options with the plain-number view of the root and variables they bind (the same options when none holds a typed number). */
function plainOptions(options: Options): Options {
  const globals = options.variables;
  const plainGlobals = plainNumbers(globals);
  if (!isBound(options)) return plainGlobals === globals ? options : { ...options, variables: plainGlobals };
  const { root, variables } = options.local;
  const plainRoot = plainNumbers(root);
  // mingo binds a new (mostly empty) variables object for each evaluation: an empty one needs no view.
  const plainVariables = variables === undefined || !hasKeys(variables) ? variables : plainNumbers(variables);
  if (plainRoot === root && plainVariables === variables && plainGlobals === globals) return options;
  // mingo rebinds one options object per document: the operators evaluated for one document share its plain copy.
  const made = plainBound.get(options);
  if (made !== undefined && made.root === root && made.variables === variables) return made.plain;
  const Bound = options.constructor as unknown as new (options: Options, locals: Document) => BoundOptions;
  const plain = new Bound(plainGlobals === globals ? options.options : { ...options.options, variables: plainGlobals }, {
    ...options.local,
    root: plainRoot,
    variables: plainVariables,
  });
  plainBound.set(options, { root, variables, plain });
  return plain;
}

/** Refuses a case whose MongoDB number type the engine cannot give (InvalidOptions, 72). */
function refuseNumberType(what: string): never {
  throw new CommandError("InvalidOptions", `${what} is not supported by the embedded engine (the BSON number type MongoDB gives could not be kept)`);
}

/** True when `value`, or anything inside it (array elements, sub-document fields), passes `test`. */
function holdsDeep(value: unknown, test: (value: unknown) => boolean): boolean {
  if (test(value)) return true;
  if (Array.isArray(value)) return value.some((element) => holdsDeep(element, test));
  return isPlainObject(value) && Object.values(value).some((field) => holdsDeep(field, test));
}

/** True when a value holds a long, a whole double (kept as Double), an Int32 or a decimal: numbers mingo would compare or compute without their type. */
export function holdsWideNumber(value: unknown): boolean {
  return holdsDeep(value, (inner) => inner instanceof Long || inner instanceof Double || inner instanceof Int32 || inner instanceof Decimal128);
}

const holdsDecimal = (value: unknown): boolean => holdsDeep(value, (inner) => inner instanceof Decimal128);
const holdsNumber = (value: unknown): boolean => holdsDeep(value, (inner) => numberType(inner) !== undefined);

/** Every number in a result as a double (MongoDB's type for `$sqrt`, `$stdDevPop`, trigonometry...). */
function doublesIn(value: unknown): unknown {
  if (typeof value === "number") return asDouble(value);
  if (Array.isArray(value)) return value.map(doublesIn);
  return value;
}

/**
 * What the numbers in a mingo operator's result are in MongoDB. "computed": ints (sizes, positions, date parts) or no
 * numbers at all, so the plain number is MongoDB's int32. "double": always a double; refused for decimal operands
 * (MongoDB answers a decimal). "pick": one of its operands chosen by comparison, exact only when no operand is a
 * long, whole double or decimal (refused otherwise). Operators not listed are refused when their result holds a number.
 */
const RESULT_KINDS: Record<string, "computed" | "double" | "pick"> = Object.fromEntries([
  ...[
    "$size",
    "$indexOfArray",
    "$indexOfBytes",
    "$indexOfCP",
    "$strLenBytes",
    "$strLenCP",
    "$cmp",
    "$strcasecmp",
    "$year",
    "$month",
    "$dayOfMonth",
    "$dayOfWeek",
    "$dayOfYear",
    "$hour",
    "$minute",
    "$second",
    "$millisecond",
    "$week",
    "$isoWeek",
    "$isoWeekYear",
    "$isoDayOfWeek",
    "$dateToParts",
    "$range",
    "$toInt",
    "$regexFind",
    "$regexFindAll",
    "$and",
    "$or",
    "$not",
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$isArray",
    "$isNumber",
    "$allElementsTrue",
    "$anyElementTrue",
    "$setEquals",
    "$setIsSubset",
    "$concat",
    "$ltrim",
    "$rtrim",
    "$trim",
    "$split",
    "$toLower",
    "$toUpper",
    "$substr",
    "$substrBytes",
    "$substrCP",
    "$replaceAll",
    "$replaceOne",
    "$regexMatch",
    "$dateAdd",
    "$dateSubtract",
    "$dateFromParts",
    "$dateFromString",
    "$dateToString",
    "$dateTrunc",
    "$toBool",
    "$toDate",
    "$function",
    "$sampleRate",
    "$count",
    "$accumulator",
  ].map((name) => [name, "computed"]),
  ...[
    "$sqrt",
    "$exp",
    "$ln",
    "$log",
    "$log10",
    "$sigmoid",
    "$rand",
    "$acos",
    "$acosh",
    "$asin",
    "$asinh",
    "$atan",
    "$atan2",
    "$atanh",
    "$cos",
    "$cosh",
    "$sin",
    "$sinh",
    "$tan",
    "$tanh",
    "$degreesToRadians",
    "$radiansToDegrees",
    "$toDouble",
    "$median",
    "$percentile",
    "$stdDevPop",
    "$stdDevSamp",
    "$covariancePop",
    "$covarianceSamp",
  ].map((name) => [name, "double"]),
  ...["$maxN", "$minN", "$sortArray", "$setUnion", "$setIntersection", "$setDifference", "$top", "$topN", "$bottom", "$bottomN"].map((name) => [name, "pick"]),
]);

/** The operands an operator computes with, evaluated with their types (to judge the type of its result). */
function typedOperandsOf(obj: unknown, expr: unknown, options: Options, accumulator: boolean): unknown {
  return evaluatingTyped(true, () =>
    accumulator && Array.isArray(obj) ? accumulated(obj, expr, options) : evalExpr(originalOf(obj as Document), expr, options),
  );
}

/**
 * One of mingo's computing operators: handed the plain-number view of its document, operands and variables, and
 * answering, where its caller keeps types, with MongoDB's type for its result (see `RESULT_KINDS`) or a refusal.
 */
function plainOperator<F extends (...args: never[]) => unknown>(name: string, operator: F, accumulator = false): F {
  const kind = RESULT_KINDS[name];
  const run = operator as unknown as Expression;
  return ((obj: Document, expr: unknown, options: Options) => {
    const typed = callerTakesTypes;
    if (typed && (kind === "pick" || kind === "double")) {
      // An accumulator called as an expression ({ $stdDevPop: [...] }) is handed its values, already evaluated.
      const operands = expr === null ? obj : typedOperandsOf(obj, expr, options, accumulator);
      if (kind === "pick" && holdsWideNumber(operands)) refuseNumberType(`${name} over longs, whole doubles or decimals`);
      if (kind === "double" && holdsDecimal(operands)) refuseNumberType(`${name} of decimals`);
    }
    const result = evaluatingTyped(false, () => run(plainNumbers(obj), plainNumbers(expr), plainOptions(options)));
    if (!typed || kind === "computed" || kind === "pick") return result;
    if (kind === "double") return doublesIn(result);
    if (holdsNumber(result)) refuseNumberType(`the number ${name} computes`);
    return result;
  }) as unknown as F;
}

/**
 * An operator that returns (parts of) its operands as they are ($arrayElemAt, $map, $let, $mergeObjects...): where
 * the caller keeps types it is handed the typed document, and the operands that steer it (`controls`: a position or
 * count, as plain numbers; a `$filter` condition, judged by MongoDB's truthiness) are evaluated plain.
 */
function passOperator<F extends (...args: never[]) => unknown>(operator: F, controls: ReadonlyArray<string | number> = []): F {
  const run = operator as unknown as Expression;
  return ((obj: Document, expr: unknown, options: Options) => {
    if (!callerTakesTypes) return run(plainNumbers(obj), plainNumbers(expr), plainOptions(options));
    return run(originalOf(obj), steered(obj, expr, options, controls), options);
  }) as unknown as F;
}

function steered(obj: Document, expr: unknown, options: Options, controls: ReadonlyArray<string | number>): unknown {
  if (controls.length === 0 || expr === null || typeof expr !== "object") return expr;
  const copy = (Array.isArray(expr) ? [...expr] : { ...(expr as Document) }) as Record<string | number, unknown>;
  for (const key of controls) {
    if (!(key in copy)) continue;
    // mingo reads `$filter`'s limit without evaluating it.
    if (key === "limit") copy[key] = plainNumbers(copy[key]);
    else if (key === "cond") copy[key] = { $and: [copy[key]] };
    else copy[key] = { $literal: evaluatingTyped(false, () => evalExpr(plainNumbers(obj), plainNumbers(copy[key]), plainOptions(options))) };
  }
  return copy;
}

/** One of mingo's operators run on the plain-number view of its document, operands and variables (for dates and non-numbers). */
function viewed<F extends (...args: never[]) => unknown>(operator: F): F {
  const run = operator as unknown as Expression;
  return ((obj: Document, expr: unknown, options: Options) =>
    evaluatingTyped(false, () => run(plainNumbers(obj), plainNumbers(expr), plainOptions(options)))) as unknown as F;
}

/** A typed operator: it evaluates its operands taking types, and answers typed or plain as its caller takes. */
function typedOperator(operator: Expression): Expression {
  return (obj, expr, options) => {
    const typed = callerTakesTypes;
    const result = evaluatingTyped(true, () => operator(obj, expr, options));
    return typed ? result : plainNumbers(result);
  };
}

/** A plain field path ("$a.b"), whose typed value is read from the document behind the plain-number view. */
function fieldPath(expr: unknown): string | undefined {
  return typeof expr === "string" && expr.startsWith("$") && !expr.startsWith("$$") ? expr.slice(1) : undefined;
}

/**
 * A number literal of the stage as sent, with its BSON type: `original` is the operand in the stage as sent (mingo
 * sees the stage's plain-number view, where a long 5 or a double 1.0 is a bare 5 or 1), or `{ $literal: n }`.
 */
function typedLiteral(expr: unknown, original: unknown): unknown {
  if (typeof expr === "number" && numberType(original) !== undefined) return original;
  if (expr !== null && typeof expr === "object" && !Array.isArray(expr) && Object.keys(expr).length === 1 && "$literal" in expr) {
    const literal = (originalOf(expr) as Document).$literal;
    if (numberType(literal) !== undefined) return literal;
  }
  return undefined;
}

/**
 * An operand's value with its BSON number type: from the typed document for field paths, the literal as sent for
 * number literals (`original`: the operand in the stage as sent), as computed otherwise.
 */
function typedOperand(obj: Document, expr: unknown, options: Options, original: unknown = expr): unknown {
  const path = fieldPath(expr);
  if (path !== undefined) return resolve(originalOf(obj), path);
  return typedLiteral(expr, original) ?? evalExpr(obj, expr, options);
}

/** The operands of an array expression, each with its type (see `typedOperand`). */
function typedOperands(obj: Document, expr: unknown[], options: Options): unknown[] {
  const originals = originalOf(expr);
  return expr.map((operand, i) => typedOperand(obj, operand, options, originals[i]));
}

/** Sums numbers as MongoDB: the widest type wins, an int32 overflow becomes a long, a long overflow a double. */
function typedTotal(values: unknown[]): unknown {
  let total: unknown = 0;
  for (const value of values) if (numberType(value) !== undefined) total = expressionArithmetic("add", total, value);
  return total;
}

const $add: Expression = (obj, expr, options) => {
  if (!Array.isArray(expr)) return viewed(plainExpressions.$add)(obj, expr, options);
  const values = typedOperands(obj, expr, options);
  if (values.some((value) => value === null || value === undefined)) return null;
  // Dates and anything non-numeric keep mingo's handling (and its errors).
  if (!values.every((value) => numberType(value) !== undefined)) return viewed(plainExpressions.$add)(obj, expr, options);
  return typedTotal(values);
};

/** The operands of an arithmetic expression with their types, or undefined when mingo should handle them (dates, non-numbers, null). */
function numericOperands(obj: Document, expr: unknown, options: Options): unknown[] | undefined {
  if (!Array.isArray(expr)) return undefined;
  const values = typedOperands(obj, expr, options);
  return values.every((value) => numberType(value) !== undefined) ? values : undefined;
}

const $multiply: Expression = (obj, expr, options) => {
  const values = numericOperands(obj, expr, options);
  if (!values) return viewed(plainExpressions.$multiply)(obj, expr, options);
  return values.reduce((product, value) => expressionArithmetic("multiply", product, value), 1);
};

const $subtract: Expression = (obj, expr, options) => {
  const values = numericOperands(obj, expr, options);
  if (!values || values.length !== 2) {
    // A date minus a date is a long number of milliseconds; a date minus a number a date.
    const difference = viewed(plainExpressions.$subtract)(obj, expr, options);
    return typeof difference === "number" ? Long.fromNumber(difference) : difference;
  }
  return expressionArithmetic("add", values[0], expressionArithmetic("multiply", values[1], -1));
};

/** `$divide` gives a double (a decimal refuses rather than losing precision); zero divisors keep mingo's handling. */
const $divide: Expression = (obj, expr, options) => {
  const values = numericOperands(obj, expr, options);
  if (!values || values.length !== 2 || Number(values[1]) === 0) return viewed(plainExpressions.$divide)(obj, expr, options);
  if (values.some((value) => numberType(value) === "decimal"))
    throw new CommandError("InvalidOptions", "$divide of a decimal is not supported by the embedded engine");
  return asDouble(Number(String(values[0])) / Number(String(values[1])));
};

/** mingo's options as its $group passes them: `update` rebinds `$$ROOT` (and the current document) for one evaluation. */
interface RebindableOptions extends Options {
  update?(locals: { root: unknown }): Options;
}

/**
 * Values an accumulator sums or picks, each computed with `$$ROOT` bound to its own document (as mingo's own
 * accumulators do; unbound, `$$ROOT` and expressions would see the whole group). mingo calls the expression form
 * ($sum: [a, b]) with the values computed and no expression.
 */
function accumulated(collection: unknown[], expr: unknown, options: Options): unknown[] {
  if (expr === null) return collection;
  const rebindable = options as RebindableOptions;
  return collection.map((doc) => typedOperand(doc as Document, expr, rebindable.update?.({ root: doc }) ?? options));
}

/** `$avg` is a double for non-decimal numbers; decimals are refused rather than averaged in binary. */
const $avg: Accumulator = (collection, expr, options) => {
  const numbers = accumulated(collection, expr, options).filter((value) => numberType(value) !== undefined);
  if (numbers.length === 0) return null;
  if (numbers.some((value) => numberType(value) === "decimal"))
    throw new CommandError("InvalidOptions", "$avg of decimals is not supported by the embedded engine");
  return asDouble(numbers.reduce((sum: number, value) => sum + Number(String(value)), 0) / numbers.length);
};

const $sum: Accumulator = (collection, expr, options) => {
  if (typeof expr === "number") return plainSum(collection, expr, options);
  return typedTotal(accumulated(collection, expr, options));
};

const $type: Expression = (obj, expr, options) => {
  const single = Array.isArray(expr) && expr.length === 1;
  const operand = single ? expr[0] : expr;
  const value = typedOperand(obj, operand, options, single ? originalOf(expr)[0] : operand);
  const type = numberType(value);
  // Every number an operator answers where types are kept has MongoDB's type (or was refused).
  return type === undefined ? viewed(plainExpressions.$type)(obj, expr, options) : type;
};

/**
 * `$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte` and `$cmp` of two numbers compare their exact values across types (a long
 * beyond 2^53, a decimal), and a missing field is not null; anything else is compared by mingo, with the operands evaluated once.
 */
function comparison(name: "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$cmp", answer: (order: number) => unknown): Expression {
  return (obj, expr, options) => {
    if (!Array.isArray(expr) || expr.length !== 2) return viewed(plainExpressions[name])(obj, expr, options);
    const [a, b] = typedOperands(obj, expr, options);
    if (numberType(a) !== undefined && numberType(b) !== undefined) return answer(compareNumbers(a, b));
    // A missing field is a value of its own, below null (two missing fields are equal), as MongoDB compares them.
    if (a === undefined || b === undefined) return answer(Number(b === undefined) === Number(a === undefined) ? 0 : a === undefined ? -1 : 1);
    return viewed(plainExpressions[name])(obj, [{ $literal: plainNumbers(a) }, { $literal: plainNumbers(b) }] as never, options);
  };
}

const comparisons = {
  $eq: comparison("$eq", (order) => order === 0),
  $ne: comparison("$ne", (order) => order !== 0),
  $gt: comparison("$gt", (order) => order > 0),
  $gte: comparison("$gte", (order) => order >= 0),
  $lt: comparison("$lt", (order) => order < 0),
  $lte: comparison("$lte", (order) => order <= 0),
  $cmp: comparison("$cmp", (order) => order),
};

/** The string MongoDB gives for the values mingo cannot convert: ObjectId as 24 hex digits, typed numbers by value. */
function typedString(value: unknown): string | undefined {
  if (value instanceof ObjectId) return value.toHexString();
  if (value instanceof Long || value instanceof Decimal128) return value.toString();
  if (value instanceof Double || value instanceof Int32) return String(value.value);
  return undefined;
}

const $toString: Expression = (obj, expr, options) => {
  const operand = Array.isArray(expr) && expr.length === 1 ? expr[0] : expr;
  return typedString(typedOperand(obj, operand, options)) ?? viewed(plainExpressions.$toString)(obj, expr, options);
};

/** The number type `$convert` converts to ("int", "long", "double", "decimal" or their codes), or undefined. */
function numberTarget(to: unknown): NumberType | undefined {
  const byCode: Record<number, NumberType> = { 1: "double", 16: "int", 18: "long", 19: "decimal" };
  if (typeof to === "string") return ["int", "long", "double", "decimal"].includes(to) ? (to as NumberType) : undefined;
  return numberType(to) === undefined ? undefined : byCode[Number(to)];
}

const $convert: Expression = (obj, expr, options) => {
  const spec = expr as Document;
  const to = evalExpr(obj, spec?.to, options);
  if (to === "string" || to === 2) {
    const text = typedString(typedOperand(obj, spec.input, options));
    if (text !== undefined) return text;
  }
  const target = numberTarget(to);
  if (target === "long" || target === "decimal") {
    const input = typedOperand(obj, spec.input, options);
    if (target === "long" && input instanceof Long) return input;
    if (target === "decimal" && (input instanceof Decimal128 || numberType(input) === "int" || numberType(input) === "long"))
      return input instanceof Decimal128 ? input : Decimal128.fromString(String(input));
    if (target === "decimal" && input !== null && input !== undefined) refuseNumberType(`$convert to decimal of ${numberType(input) ?? typeof input}`);
  }
  const result = plainExpressions.$convert(plainNumbers(originalOf(obj)), plainNumbers(expr) as never, plainOptions(options));
  return target === "long" || target === "double" ? typedAs(result, target, "$convert") : result;
};

/** MongoDB's truthiness of a condition (false, null, undefined and zero of any number type are false), judged by `$and`. */
function holds(obj: Document, condition: unknown, options: Options): boolean {
  return evalExpr(obj, { $and: [condition] }, options) === true;
}

/** `$cond` returns one of its branches: a field or number literal there keeps its type. */
const $cond: Expression = (obj, expr, options) => {
  const plain = (): unknown => viewed(plainExpressions.$cond)(obj, expr as Parameters<typeof plainExpressions.$cond>[1], options);
  let spec: Document;
  let original: Document;
  if (Array.isArray(expr)) {
    if (expr.length !== 3) return plain();
    spec = { if: expr[0], then: expr[1], else: expr[2] };
    original = { then: originalOf(expr)[1], else: originalOf(expr)[2] };
  } else if (isPlainObject(expr)) {
    spec = expr;
    original = originalOf(expr);
  } else return plain();
  const branch = holds(obj, spec.if, options) ? "then" : "else";
  return typedOperand(obj, spec[branch], options, original[branch]);
};

/** `$ifNull` returns the first operand that is not null or missing: with its type. */
const $ifNull: Expression = (obj, expr, options) => {
  if (!Array.isArray(expr)) return viewed(plainExpressions.$ifNull)(obj, expr as unknown[], options);
  const originals = originalOf(expr);
  let value: unknown;
  for (const [i, operand] of expr.entries()) {
    value = typedOperand(obj, operand, options, originals[i]);
    if (value !== null && value !== undefined) return value;
  }
  return value;
};

/** `$switch` returns the `then` of the first branch whose case holds, or its default: with its type. */
const $switch: Expression = (obj, expr, options) => {
  const plain = (): unknown => viewed(plainExpressions.$switch)(obj, expr as Parameters<typeof plainExpressions.$switch>[1], options);
  if (!isPlainObject(expr) || !Array.isArray(expr.branches) || !expr.branches.every(isPlainObject)) return plain();
  const branches: Document[] = expr.branches;
  const original = originalOf(expr);
  const originalBranches: Document[] = original.branches;
  for (const [i, branch] of branches.entries()) {
    if (holds(obj, branch.case, options)) return typedOperand(obj, branch.then, options, originalBranches[i].then);
  }
  if (!("default" in expr)) return plain();
  return typedOperand(obj, expr.default, options, original.default);
};

/** Accumulators that pass values through keep their types when they read a field path. */
function passThrough(pick: (values: unknown[]) => unknown): Accumulator {
  return (collection, expr, options) => pick(accumulated(collection, expr, options));
}

const present = (values: unknown[]): unknown[] => values.filter((value) => value !== undefined && value !== null);

const $first = passThrough((values) => (values.length === 0 ? null : (values[0] ?? null)));
const $last = passThrough((values) => (values.length === 0 ? null : (values[values.length - 1] ?? null)));
const $push = passThrough((values) => values.filter((value) => value !== undefined));
const $min = passThrough((values) => present(values).reduce((best, value) => (best === null || compareValues(value, best) < 0 ? value : best), null));
const $max = passThrough((values) => present(values).reduce((best, value) => (best === null || compareValues(value, best) > 0 ? value : best), null));
/** `$addToSet` keeps the first of the values equal by value (int 1 and long 1 are one), each with its type. */
const $addToSet = passThrough((values) => {
  const seen = new Map<string, unknown>();
  for (const value of values) if (value !== undefined && !seen.has(valueKey(value))) seen.set(valueKey(value), value);
  return [...seen.values()];
});

/**
 * mingo looks expression operators up before accumulators, and its expression $first/$last serve $group
 * too (called with the group's documents): those calls get the typed accumulator, the rest the array operator.
 */
function groupAware(accumulate: Accumulator, expression: Expression): Expression {
  return (obj, expr, options) => (Array.isArray(obj) ? accumulate(obj as Document[], expr, options) : expression(obj, expr, options));
}

/** The number type an operator's plain result takes: `type`'s, an int beyond int32 a long, a whole number beyond a long (or a fraction) a double. */
function typedAs(result: unknown, type: NumberType, name: string): unknown {
  if (typeof result !== "number") return result;
  if (type === "decimal") refuseNumberType(`${name} of a decimal`);
  if (type === "double" || !Number.isInteger(result)) return asDouble(result);
  if (!Number.isSafeInteger(result)) {
    if (Math.abs(result) >= 2 ** 63) return asDouble(result);
    refuseNumberType(`${name} with a result beyond 2^53`);
  }
  return type === "int" && result >= -(2 ** 31) && result < 2 ** 31 ? result : Long.fromNumber(result);
}

const TYPE_ORDER: NumberType[] = ["int", "long", "double", "decimal"];

/**
 * Operators whose result has the type of their widest number operand (`firstOnly`: of the first, as `$round` and
 * `$trunc`): mingo computes with the plain numbers; a long beyond 2^53 or a decimal is refused rather than computed in binary.
 */
function sameTypeOperator(name: string, operator: Expression, firstOnly = false): Expression {
  return (obj, expr, options) => {
    const list = Array.isArray(expr);
    const operands = list ? typedOperands(obj, expr, options) : [typedOperand(obj, expr, options)];
    const types = (firstOnly ? operands.slice(0, 1) : operands).map(numberType).filter((type) => type !== undefined);
    if (name.startsWith("$bit") && types.includes("long")) refuseNumberType(`${name} of a long`);
    if (operands.some((value) => value instanceof Long && !Number.isSafeInteger(Number(value.toString())))) refuseNumberType(`${name} of a long beyond 2^53`);
    const literals = operands.map((value) => ({ $literal: plainNumbers(value) }));
    const result = evaluatingTyped(false, () => operator(plainNumbers(originalOf(obj)), list ? literals : literals[0], plainOptions(options)));
    if (types.length === 0) return result;
    return typedAs(
      result,
      types.reduce((a, b) => (TYPE_ORDER.indexOf(a) > TYPE_ORDER.indexOf(b) ? a : b)),
      name,
    );
  };
}

/** `$toLong`: a long keeps its value, anything else converts as mingo converts it. */
const $toLong: Expression = (obj, expr, options) => {
  const operand = typedOperand(obj, Array.isArray(expr) && expr.length === 1 ? expr[0] : expr, options);
  if (operand instanceof Long) return operand;
  if (operand instanceof Decimal128) refuseNumberType("$toLong of a decimal");
  return typedAs(plainExpressions.$toLong(plainNumbers(originalOf(obj)), { $literal: plainNumbers(operand) }, plainOptions(options)), "long", "$toLong");
};

/** `$toDecimal` of an int, long, decimal or numeric string (exact); of a double or anything else it is refused. */
const $toDecimal: Expression = (obj, expr, options) => {
  const operand = typedOperand(obj, Array.isArray(expr) && expr.length === 1 ? expr[0] : expr, options);
  if (operand === null || operand === undefined) return null;
  if (operand instanceof Decimal128) return operand;
  const type = numberType(operand);
  if (type === "int" || type === "long") return Decimal128.fromString((operand as number | Long).toString());
  if (typeof operand === "string" && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(operand.trim())) return Decimal128.fromString(operand.trim());
  return refuseNumberType(`$toDecimal of ${type ?? typeof operand}`);
};

const typedExpressionOperators = Object.fromEntries(
  Object.entries({
    $add,
    $multiply,
    $subtract,
    $divide,
    $type,
    $toString,
    $convert,
    $cond,
    $ifNull,
    $switch,
    $toLong,
    $toDecimal,
    ...comparisons,
    $first: groupAware($first, passOperator(plainExpressions.$first)),
    $last: groupAware($last, passOperator(plainExpressions.$last)),
    ...Object.fromEntries(
      (["$abs", "$ceil", "$floor", "$mod", "$pow", "$bitAnd", "$bitOr", "$bitXor", "$bitNot"] as const).map((name) => [
        name,
        sameTypeOperator(name, plainExpressions[name] as Expression),
      ]),
    ),
    $round: sameTypeOperator("$round", plainExpressions.$round as Expression, true),
    $trunc: sameTypeOperator("$trunc", plainExpressions.$trunc as Expression, true),
  }).map(([name, operator]) => [name, typedOperator(operator)]),
);

/** Operators that move values without computing them, with the operands that steer them (see `passOperator`). */
const PASS_CONTROLS: Record<string, ReadonlyArray<string | number>> = {
  $arrayElemAt: [1],
  $slice: [1, 2],
  $firstN: ["n"],
  $lastN: ["n"],
  $filter: ["cond", "limit"],
  $concatArrays: [],
  $reverseArray: [],
  $zip: [],
  $map: [],
  $let: [],
  $literal: [],
  $reduce: [],
  $objectToArray: [],
  $arrayToObject: [],
  $mergeObjects: [],
  $getField: [],
  $setField: [],
  $unsetField: [],
};

/** mingo's expression operators as the engine runs them: typed ones, value-moving ones on typed values, the rest plain. */
export function expressionOperators(mingoOperators: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(mingoOperators).map(([name, operator]) => [
      name,
      typedExpressionOperators[name] ??
        (name in PASS_CONTROLS ? passOperator(operator as Expression, PASS_CONTROLS[name]) : plainOperator(name, operator as Expression)),
    ]),
  );
}

const typedAccumulators: Record<string, Expression> = Object.fromEntries(
  Object.entries({ $sum, $avg, $first, $last, $push, $min, $max, $addToSet }).map(([name, accumulator]) => [
    name,
    typedOperator(accumulator as unknown as Expression),
  ]),
);

/** mingo's accumulators as the engine runs them: typed ones, value-moving ones ($mergeObjects, $firstN, $lastN) on typed values, the rest plain. */
export function accumulatorOperators(mingoOperators: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(mingoOperators).map(([name, operator]) => [
      name,
      typedAccumulators[name] ??
        (["$mergeObjects", "$firstN", "$lastN"].includes(name) ? passOperator(operator as Expression) : plainOperator(name, operator as Expression, true)),
    ]),
  );
}
