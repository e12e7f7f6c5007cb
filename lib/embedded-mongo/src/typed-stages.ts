// mingo's pipeline stages as the engine runs them on documents that keep their BSON number types: stages that compare or group see the plain-number view and hand back the typed documents, $group and $lookup match values across number types, and stages that would compute without types are refused.
import { Long, type Document } from "bson";
import { evalExpr } from "mingo/core";
import { Lazy, type Iterator } from "mingo/lazy";
import * as pipeline from "mingo/operators/pipeline";
import type { Options } from "mingo/types";
import { resolve } from "mingo/util";
import { Aggregator } from "mingo/aggregator";
import { isPlainObject, valueKey } from "./bson-values";
import { parseCollation } from "./collation";
import { CommandError } from "./errors";
import { sortDocuments } from "./sort-order";
import { numberType, originalOf, plainNumbers } from "./numbers";
import { boundOptions, holdsWideNumber } from "./typed-expressions";

type Stage = (collection: Iterator, expr: unknown, options: Options) => Iterator;

/** A stage that only filters ($match): it judges the plain-number view and passes on the typed documents. */
function judgedOnViews(stage: Stage): Stage {
  return (collection, expr, options) => stage(collection.map(plainNumbers), plainNumbers(expr), options).map((doc) => originalOf(doc as Document));
}

/** `$group`: documents whose `_id` values are equal by value (int 5, long 5, double 5.0) form one group, whose `_id` is the first one's value. */
const $group: Stage = (collection, expr, options) => {
  if (!isPlainObject(expr) || !("_id" in expr)) throw new CommandError("FailedToParse", "a group specification must include an _id");
  const fields = Object.keys(expr).filter((field) => field !== "_id");
  return collection.transform((docs: Document[]) => {
    const groups = new Map<string, { id: unknown; docs: Document[] }>();
    for (const doc of docs) {
      const id = evalExpr(doc, expr._id, options) ?? null;
      const key = valueKey(id);
      const group = groups.get(key);
      if (group) group.docs.push(doc);
      else groups.set(key, { id, docs: [doc] });
    }
    return Lazy(
      [...groups.values()].map(({ id, docs: members }) => {
        const out: Document = { _id: id };
        for (const field of fields) out[field] = evalExpr(members, expr[field], boundOptions(options, { root: null, groupId: id }));
        return out;
      }),
    );
  });
};

/** `$sort` in MongoDB's order of typed values (a long beyond 2^53 and a decimal compared exactly), under the operation's collation. */
const $sort: Stage = (collection, expr, options) => {
  if (!isPlainObject(expr) || Object.keys(expr).length === 0) return (pipeline.$sort as Stage)(collection, expr, options);
  const compare = parseCollation(options.collation)?.compare;
  return collection.transform((docs: Document[]) =>
    Lazy(
      sortDocuments(
        docs.map((doc) => ({ doc })),
        expr,
        compare,
      ).map(({ doc }) => doc),
    ),
  );
};

/** `$sortByCount`: a `$group` counting each value, most frequent first. */
const $sortByCount: Stage = (collection, expr, options) => $sort($group(collection, { _id: expr, count: { $sum: 1 } }, options), { count: -1 }, options);

/** The values a `$lookup` field holds for matching: an array's elements, null for a missing field. */
function lookupValues(doc: Document, field: string): unknown[] {
  const value = resolve(doc, field) ?? null;
  return Array.isArray(value) ? value : [value];
}

/**
 * `$lookup`: with `localField`/`foreignField`, the joined documents whose field equals the local value by value (across
 * number types), in the joined collection's order; a `pipeline` (with its `let` variables) then runs over them.
 */
const $lookup: Stage = (collection, expr, options) => {
  if (!isPlainObject(expr) || typeof expr.localField !== "string" || typeof expr.foreignField !== "string" || typeof expr.from !== "string")
    return (pipeline.$lookup as Stage)(collection, expr, options);
  const joined = options.collectionResolver?.(expr.from) ?? [];
  const byValue = new Map<string, number[]>();
  joined.forEach((doc, position) => {
    for (const key of new Set(lookupValues(doc, expr.foreignField).map(valueKey))) {
      const positions = byValue.get(key);
      if (positions) positions.push(position);
      else byValue.set(key, [position]);
    }
  });
  const subPipeline: Document[] = Array.isArray(expr.pipeline) ? expr.pipeline : [];
  const aggregator = subPipeline.length > 0 ? new Aggregator(subPipeline, options) : undefined;
  return collection.map((doc: Document) => {
    const positions = new Set<number>();
    for (const value of lookupValues(doc, expr.localField)) for (const position of byValue.get(valueKey(value)) ?? []) positions.add(position);
    const matches = [...positions].sort((a, b) => a - b).map((position) => joined[position]);
    if (!aggregator) return { ...doc, [expr.as]: matches };
    const variables = expr.let === undefined ? {} : evalExpr(doc, expr.let, options);
    return { ...doc, [expr.as]: aggregator.run(matches, boundOptions(options, { root: null, variables })) };
  });
};

/** `$unwind`'s `includeArrayIndex` is a long, as MongoDB gives it. */
const $unwind: Stage = (collection, expr, options) => {
  const indexField = isPlainObject(expr) && typeof expr.includeArrayIndex === "string" ? expr.includeArrayIndex : undefined;
  const unwound = (pipeline.$unwind as Stage)(collection, expr, options);
  if (indexField === undefined) return unwound;
  return unwound.map((doc: Document) => (typeof doc[indexField] === "number" ? { ...doc, [indexField]: Long.fromNumber(doc[indexField]) } : doc));
};

/** A `$project` specification with its inclusion flags as plain numbers (a flag sent as a long or double is still a flag). */
function projectionFlags(spec: unknown): unknown {
  if (!isPlainObject(spec)) return spec;
  const flags: Document = {};
  for (const [field, value] of Object.entries(spec)) {
    if (numberType(value) !== undefined) flags[field] = plainNumbers(value);
    else if (isPlainObject(value) && !Object.keys(value).some((key) => key.startsWith("$"))) flags[field] = projectionFlags(value);
    else flags[field] = value;
  }
  return flags;
}

const $project: Stage = (collection, expr, options) => (pipeline.$project as Stage)(collection, projectionFlags(expr), options);

/** Window functions that compute numbers whose types the engine does not follow. */
const UNTYPED_WINDOW_FUNCTIONS = ["$derivative", "$integral", "$expMovingAvg", "$linearFill"];

/**
 * Stages mingo computes or compares within without types ($bucket, $bucketAuto, $graphLookup, $setWindowFields,
 * $densify, $fill): run on documents (and joined collections) without longs, whole doubles or decimals, where the
 * plain number is the BSON one; otherwise refused (72) rather than answered with other number types.
 */
function untypedOnly(name: string, stage: Stage): Stage {
  const refuse = (): never => {
    throw new CommandError("InvalidOptions", `${name} over documents holding longs, whole doubles or decimals is not supported by the embedded engine`);
  };
  return (collection, expr, options) => {
    if (name === "$setWindowFields" && UNTYPED_WINDOW_FUNCTIONS.some((operator) => JSON.stringify(expr).includes(`"${operator}"`)))
      throw new CommandError("InvalidOptions", `${UNTYPED_WINDOW_FUNCTIONS.join(", ")} in $setWindowFields are not supported by the embedded engine`);
    if (holdsWideNumber(expr)) refuse();
    if (name === "$graphLookup" && isPlainObject(expr) && typeof expr.from === "string" && options.collectionResolver?.(expr.from).some(holdsWideNumber))
      refuse();
    return stage(
      collection.map((doc: Document) => (holdsWideNumber(doc) ? refuse() : doc)),
      expr,
      options,
    );
  };
}

/** The pipeline stages of the engine's mingo context. */
export const typedStages: Record<string, unknown> = {
  ...pipeline,
  $match: judgedOnViews(pipeline.$match as Stage),
  $sort,
  $group,
  $sortByCount,
  $lookup,
  $unwind,
  $project,
  ...Object.fromEntries(
    (["$bucket", "$bucketAuto", "$graphLookup", "$setWindowFields", "$densify", "$fill"] as const).map((name) => [
      name,
      untypedOnly(name, pipeline[name] as Stage),
    ]),
  ),
};
