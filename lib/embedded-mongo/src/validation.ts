// Document validation: a collection's validator ($jsonSchema and query operators) applied on insert and update
// with MongoDB's validationLevel ("strict", "moderate", "off") and validationAction ("error", "warn").
import type { Document } from "bson";
import type { Collection } from "./collection";
import { CommandError } from "./errors";
import { isPlainObject } from "./bson-values";
import { compileFilter } from "./query";
import { queryOptions } from "./query-language";

interface Rules {
  test: (doc: Document) => boolean;
  level: "strict" | "moderate" | "off";
  action: "error" | "warn";
}

const LEVELS = ["off", "strict", "moderate"];
const ACTIONS = ["error", "warn"];
const compiled = new WeakMap<Document, Rules | null>();

/** Checks validator, validationLevel and validationAction as `create` and `collMod` receive them. */
export function checkValidationOptions(options: Document): void {
  if (options.validator !== undefined) {
    if (!isPlainObject(options.validator)) throw new CommandError("TypeMismatch", "'validator' must be an object");
    for (const operator of ["$near", "$nearSphere", "$text", "$where"]) {
      if (operator in options.validator) throw new CommandError("InvalidOptions", `${operator} is not allowed inside of a validator`);
    }
    compileFilter(options.validator, queryOptions());
  }
  if (options.validationLevel !== undefined && !LEVELS.includes(options.validationLevel)) {
    throw new CommandError("BadValue", `Enumeration value '${String(options.validationLevel)}' for field 'validationLevel' is not a valid value.`);
  }
  if (options.validationAction !== undefined && !ACTIONS.includes(options.validationAction)) {
    throw new CommandError("BadValue", `Enumeration value '${String(options.validationAction)}' for field 'validationAction' is not a valid value.`);
  }
}

function rulesOf(collection: Collection): Rules | null {
  const known = compiled.get(collection.options);
  if (known !== undefined) return known;
  const { validator, validationLevel = "strict", validationAction = "error" } = collection.options;
  const rules =
    isPlainObject(validator) && Object.keys(validator).length > 0
      ? { test: compileFilter(validator, queryOptions()), level: validationLevel, action: validationAction }
      : null;
  compiled.set(collection.options, rules);
  return rules;
}

/**
 * Fails with DocumentValidationFailure (121) when `next` breaks the collection's validator. `previous` is the
 * document an update replaces: under "moderate", documents that were already invalid may stay so.
 */
export function validateWrite(collection: Collection, next: Document, previous: Document | undefined): void {
  const rules = rulesOf(collection);
  if (!rules || rules.level === "off" || rules.action === "warn") return;
  if (rules.test(next)) return;
  if (previous && rules.level === "moderate" && !rules.test(previous)) return;
  throw new CommandError("DocumentValidationFailure", "Document failed validation", {
    errInfo: {
      failingDocumentId: next._id,
      details: { operatorName: Object.keys(collection.options.validator as Document).join(","), specifiedAs: collection.options.validator },
    },
  });
}
