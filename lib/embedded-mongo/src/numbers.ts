// BSON number types kept end to end: int32, int64 (Long), double (whole ones as Double) and Decimal128, with
// MongoDB's exact cross-type comparison, `$type` names and update arithmetic ($inc/$mul promotion and overflow).
import { Decimal128, Double, Int32, Long, deserialize, type Document } from "bson";
import { CommandError } from "./errors";

/*
 * In memory a number is held as bson serialises it back to the same type:
 * - a JS number that is an integer in int32 range (not -0) is an int32, any other JS number is a double;
 * - a whole double in int32 range (or -0) stays a `Double`, a 64-bit integer a `Long`, a decimal a `Decimal128`.
 */

export type NumberType = "int" | "long" | "double" | "decimal";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function int32Range(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0);
}

/** The BSON number type of a value, or undefined when it is not a number. */
export function numberType(value: unknown): NumberType | undefined {
  if (typeof value === "number") return int32Range(value) ? "int" : "double";
  if (value instanceof Double) return "double";
  if (value instanceof Int32) return "int";
  if (value instanceof Long) return "long";
  if (value instanceof Decimal128) return "decimal";
  return undefined;
}

/** A number held so that bson writes it back as `type`. */
function typed(value: number, type: "int" | "double"): unknown {
  if (type === "double") return int32Range(value) || Object.is(value, -0) ? new Double(value) : value;
  return value;
}

/** Replaces bson's Int32/Double wrappers with the in-memory form above; Long and Decimal128 stay as they are. */
export function keepNumberTypes(value: unknown): unknown {
  if (value instanceof Int32) return value.value;
  if (value instanceof Double) return typed(value.value, "double");
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = keepNumberTypes(value[i]);
    return value;
  }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const doc = value as Document;
    for (const key of Object.keys(doc)) doc[key] = keepNumberTypes(doc[key]);
  }
  return value;
}

/** Deserialises BSON keeping every number's type. */
export function deserializeKeepingTypes(bytes: Uint8Array): Document {
  return keepNumberTypes(deserialize(bytes, { promoteValues: false })) as Document;
}

/** True for the wrappers mingo cannot compute with (Long, whole Double, Int32). */
function isWrapped(value: unknown): boolean {
  return value instanceof Long || value instanceof Double || value instanceof Int32;
}

const views = new WeakMap<object, unknown>();
const originals = new WeakMap<object, object>();

/** The typed value a plain-number view was made from (the value itself when no view was needed). */
export function originalOf<T extends object>(view: T): T {
  return (originals.get(view) as T | undefined) ?? view;
}

/**
 * The value as plain JS numbers for mingo, which computes only with those: Long and Double become numbers.
 * Values without such wrappers are returned as they are; views of stored documents are cached.
 */
export function plainNumbers<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (isWrapped(value)) return Number((value as unknown as Long).toString()) as T;
  const cached = views.get(value);
  if (cached !== undefined) return cached as T;
  let view: unknown = value;
  if (Array.isArray(value)) {
    const mapped = value.map(plainNumbers);
    if (mapped.some((element, i) => element !== value[i])) view = mapped;
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    const doc = value as Document;
    let copy: Document | undefined;
    for (const key of Object.keys(doc)) {
      const plain = plainNumbers(doc[key]);
      if (plain !== doc[key]) copy ??= { ...doc };
      if (copy) copy[key] = plain;
    }
    if (copy) view = copy;
  }
  views.set(value, view);
  if (view !== value) {
    originals.set(view as object, value);
    // A view is its own view: operators handed one look it up rather than walk it again.
    views.set(view as object, view);
  }
  return view as T;
}

/** An exact number: num / den (den > 0), or NaN, or an infinity. */
type Exact = { kind: "finite"; num: bigint; den: bigint } | { kind: "nan" } | { kind: "infinite"; sign: 1 | -1 };

function exactOfDouble(value: number): Exact {
  if (Number.isNaN(value)) return { kind: "nan" };
  if (!Number.isFinite(value)) return { kind: "infinite", sign: value > 0 ? 1 : -1 };
  let scaled = value;
  let exponent = 0n;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    exponent++;
  }
  return { kind: "finite", num: BigInt(scaled), den: 2n ** exponent };
}

function exactOfDecimal(value: Decimal128): Exact {
  const text = value.toString();
  if (text === "NaN" || text === "-NaN") return { kind: "nan" };
  if (text === "Infinity" || text === "-Infinity") return { kind: "infinite", sign: text.startsWith("-") ? -1 : 1 };
  const parts = /^(-?)(\d+)(?:\.(\d+))?(?:E([+-]\d+))?$/.exec(text);
  if (!parts) throw new CommandError("BadValue", `unreadable Decimal128 ${text}`);
  const fraction = parts[3] ?? "";
  const exponent = Number(parts[4] ?? 0) - fraction.length;
  const digits = BigInt(`${parts[1]}${parts[2]}${fraction}`);
  return exponent >= 0 ? { kind: "finite", num: digits * 10n ** BigInt(exponent), den: 1n } : { kind: "finite", num: digits, den: 10n ** BigInt(-exponent) };
}

function exactOf(value: unknown): Exact {
  if (typeof value === "number") return exactOfDouble(value);
  if (value instanceof Double || value instanceof Int32) return exactOfDouble(value.value);
  if (value instanceof Long) return { kind: "finite", num: BigInt(value.toString()), den: 1n };
  if (value instanceof Decimal128) return exactOfDecimal(value);
  if (typeof value === "bigint") return { kind: "finite", num: value, den: 1n };
  return { kind: "nan" };
}

function sign(n: number | bigint): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a < 0n ? -a : a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** A string that two numbers share exactly when they are equal by value, whatever their types (as `$group` and `$lookup` match). */
export function numberKey(value: unknown): string {
  if (typeof value === "number" && Number.isSafeInteger(value)) return Object.is(value, -0) ? "0" : String(value);
  const exact = exactOf(value);
  if (exact.kind === "nan") return "NaN";
  if (exact.kind === "infinite") return exact.sign > 0 ? "Infinity" : "-Infinity";
  const divisor = gcd(exact.num, exact.den);
  const den = exact.den / divisor;
  return den === 1n ? String(exact.num / divisor) : `${exact.num / divisor}/${den}`;
}

/** Compares two numbers of any BSON number types by exact value, NaN first (MongoDB's order). */
export function compareNumbers(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
    if (Number.isNaN(b)) return 1;
    return sign(a - b);
  }
  const x = exactOf(a);
  const y = exactOf(b);
  if (x.kind === "nan") return y.kind === "nan" ? 0 : -1;
  if (y.kind === "nan") return 1;
  if (x.kind === "infinite") return y.kind === "infinite" ? sign(x.sign - y.sign) : x.sign;
  if (y.kind === "infinite") return -y.sign;
  return sign(x.num * y.den - y.num * x.den);
}

const BSON_TYPE_ALIASES: Record<string, number> = {
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  javascriptWithScope: 15,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
};

/** The BSON type numbers a `$type` operand names ("number" names all four number types). */
export function typeCodesOf(operand: unknown): Set<number> {
  const list = Array.isArray(operand) ? operand : [operand];
  const codes = new Set<number>();
  for (const item of list) {
    if (item === "number") [1, 16, 18, 19].forEach((code) => codes.add(code));
    else if (typeof item === "string" && item in BSON_TYPE_ALIASES) codes.add(BSON_TYPE_ALIASES[item]);
    else if (numberType(item) !== undefined && Number.isInteger(Number(item)) && Object.values(BSON_TYPE_ALIASES).includes(Number(item)))
      codes.add(Number(item));
    else throw new CommandError("BadValue", `Unknown type name alias: ${String(item)}`);
  }
  return codes;
}

/** The BSON type number of a number type. */
export const TYPE_CODE_OF_NUMBER: Record<NumberType, number> = { double: 1, int: 16, long: 18, decimal: 19 };

const RESULT_ORDER: NumberType[] = ["int", "long", "double", "decimal"];

function widest(a: NumberType, b: NumberType): NumberType {
  return RESULT_ORDER[Math.max(RESULT_ORDER.indexOf(a), RESULT_ORDER.indexOf(b))];
}

function toDecimalText(value: unknown): string {
  if (value instanceof Decimal128) return value.toString();
  if (value instanceof Long) return value.toString();
  const n = Number(value instanceof Double || value instanceof Int32 ? value.value : value);
  return Number.isNaN(n) ? "NaN" : n === Infinity ? "Infinity" : n === -Infinity ? "-Infinity" : String(n);
}

function decimalArithmetic(operator: "add" | "multiply", a: unknown, b: unknown): Decimal128 {
  const x = exactOfDecimal(Decimal128.fromStringWithRounding(toDecimalText(a)));
  const y = exactOfDecimal(Decimal128.fromStringWithRounding(toDecimalText(b)));
  if (x.kind !== "finite" || y.kind !== "finite") {
    const n = operator === "add" ? Number(toDecimalText(a)) + Number(toDecimalText(b)) : Number(toDecimalText(a)) * Number(toDecimalText(b));
    return Decimal128.fromString(Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity");
  }
  // Both denominators are powers of ten: bring them to a common one and write the result in decimal.
  const scaleOf = (den: bigint): number => den.toString().length - 1;
  let num: bigint;
  let scale: number;
  if (operator === "multiply") {
    num = x.num * y.num;
    scale = scaleOf(x.den) + scaleOf(y.den);
  } else {
    scale = Math.max(scaleOf(x.den), scaleOf(y.den));
    num = x.num * 10n ** BigInt(scale - scaleOf(x.den)) + y.num * 10n ** BigInt(scale - scaleOf(y.den));
  }
  const negative = num < 0n;
  const digits = (negative ? -num : num).toString();
  return Decimal128.fromStringWithRounding(`${negative ? "-" : ""}${digits}E-${scale}`);
}

/**
 * `$inc` (add) or `$mul` (multiply) as MongoDB computes them: the result has the wider type of the two operands,
 * an int32 overflow widens to a long, and a long overflow fails with BadValue (2).
 */
export function updateArithmetic(operator: "add" | "multiply", current: unknown, operand: unknown, documentId: string): unknown {
  const type = widest(numberType(current)!, numberType(operand)!);
  if (type === "decimal") return decimalArithmetic(operator, current, operand);
  if (type === "double") {
    const x = Number(toDecimalText(current));
    const y = Number(toDecimalText(operand));
    return typed(operator === "add" ? x + y : x * y, "double");
  }
  const x = BigInt(toDecimalText(current));
  const y = BigInt(toDecimalText(operand));
  const result = operator === "add" ? x + y : x * y;
  if (type === "int" && result >= BigInt(INT32_MIN) && result <= BigInt(INT32_MAX)) return Number(result);
  if (result >= INT64_MIN && result <= INT64_MAX) return Long.fromBigInt(result);
  const shown = `(${numberType(current) === "long" ? "NumberLong" : "NumberInt"})${toDecimalText(current)}`;
  throw new CommandError("BadValue", `Failed to apply $inc operations to current value (${shown}) for document {_id: ${documentId}}`);
}

/** `$add`/`$sum`/`$multiply` as MongoDB computes them: the wider type of the two, an int32 overflow a long, a long overflow a double. */
export function expressionArithmetic(operator: "add" | "multiply", a: unknown, b: unknown): unknown {
  try {
    return updateArithmetic(operator, a, b, "");
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const x = Number(toDecimalText(a));
    const y = Number(toDecimalText(b));
    return operator === "add" ? x + y : x * y;
  }
}

/** A number as a double (a whole one kept as a double), as `$avg` and `$divide` answer for non-decimal operands. */
export function asDouble(value: number): unknown {
  return typed(value, "double");
}

/** The zero of a number's type, which `$mul` stores in a missing field. */
export function zeroOf(value: unknown): unknown {
  switch (numberType(value)) {
    case "long":
      return Long.fromNumber(0);
    case "double":
      return new Double(0);
    case "decimal":
      return Decimal128.fromString("0");
    default:
      return 0;
  }
}
