// Aggregation operators that must see BSON number types and ObjectIds, which mingo's plain-number view hides: $sum, $avg, $add, $subtract, $multiply, $divide, $type, $toString, $convert to string, and $first/$last/$push/$min/$max in $group; and the number literals a stage sets as field values.
import { Decimal128, Double, Int32, Long, ObjectId, type Document } from "bson";
import { evalExpr } from "mingo/core";
import { resolve } from "mingo/util";
import type { Options } from "mingo/types";
import { $sum as plainSum } from "mingo/operators/accumulator";
import { compareValues, isPlainObject } from "./bson-values";
import * as plainExpressions from "mingo/operators/expression";
import { CommandError } from "./errors";
import { asDouble, expressionArithmetic, numberType, originalOf, plainNumbers } from "./numbers";

type Expression = (obj: Document, expr: unknown, options: Options) => unknown;
type Accumulator = (collection: Document[], expr: unknown, options: Options) => unknown;

/*
 * Typed results (a Long, a whole Double) are what a stage's field values and the typed operators need, but mingo's
 * own operators compute only with plain numbers. So a typed operator answers with its typed result only when the
 * one evaluating it takes types: another typed operator, or a stage that sets field values (`evaluatingTyped`);
 * inside mingo's operators (`withPlainOperands`) and stages such as $match it answers with the plain number.
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

/** One of mingo's operators: what it evaluates within comes to it as plain numbers. */
export function withPlainOperands<F extends (...args: never[]) => unknown>(operator: F): F {
  return ((...args: Parameters<F>) => evaluatingTyped(false, () => operator(...args))) as F;
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
export function typedLiteral(expr: unknown, original: unknown): unknown {
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
  if (!Array.isArray(expr)) return plainExpressions.$add(obj, expr, options);
  const values = typedOperands(obj, expr, options);
  if (values.some((value) => value === null || value === undefined)) return null;
  // Dates and anything non-numeric keep mingo's handling (and its errors).
  if (!values.every((value) => numberType(value) !== undefined)) return plainExpressions.$add(obj, expr, options);
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
  if (!values) return plainExpressions.$multiply(obj, expr, options);
  return values.reduce((product, value) => expressionArithmetic("multiply", product, value), 1);
};

const $subtract: Expression = (obj, expr, options) => {
  const values = numericOperands(obj, expr, options);
  if (!values || values.length !== 2) return plainExpressions.$subtract(obj, expr, options);
  return expressionArithmetic("add", values[0], expressionArithmetic("multiply", values[1], -1));
};

/** `$divide` gives a double (a decimal refuses rather than losing precision); zero divisors keep mingo's handling. */
const $divide: Expression = (obj, expr, options) => {
  const values = numericOperands(obj, expr, options);
  if (!values || values.length !== 2 || Number(values[1]) === 0) return plainExpressions.$divide(obj, expr, options);
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
  if (type === undefined) return plainExpressions.$type(obj, expr, options);
  // A number computed by mingo has lost its type; a field path, literal or typed result has kept it.
  if (typeof value === "number" && fieldPath(operand) === undefined && typeof operand !== "number" && typedLiteral(operand, operand) === undefined) {
    throw new CommandError("InvalidOptions", "$type of a computed number is not supported by the embedded engine (of a field or literal it is)");
  }
  return type;
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
  return typedString(typedOperand(obj, operand, options)) ?? plainExpressions.$toString(obj, expr, options);
};

const $convert: Expression = (obj, expr, options) => {
  const spec = expr as Document;
  const to = evalExpr(obj, spec?.to, options);
  if (to === "string" || to === 2) {
    const text = typedString(typedOperand(obj, spec.input, options));
    if (text !== undefined) return text;
  }
  return plainExpressions.$convert(obj, expr as never, options);
};

/** mingo's truthiness of a condition (MongoDB's: false, null, undefined and zero are false), by mingo's own `$cond`. */
function holds(obj: Document, condition: unknown, options: Options): boolean {
  return plainExpressions.$cond(obj, [condition, true, false], options) === true;
}

/** `$cond` returns one of its branches: a field or number literal there keeps its type. */
const $cond: Expression = (obj, expr, options) => {
  const plain = (): unknown => plainExpressions.$cond(obj, expr as Parameters<typeof plainExpressions.$cond>[1], options);
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
  if (!Array.isArray(expr)) return plainExpressions.$ifNull(obj, expr as unknown[], options);
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
  const plain = (): unknown => plainExpressions.$switch(obj, expr as Parameters<typeof plainExpressions.$switch>[1], options);
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

/**
 * mingo looks expression operators up before accumulators, and its expression $first/$last serve $group
 * too (called with the group's documents): those calls get the typed accumulator, the rest mingo's operator.
 */
function groupAware(name: "$first" | "$last", accumulate: Accumulator): Expression {
  return (obj, expr, options) => (Array.isArray(obj) ? accumulate(obj as Document[], expr, options) : plainExpressions[name](obj, expr, options));
}

export const typedExpressionOperators = Object.fromEntries(
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
    $first: groupAware("$first", $first),
    $last: groupAware("$last", $last),
  }).map(([name, operator]) => [name, typedOperator(operator)]),
);
export const typedAccumulators = Object.fromEntries(
  Object.entries({ $sum, $avg, $first, $last, $push, $min, $max }).map(([name, accumulator]) => [name, typedOperator(accumulator as unknown as Expression)]),
);

/** A long, whole double or decimal as sent (the values the plain-number view turns into bare numbers), else undefined. */
function typedNumber(value: unknown): unknown {
  return typeof value !== "number" && numberType(value) !== undefined ? value : undefined;
}

/** The typed number a field's specification sets: `{ $literal: n }`, or a bare number where it is a value and not a $project flag. */
function literalSetBy(value: unknown, bareIsValue: boolean): unknown {
  if (isPlainObject(value) && Object.keys(value).length === 1 && "$literal" in value) return typedNumber(value.$literal);
  return bareIsValue ? typedNumber(value) : undefined;
}

interface FieldLiteral {
  path: string[];
  /** The typed value from what mingo computed there. */
  typed: (computed: unknown) => unknown;
}

/** The typed number literals a field specification sets, by path (embedded documents and array literals included). */
function literalsOf(spec: Document, bareIsValue: boolean, prefix: string[] = [], found: FieldLiteral[] = []): FieldLiteral[] {
  for (const [key, value] of Object.entries(spec)) {
    const path = [...prefix, ...key.split(".")];
    const literal = literalSetBy(value, bareIsValue);
    if (literal !== undefined) found.push({ path, typed: () => literal });
    else if (Array.isArray(value)) {
      value.forEach((element, i) => {
        const elementLiteral = literalSetBy(element, true);
        if (elementLiteral !== undefined) found.push({ path: [...path, String(i)], typed: () => elementLiteral });
      });
    } else if (isPlainObject(value) && !Object.keys(value).some((name) => name.startsWith("$"))) literalsOf(value, bareIsValue, path, found);
  }
  return found;
}

/** `$group` fields `{ $sum: n }` with n a long or a whole double: the count times n has n's type (mingo sums the bare number). */
function typedCountsOf(group: Document): FieldLiteral[] {
  const found: FieldLiteral[] = [];
  for (const [field, accumulator] of Object.entries(group)) {
    if (field === "_id" || !isPlainObject(accumulator) || Object.keys(accumulator).length !== 1) continue;
    const type = numberType(typedNumber(accumulator.$sum));
    if (type === "long") found.push({ path: [field], typed: (sum) => (typeof sum === "number" ? Long.fromNumber(sum) : sum) });
    if (type === "double") found.push({ path: [field], typed: (sum) => (typeof sum === "number" ? asDouble(sum) : sum) });
  }
  return found;
}

/** The field specification of a stage that sets fields ($addFields, $set, $project, $replaceWith/$replaceRoot with a document), and whether a bare number there is a value. */
function fieldSpecification(stage: Document): { spec: Document; bareIsValue: boolean } | undefined {
  const name = Object.keys(stage)[0];
  const body: unknown = name === "$replaceRoot" && isPlainObject(stage[name]) ? stage[name].newRoot : stage[name];
  if (!isPlainObject(body) || Object.keys(body).some((key) => key.startsWith("$"))) return undefined;
  if (name === "$addFields" || name === "$set" || name === "$replaceWith" || name === "$replaceRoot") return { spec: body, bareIsValue: true };
  if (name === "$project") return { spec: body, bareIsValue: false };
  return undefined;
}

/** A copy of `target` with the typed value at `path` where the stage put a value (across arrays as the stage applies to each element). */
function withTypedAt(target: unknown, path: string[], typed: (computed: unknown) => unknown): unknown {
  const [head, ...rest] = path;
  if (Array.isArray(target)) {
    if (!/^\d+$/.test(head)) return target.map((element) => withTypedAt(element, path, typed));
    const index = Number(head);
    if (index >= target.length) return target;
    const copy = [...target];
    copy[index] = rest.length === 0 ? typed(target[index]) : withTypedAt(target[index], rest, typed);
    return copy;
  }
  if (!isPlainObject(target) || !(head in target)) return target;
  return { ...target, [head]: rest.length === 0 ? typed(target[head]) : withTypedAt(target[head], rest, typed) };
}

/**
 * Gives the fields a stage set to number literals the literals' BSON types (mingo saw them as bare numbers): `{ $set:
 * { n: Long(5) } }` sets a long, as MongoDB does. `stage` is the stage as sent; `output` the stage's result.
 */
export function withLiteralTypes(output: Document[], stage: Document): Document[] {
  const specification = fieldSpecification(stage);
  const literals = specification ? literalsOf(specification.spec, specification.bareIsValue) : isPlainObject(stage.$group) ? typedCountsOf(stage.$group) : [];
  if (literals.length === 0) return output;
  return output.map((doc) => literals.reduce<Document>((result, { path, typed }) => withTypedAt(result, path, typed) as Document, doc));
}
