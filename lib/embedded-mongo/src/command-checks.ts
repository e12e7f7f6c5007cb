// Options MongoDB 7 accepts but the engine does not apply are refused here with MongoDB's error, never ignored.
import type { Document } from "bson";
import type { Collection } from "./collection";
import type { Index } from "./indexes";
import { CommandError } from "./errors";
import { compareValues, isPlainObject } from "./bson-values";
import { holdsString, parseCollation } from "./collation";

/** The members of the engine's replica set: itself alone. */
const DATA_BEARING_MEMBERS = 1;

/** `create` options the engine applies. */
const APPLIED_CREATE_OPTIONS = new Set([
  "validator",
  "validationLevel",
  "validationAction",
  "collation",
  "idIndex",
  "indexOptionDefaults",
  "storageEngine",
  "viewOn",
  "pipeline",
]);
/** `create` options MongoDB 7 knows that the engine refuses rather than ignores. */
const REFUSED_CREATE_OPTIONS = new Set([
  "capped",
  "size",
  "max",
  "timeseries",
  "expireAfterSeconds",
  "clusteredIndex",
  "changeStreamPreAndPostImages",
  "encryptedFields",
  "autoIndexId",
  "flags",
  "temp",
  "recordPreImages",
]);

/** Checks the options of `create` and returns those the collection keeps. */
export function checkCreateOptions(options: Document): Document {
  for (const [field, value] of Object.entries(options)) {
    if (REFUSED_CREATE_OPTIONS.has(field)) {
      if (field === "capped" && value === false) continue;
      throw new CommandError(
        "InvalidOptions",
        `The embedded engine does not support the collection option '${field}' (capped, time-series and clustered collections are not implemented)`,
      );
    }
    if (!APPLIED_CREATE_OPTIONS.has(field)) throw new CommandError("UnknownField", `BSON field 'create.${field}' is an unknown field.`);
  }
  const collation = parseCollation(options.collation, "create.collation");
  const kept = { ...options };
  // The collection keeps its collation in MongoDB's full form; the simple collation is none.
  if (collation) kept.collation = collation.spec;
  else delete kept.collation;
  // MongoDB judges a validator under the collection's collation; the engine's validators compare binary.
  if (collation && options.viewOn === undefined && holdsString(options.validator))
    throw new CommandError("InvalidOptions", "a validator comparing strings on a collection with a collation is not supported by the embedded engine");
  if (options.pipeline !== undefined && options.viewOn === undefined) throw new CommandError("BadValue", "'pipeline' requires 'viewOn' to also be specified");
  if (options.viewOn !== undefined) {
    if (typeof options.viewOn !== "string") throw new CommandError("TypeMismatch", "'viewOn' option must be a string");
    if (options.viewOn === "") throw new CommandError("BadValue", "'viewOn' cannot be empty");
    const pipeline = options.pipeline ?? [];
    if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject)) throw new CommandError("TypeMismatch", "'pipeline' option must be an array of objects");
    const others = Object.keys(options).filter((field) => !["viewOn", "pipeline", "collation"].includes(field));
    if (others.length > 0)
      throw new CommandError("InvalidOptions", `Invalid option specified for a view: '${others[0]}'; only 'viewOn', 'pipeline' and 'collation' are`);
    kept.pipeline = pipeline;
  }
  return kept;
}

/**
 * Fails as MongoDB does when a hint names an index the collection does not have, and refuses a hint naming a sparse
 * or partial index: MongoDB answers such a query from that index alone (documents it does not hold are left out),
 * which the engine does not do, so it refuses rather than return what MongoDB would not.
 */
export function checkHint(collection: Collection | undefined, hint: unknown): void {
  if (hint === undefined || hint === null) return;
  let named: Index | undefined;
  if (typeof hint === "string") {
    named = collection?.indexes.get(hint);
  } else if (isPlainObject(hint)) {
    if ("$natural" in hint) return;
    named = collection ? [...collection.indexes.values()].find((index) => compareValues(index.spec.key, hint) === 0) : undefined;
  } else {
    throw new CommandError("FailedToParse", "hint must be a string or an object");
  }
  if (named === undefined) {
    throw new CommandError("BadValue", "error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index");
  }
  if (named.spec.sparse === true || named.spec.partialFilterExpression !== undefined) {
    throw new CommandError("InvalidOptions", `a hint naming the sparse or partial index ${named.spec.name} is not supported by the embedded engine`);
  }
}

/** The writeConcernError MongoDB adds to a write's reply when its write concern cannot be met by a one-member set. */
export function writeConcernProblem(writeConcern: unknown): Document | undefined {
  if (!isPlainObject(writeConcern) || writeConcern.w === undefined) return undefined;
  const w = writeConcern.w;
  const errInfo = { writeConcern: { ...writeConcern, provenance: "clientSupplied" } };
  if (typeof w === "number" && w > DATA_BEARING_MEMBERS)
    return { code: 100, codeName: "UnsatisfiableWriteConcern", errmsg: "Not enough data-bearing nodes", errInfo };
  if (typeof w === "string" && w !== "majority")
    return { code: 79, codeName: "UnknownReplWriteConcern", errmsg: `No write concern mode named '${w}' found in replica set configuration`, errInfo };
  return undefined;
}

/** MongoDB 7.0 has no `sort` for update statements (it came in 8.0). */
export function refuseUpdateSort(statement: Document): void {
  if (statement.sort !== undefined) throw new CommandError("UnknownField", "BSON field 'update.updates.sort' is an unknown field.");
}

/** Checks every collation a command carries (the command, its statements, its index specifications) before anything runs. */
export function checkCollations(name: string, cmd: Document): void {
  parseCollation(cmd.collation, `${name}.collation`);
  for (const field of ["updates", "deletes", "indexes"]) {
    const entries = cmd[field];
    if (Array.isArray(entries)) for (const entry of entries) if (isPlainObject(entry)) parseCollation(entry.collation, `${name}.${field}.collation`);
  }
}
