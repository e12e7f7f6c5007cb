// MongoDB's $jsonSchema (draft 4 with bsonType): compiled once into a test of a typed document.
import type { Document } from "bson";
import { bsonTypeCode, compareValues, isPlainObject } from "./bson-values";
import { CommandError } from "./errors";
import { compareNumbers, numberType, typeCodesOf } from "./numbers";

type Test = (value: unknown) => boolean;

const UNSUPPORTED = new Set(["$ref", "$schema", "default", "definitions", "format", "id"]);
const ANNOTATIONS = new Set(["title", "description"]);
const JSON_TYPES: Record<string, (value: unknown) => boolean> = {
  object: (value) => isPlainObject(value),
  array: (value) => Array.isArray(value),
  number: (value) => numberType(value) !== undefined,
  boolean: (value) => typeof value === "boolean",
  string: (value) => typeof value === "string",
  null: (value) => value === null,
};

function fail(message: string): never {
  throw new CommandError("FailedToParse", message);
}

function schemaList(keyword: string, value: unknown): Document[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isPlainObject)) fail(`$jsonSchema keyword '${keyword}' must be a non-empty array of objects`);
  return value;
}

function count(keyword: string, value: unknown): number {
  const n = Number(value);
  if (numberType(value) === undefined || !Number.isInteger(n) || n < 0) fail(`$jsonSchema keyword '${keyword}' must be a non-negative integer`);
  return n;
}

/** Compiles a `$jsonSchema` document; unknown or unsupported keywords fail as MongoDB's parser does. */
export function compileJsonSchema(schema: Document): Test {
  const tests: Test[] = [];
  const onlyFor = (accepts: (value: unknown) => boolean, test: Test): void => void tests.push((value) => !accepts(value) || test(value));
  const isNumber = (value: unknown): boolean => numberType(value) !== undefined;
  for (const [keyword, operand] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    if (UNSUPPORTED.has(keyword)) fail(`$jsonSchema keyword '${keyword}' is not currently supported`);
    switch (keyword) {
      case "bsonType": {
        const codes = typeCodesOf(operand);
        tests.push((value) => codes.has(bsonTypeCode(value)));
        break;
      }
      case "type": {
        const names = Array.isArray(operand) ? operand : [operand];
        const checks = names.map((name) => JSON_TYPES[String(name)] ?? fail(`$jsonSchema type '${String(name)}' is not a JSON type MongoDB supports`));
        tests.push((value) => checks.some((check) => check(value)));
        break;
      }
      case "enum":
        if (!Array.isArray(operand) || operand.length === 0) fail("$jsonSchema keyword 'enum' must be a non-empty array");
        tests.push((value) => operand.some((allowed) => bsonTypeCode(allowed) === bsonTypeCode(value) && compareValues(allowed, value) === 0));
        break;
      case "minimum":
      case "maximum": {
        const exclusive = schema[keyword === "minimum" ? "exclusiveMinimum" : "exclusiveMaximum"] === true;
        const side = keyword === "minimum" ? 1 : -1;
        onlyFor(isNumber, (value) => {
          const order = compareNumbers(value, operand) * side;
          return exclusive ? order > 0 : order >= 0;
        });
        break;
      }
      case "exclusiveMinimum":
      case "exclusiveMaximum":
        if (typeof operand !== "boolean") fail(`$jsonSchema keyword '${keyword}' must be a boolean`);
        break;
      case "multipleOf":
        onlyFor(isNumber, (value) => Number(value) % Number(operand) === 0);
        break;
      case "minLength":
      case "maxLength": {
        const limit = count(keyword, operand);
        onlyFor(
          (value) => typeof value === "string",
          (value) => (keyword === "minLength" ? [...(value as string)].length >= limit : [...(value as string)].length <= limit),
        );
        break;
      }
      case "pattern": {
        const regex = new RegExp(String(operand), "u");
        onlyFor(
          (value) => typeof value === "string",
          (value) => regex.test(value as string),
        );
        break;
      }
      case "minItems":
      case "maxItems": {
        const limit = count(keyword, operand);
        onlyFor(Array.isArray, (value) => (keyword === "minItems" ? (value as unknown[]).length >= limit : (value as unknown[]).length <= limit));
        break;
      }
      case "uniqueItems":
        if (operand === true)
          onlyFor(Array.isArray, (value) => (value as unknown[]).every((item, i, all) => all.findIndex((other) => compareValues(other, item) === 0) === i));
        break;
      case "items": {
        if (Array.isArray(operand)) {
          const each = schemaList(keyword, operand).map(compileJsonSchema);
          const extra = schema.additionalItems;
          const rest = isPlainObject(extra) ? compileJsonSchema(extra) : extra === false ? () => false : () => true;
          onlyFor(Array.isArray, (value) => (value as unknown[]).every((item, i) => (i < each.length ? each[i](item) : rest(item))));
        } else if (isPlainObject(operand)) {
          const each = compileJsonSchema(operand);
          onlyFor(Array.isArray, (value) => (value as unknown[]).every(each));
        } else fail("$jsonSchema keyword 'items' must be an object or an array");
        break;
      }
      case "additionalItems":
        break;
      case "required": {
        if (!Array.isArray(operand) || operand.length === 0 || !operand.every((field) => typeof field === "string"))
          fail("$jsonSchema keyword 'required' must be a non-empty array of strings");
        onlyFor(isPlainObject, (value) => operand.every((field: string) => (value as Document)[field] !== undefined));
        break;
      }
      case "minProperties":
      case "maxProperties": {
        const limit = count(keyword, operand);
        onlyFor(isPlainObject, (value) =>
          keyword === "minProperties" ? Object.keys(value as Document).length >= limit : Object.keys(value as Document).length <= limit,
        );
        break;
      }
      case "properties":
      case "patternProperties":
      case "additionalProperties":
        break;
      case "dependencies": {
        if (!isPlainObject(operand)) fail("$jsonSchema keyword 'dependencies' must be an object");
        const rules = Object.entries(operand).map(([field, rule]): [string, Test] => {
          if (Array.isArray(rule)) return [field, (value) => rule.every((needed: string) => (value as Document)[needed] !== undefined)];
          if (isPlainObject(rule)) return [field, compileJsonSchema(rule)];
          return fail("$jsonSchema 'dependencies' entries must be arrays of names or schemas");
        });
        onlyFor(isPlainObject, (value) => rules.every(([field, rule]) => (value as Document)[field] === undefined || rule(value)));
        break;
      }
      case "allOf":
      case "anyOf":
      case "oneOf": {
        const each = schemaList(keyword, operand).map(compileJsonSchema);
        if (keyword === "allOf") tests.push((value) => each.every((test) => test(value)));
        else if (keyword === "anyOf") tests.push((value) => each.some((test) => test(value)));
        else tests.push((value) => each.filter((test) => test(value)).length === 1);
        break;
      }
      case "not": {
        if (!isPlainObject(operand)) fail("$jsonSchema keyword 'not' must be an object");
        const inner = compileJsonSchema(operand);
        tests.push((value) => !inner(value));
        break;
      }
      default:
        fail(`Unknown $jsonSchema keyword: ${keyword}`);
    }
  }
  if (schema.properties !== undefined || schema.patternProperties !== undefined || schema.additionalProperties !== undefined)
    tests.push(propertiesTest(schema));
  return (value) => tests.every((test) => test(value));
}

/** properties, patternProperties and additionalProperties together, as draft 4 defines them. */
function propertiesTest(schema: Document): Test {
  if (schema.properties !== undefined && !isPlainObject(schema.properties)) fail("$jsonSchema keyword 'properties' must be an object");
  const named = new Map(Object.entries((schema.properties ?? {}) as Document).map(([field, sub]) => [field, compileJsonSchema(sub as Document)]));
  const patterned = Object.entries((schema.patternProperties ?? {}) as Document).map(
    ([pattern, sub]) => [new RegExp(pattern, "u"), compileJsonSchema(sub as Document)] as const,
  );
  const additional = schema.additionalProperties;
  const other: Test = isPlainObject(additional) ? compileJsonSchema(additional) : additional === false ? () => false : () => true;
  return (value) => {
    if (!isPlainObject(value)) return true;
    return Object.entries(value).every(([field, item]) => {
      let covered = false;
      const byName = named.get(field);
      if (byName) {
        covered = true;
        if (!byName(item)) return false;
      }
      for (const [pattern, test] of patterned) {
        if (!pattern.test(field)) continue;
        covered = true;
        if (!test(item)) return false;
      }
      return covered || other(item);
    });
  };
}
