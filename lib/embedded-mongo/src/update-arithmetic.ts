// $inc, $mul, $min, $max and $addToSet applied with BSON number types kept (mingo computes and compares only plain JS numbers).
import type { Document } from "bson";
import { compareValues, describeValue, isPlainObject } from "./bson-values";
import { CommandError } from "./errors";
import { numberType, updateArithmetic, zeroOf } from "./numbers";

const TYPED_OPERATORS = ["$inc", "$mul", "$min", "$max"] as const;
const POSITIONAL = /(^|\.)\$(\[[^\]]*\])?(\.|$)/;

/** The container holding the last part of a path, creating sub-documents on the way; undefined when not simple. */
function parentOf(doc: Document, parts: string[]): Document | unknown[] | undefined {
  let node: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(part) || Number(part) >= node.length) return undefined;
      node = node[Number(part)];
    } else if (isPlainObject(node)) {
      if (node[part] === undefined) node[part] = {};
      node = node[part];
    } else return undefined;
  }
  if (Array.isArray(node)) return /^\d+$/.test(parts.at(-1)!) && Number(parts.at(-1)) < node.length ? node : undefined;
  return isPlainObject(node) ? node : undefined;
}

/** The container and key a plain path's last part names in `doc` (sub-documents created on the way), or undefined. */
function slotOf(doc: Document, path: string): { holder: Record<string, unknown>; key: string } | undefined {
  const parts = path.split(".");
  const parent = parentOf(doc, parts);
  return parent ? { holder: parent as Record<string, unknown>, key: parts.at(-1)! } : undefined;
}

/** Fails as MongoDB does when two operators of one update touch the same path or one inside the other. */
function checkNoConflicts(modifier: Document): void {
  const paths = Object.values(modifier).flatMap((fields) => (isPlainObject(fields) ? Object.keys(fields) : []));
  const renamed = isPlainObject(modifier.$rename) ? Object.values(modifier.$rename).filter((to): to is string => typeof to === "string") : [];
  const all = [...paths, ...renamed].sort();
  for (let i = 1; i < all.length; i++) {
    const [a, b] = [all[i - 1], all[i]];
    if (a === b || b.startsWith(`${a}.`)) throw new CommandError("ConflictingUpdateOperators", `Updating the path '${b}' would create a conflict at '${a}'`);
  }
}

/**
 * Applies the typed operators of `modifier` to `doc` in place for plain paths and removes them from the modifier;
 * positional paths and anything else are left for mingo.
 */
export function applyArithmetic(doc: Document, modifier: Document): void {
  checkNoConflicts(modifier);
  for (const operator of TYPED_OPERATORS) {
    if (!isPlainObject(modifier[operator])) continue;
    // A copy: the statement's own operator documents serve every document a multi-update touches.
    const fields: Document = { ...modifier[operator] };
    modifier[operator] = fields;
    for (const [path, operand] of Object.entries(fields)) {
      if (POSITIONAL.test(path)) continue;
      const arithmetic = operator === "$inc" || operator === "$mul";
      if (arithmetic && numberType(operand) === undefined) {
        throw new CommandError(
          "TypeMismatch",
          `Cannot ${operator === "$inc" ? "increment" : "multiply"} with non-numeric argument: {${path}: ${describeValue(operand)}}`,
        );
      }
      const slot = slotOf(doc, path);
      if (!slot) continue;
      const { holder, key } = slot;
      const current = holder[key];
      let next: unknown;
      if (current === undefined) next = operator === "$mul" ? zeroOf(operand) : operand;
      else if (arithmetic) {
        if (numberType(current) === undefined) {
          throw new CommandError(
            "TypeMismatch",
            `Cannot apply ${operator} to a value of non-numeric type. {_id: ${describeValue(doc._id)}} has the field '${key}' of non-numeric type ${typeName(current)}`,
          );
        }
        next = updateArithmetic(operator === "$inc" ? "add" : "multiply", current, operand, describeValue(doc._id));
      } else {
        const order = compareValues(operand, current);
        next = (operator === "$min" ? order < 0 : order > 0) ? operand : current;
      }
      holder[key] = next;
      delete fields[path];
    }
    if (Object.keys(fields).length === 0) delete modifier[operator];
  }
  addToSets(doc, modifier);
}

/**
 * `$addToSet` on plain paths (with or without `$each`): a value is added unless the array holds one equal to it as
 * MongoDB compares values (int 1, long 1 and double 1.0 are equal; documents by their fields in order).
 */
function addToSets(doc: Document, modifier: Document): void {
  if (!isPlainObject(modifier.$addToSet)) return;
  const fields: Document = { ...modifier.$addToSet };
  modifier.$addToSet = fields;
  for (const [path, operand] of Object.entries(fields)) {
    if (POSITIONAL.test(path)) continue;
    const slot = slotOf(doc, path);
    if (!slot) continue;
    const { holder, key } = slot;
    const current = holder[key];
    if (current !== undefined && !Array.isArray(current)) {
      throw new CommandError("BadValue", `Cannot apply $addToSet to non-array field. Field named '${key}' has non-array type ${typeName(current)}`);
    }
    const each = isPlainObject(operand) && Object.keys(operand)[0] === "$each" ? operand.$each : [operand];
    if (!Array.isArray(each))
      throw new CommandError("TypeMismatch", `The argument to $each in $addToSet must be an array but it was of type ${typeName(each)}`);
    const values = current === undefined ? [] : [...current];
    for (const value of each) if (!values.some((present) => compareValues(present, value) === 0)) values.push(value);
    holder[key] = values;
    delete fields[path];
  }
  if (Object.keys(fields).length === 0) delete modifier.$addToSet;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Date) return "date";
  return isPlainObject(value) ? "object" : typeof value;
}
