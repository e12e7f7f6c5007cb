// Reads: query planning over indexes, filtering with mingo, geo-near ordering, sorting, projection, aggregation and updates.
import { setValue } from "mingo/util";
import { ObjectId, BSONRegExp, type Document } from "bson";
import type { Collection } from "./collection";
import type { FieldPredicate, Index } from "./indexes";
import { cloneDocument, compareValues, isPlainObject, valuesAtPath } from "./bson-values";
import { CommandError, fromQueryLanguageError } from "./errors";
import { Aggregator, Query, applyOperators, type QueryOptions } from "./query-language";
import { compileFastMatcher } from "./fast-match";
import { numberType, plainNumbers } from "./numbers";
import { evaluatingTyped } from "./typed-expressions";
import { filterCoveredBy, pageByPosition, planIndexSort, walkIndex } from "./index-sort";
import { sortDocuments, sortKeys } from "./sort-order";
import { applyArithmetic } from "./update-arithmetic";
import { parseGeoNearStage, parseNearCondition, type NearQuery } from "./geo";
import { candidateSources, smallestSource } from "./candidates";
import { matchNear } from "./near";
import { holdsString, parseCollation, type Collation } from "./collation";

/** The collation an operation runs under (carried in its query options, in MongoDB's full form), or undefined for simple. */
export function collationOf(options: QueryOptions): Collation | undefined {
  return parseCollation(options.collation);
}

/** Runs a mingo step, turning its errors into MongoDB's. */
export function translated<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw fromQueryLanguageError(error);
  }
}

export interface FindSpec {
  filter?: Document;
  sort?: Document;
  projection?: Document;
  skip?: number;
  limit?: number;
}

/** How a query was answered, for explain and for tests that check index use. */
export interface QueryPlan {
  stage: "IXSCAN" | "COLLSCAN" | "GEO_NEAR_2DSPHERE" | "EOF";
  indexName?: string;
  /** Set when the index walk itself gives the requested order (no in-memory SORT stage). */
  indexDirection?: 1 | -1;
  /** True when the documents were sorted in memory. */
  sortedInMemory?: boolean;
  keysExamined: number;
  docsExamined: number;
}

export interface Match {
  recordId: number;
  doc: Document;
  distance?: number;
}

function refuseUnsupportedFilters(filter: Document): void {
  if ("$text" in filter) throw new CommandError("IndexNotFound", "text index required for $text query (the embedded engine has no text indexes)");
  if ("$where" in filter) throw new CommandError("BadValue", "$where is not allowed: the embedded engine evaluates no JavaScript");
}

/** The best index for the filter's conditions and how well it serves them (0: none narrows the scan). */
function bestFilterIndex(
  collection: Collection,
  predicates: Map<string, FieldPredicate>,
  collation: Collation | undefined,
): { index: Index | undefined; score: number } {
  let best: Index | undefined;
  let bestScore = 0;
  for (const index of collection.indexes.values()) {
    if (!index.servesCollation(predicates, collation)) continue;
    const score = index.score(predicates);
    if (score > bestScore) [best, bestScore] = [index, score];
  }
  return { index: best, score: bestScore };
}

/**
 * Finds the matching records of a collection (unsorted unless geo-near), using the best index available. With
 * `nearestLimit`, a geo-near query may stop after that many nearest matches (and any tied with the last at its distance).
 */
export function matchRecords(
  collection: Collection | undefined,
  filter: Document,
  options: QueryOptions,
  nearestLimit?: number,
): { matches: Match[]; plan: QueryPlan } {
  refuseUnsupportedFilters(filter);
  if (!collection) return { matches: [], plan: { stage: "EOF", keysExamined: 0, docsExamined: 0 } };
  const near = extractNear(filter);
  const rest = near ? near.rest : filter;
  const test = compileFilter(rest, options);

  const collation = collationOf(options);
  if (near) return matchNear(collection, near.field, near.query, test, rest, collation, nearestLimit);

  // Candidate sources read indexes by binary equality: under a collation they could miss matches.
  const driven = collation ? undefined : drivenByCandidates(collection, filter, test);
  if (driven) return driven;
  const predicates = extractPredicates(filter);
  const best = bestFilterIndex(collection, predicates, collation).index;
  const matches: Match[] = [];
  if (best) {
    const { recordIds, keysExamined } = best.scan(predicates);
    for (const recordId of recordIds) {
      const doc = collection.records.get(recordId)!;
      if (test(doc)) matches.push({ recordId, doc });
    }
    return { matches, plan: { stage: "IXSCAN", indexName: best.name, keysExamined, docsExamined: recordIds.length } };
  }
  collection.records.forEachPair((recordId, doc) => {
    if (test(doc)) matches.push({ recordId, doc });
  });
  return { matches, plan: { stage: "COLLSCAN", keysExamined: 0, docsExamined: collection.size } };
}

/**
 * When a filter has `$all` or `$or` conditions on indexed fields (which the single-index planner cannot serve), the
 * candidate source with the fewest records drives: its records are tested. Undefined otherwise.
 */
function drivenByCandidates(collection: Collection, filter: Document, test: (doc: Document) => boolean): { matches: Match[]; plan: QueryPlan } | undefined {
  const sources = candidateSources(collection, filter);
  if (!sources.some((source) => source.combined)) return undefined;
  const driver = smallestSource(sources, collection.size);
  if (!driver) return undefined;
  const matches: Match[] = [];
  for (const recordId of driver.ids.sort((a, b) => a - b)) {
    const doc = collection.records.get(recordId)!;
    if (test(doc)) matches.push({ recordId, doc });
  }
  return { matches, plan: { stage: "IXSCAN", indexName: driver.source.indexName, keysExamined: driver.ids.length, docsExamined: driver.ids.length } };
}

/** The document test of a filter: the compiled fast path when it covers the filter, mingo otherwise. */
export function compileFilter(filter: Document, options: QueryOptions): (doc: Document) => boolean {
  if (Object.keys(filter).length === 0) return () => true;
  const collation = collationOf(options);
  const fast = compileFastMatcher(filter, collation?.compare);
  if (fast) return fast;
  // mingo compares strings binary: a filter it must evaluate is refused under a collation when strings take part.
  if (collation && holdsString(filter)) {
    throw new CommandError(
      "InvalidOptions",
      "this filter shape is not supported with a non-simple collation by the embedded engine (equality, $ne, $in, $nin-free ranges, $all, $exists, $regex, $type under $and/$or are)",
    );
  }
  // mingo computes with plain JS numbers: its query operators judge a view of each document with Long/Double as numbers.
  const query = translated(() => new Query(filter, options));
  return (doc) => translated(() => query.test(doc));
}

/** Pulls a `$near`/`$nearSphere` condition out of a filter (top level or inside `$and`). */
function extractNear(filter: Document): { field: string; query: NearQuery; rest: Document } | undefined {
  for (const [field, condition] of Object.entries(filter)) {
    if (field === "$and" && Array.isArray(condition)) {
      for (const [i, clause] of condition.entries()) {
        const found = isPlainObject(clause) ? extractNear(clause) : undefined;
        if (found) {
          const others = condition.filter((_, j) => j !== i);
          const clauses = Object.keys(found.rest).length > 0 ? [...others, found.rest] : others;
          const rest: Document = { ...filter, $and: clauses };
          if (clauses.length === 0) delete rest.$and;
          return { field: found.field, query: found.query, rest };
        }
      }
    }
    if (field.startsWith("$") || !isPlainObject(condition)) continue;
    const operator = "$near" in condition ? "$near" : "$nearSphere" in condition ? "$nearSphere" : undefined;
    if (!operator) continue;
    const rest: Document = { ...filter };
    delete rest[field];
    return { field, query: parseNearCondition(operator, condition), rest };
  }
  return undefined;
}

const indexable = (value: unknown): boolean => !Array.isArray(value) && !(value instanceof RegExp) && !(value instanceof BSONRegExp);

/** The equality and range conditions on fields that an index can serve. */
export function extractPredicates(filter: Document, into = new Map<string, FieldPredicate>()): Map<string, FieldPredicate> {
  for (const [field, condition] of Object.entries(filter)) {
    if (field === "$and" && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainObject(clause)) extractPredicates(clause, into);
      continue;
    }
    if (field.startsWith("$")) continue;
    const predicate: FieldPredicate = into.get(field) ?? {};
    const operators = isPlainObject(condition) && Object.keys(condition).some((key) => key.startsWith("$")) ? condition : undefined;
    if (!operators) {
      if (indexable(condition)) predicate.equals = [condition];
    } else {
      if ("$eq" in operators && indexable(operators.$eq)) predicate.equals = [operators.$eq];
      if (Array.isArray(operators.$in) && operators.$in.every(indexable) && !predicate.equals) predicate.equals = operators.$in;
      for (const op of ["$gt", "$gte"]) if (op in operators && indexable(operators[op])) predicate.lower = tighter(predicate.lower, operators[op], 1);
      for (const op of ["$lt", "$lte"]) if (op in operators && indexable(operators[op])) predicate.upper = tighter(predicate.upper, operators[op], -1);
    }
    if (predicate.equals || predicate.lower !== undefined || predicate.upper !== undefined) into.set(field, predicate);
  }
  return into;
}

function tighter(current: unknown, candidate: unknown, direction: 1 | -1): unknown {
  if (current === undefined) return candidate;
  return compareValues(candidate, current) * direction > 0 ? candidate : current;
}

/**
 * A projection that only includes or only excludes top-level fields (`{ a: 1, b: 1 }`, `{ a: 0 }`, with `_id` either way), as a
 * function that builds each result from the document's own fields in the document's order, as MongoDB does; undefined for
 * anything else (dotted paths, operators, expressions: mingo projects those). Inclusion mixed with exclusion is refused as MongoDB does.
 * Values are shared with the stored document, as unprojected results are.
 */
function topLevelProjection(projection: Document): ((doc: Document) => Document) | undefined {
  const fields = new Map<string, boolean>();
  for (const [field, value] of Object.entries(projection)) {
    if (field === "" || field.includes(".") || field.startsWith("$")) return undefined;
    if (typeof value === "boolean") fields.set(field, value);
    else if (typeof value === "number" && !Number.isNaN(value)) fields.set(field, value !== 0);
    else return undefined;
  }
  const others = [...fields].filter(([field]) => field !== "_id");
  const keepsId = fields.get("_id") ?? true;
  // `{ _id: 1 }` alone includes only _id; `{ _id: 0 }` alone excludes it.
  const inclusion = others.length > 0 ? others[0][1] : keepsId;
  const mixed = others.find(([, included]) => included !== inclusion);
  if (mixed && inclusion) throw new CommandError("ExclusionInInclusionProjection", `Cannot do exclusion on field ${mixed[0]} in inclusion projection`);
  if (mixed) throw new CommandError("InclusionInExclusionProjection", `Cannot do inclusion on field ${mixed[0]} in exclusion projection`);
  const kept = (field: string): boolean => (field === "_id" ? keepsId : inclusion ? fields.get(field) === true : !fields.has(field));
  return (doc) => {
    const result: Document = {};
    for (const field of Object.keys(doc)) if (kept(field)) result[field] = doc[field];
    return result;
  };
}

/** Applies a find projection: top-level inclusion or exclusion directly, anything else with mingo ($slice, $elemMatch, positional, dotted paths). */
export function project(docs: Document[], projection: Document | undefined, filter: Document, options: QueryOptions): Document[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  const topLevel = topLevelProjection(projection);
  if (topLevel) return docs.map(topLevel);
  // The positional projection re-matches the filter in mingo, which compares strings binary.
  const positional = Object.keys(projection).some((field) => field.endsWith(".$") || isPlainObject(projection[field]));
  if (collationOf(options) && holdsString(filter) && positional)
    throw new CommandError("InvalidOptions", "positional and $elemMatch projections with a non-simple collation are not supported by the embedded engine");
  // The documents matched already: only a positional projection needs the filter again (a large `$in` tested per document otherwise).
  // They keep their number types: mingo's query operators judge their plain-number view (positional, $elemMatch).
  return evaluatingTyped(true, () => translated(() => new Query(positional ? filter : {}, options).find(docs, projection).all() as Document[]));
}

/** Runs find: match, order, skip, limit and project. */
export function runFind(collection: Collection | undefined, spec: FindSpec, options: QueryOptions): { docs: Document[]; plan: QueryPlan } {
  const filter = spec.filter ?? {};
  const skip = spec.skip ?? 0;
  const limit = spec.limit ? Math.abs(spec.limit) : undefined;
  const sorted = spec.sort && Object.keys(spec.sort).length > 0 ? spec.sort : undefined;
  const byIndex = sorted && collection ? findInIndexOrder(collection, filter, sortKeys(sorted), skip, limit, options) : undefined;
  if (byIndex) return { docs: project(byIndex.docs, spec.projection, filter, options), plan: byIndex.plan };
  const { matches, plan } = matchRecords(collection, filter, options, sorted || limit === undefined ? undefined : skip + limit);
  const ordered = sorted ? sortDocuments(matches, sorted, collationOf(options)?.compare) : matches;
  const page = ordered.slice(skip, limit === undefined ? undefined : skip + limit).map((match) => match.doc);
  return {
    docs: project(page, spec.projection, stripGeoNear(filter), options),
    plan: { ...plan, sortedInMemory: sorted !== undefined && plan.stage !== "GEO_NEAR_2DSPHERE" },
  };
}

/**
 * A sorted page read in index order, when an index gives the sort order and the planner prefers it: with a limit
 * (the walk stops early), or when no other index narrows the filter better.
 */
function findInIndexOrder(
  collection: Collection,
  filter: Document,
  sort: Array<{ field: string; direction: number }>,
  skip: number,
  limit: number | undefined,
  options: QueryOptions,
): { docs: Document[]; plan: QueryPlan } | undefined {
  refuseUnsupportedFilters(filter);
  if (extractNear(filter)) return undefined;
  const predicates = extractPredicates(filter);
  const collation = collationOf(options);
  const plan = planIndexSort(collection, sort, predicates, collation);
  if (!plan) return undefined;
  const served = plan.prefix.length * 2 + (plan.lower !== undefined || plan.upper !== undefined ? 1 : 0);
  if (limit === undefined && bestFilterIndex(collection, predicates, collation).score > served) return undefined;
  if (filterCoveredBy(plan, filter)) {
    // Every entry in bounds matches: the page is found by position, without reading the skipped entries.
    const recordIds = pageByPosition(plan, skip, limit);
    const docs = recordIds.map((recordId) => collection.records.get(recordId)!);
    return {
      docs,
      plan: { stage: "IXSCAN", indexName: plan.index.name, indexDirection: plan.direction, keysExamined: recordIds.length, docsExamined: docs.length },
    };
  }
  const test = compileFilter(filter, options);
  const counter = { keysExamined: 0 };
  const docs: Document[] = [];
  let docsExamined = 0;
  let toSkip = skip;
  for (const recordId of walkIndex(plan, counter)) {
    const doc = collection.records.get(recordId)!;
    docsExamined++;
    if (!test(doc)) continue;
    if (toSkip > 0) {
      toSkip--;
      continue;
    }
    docs.push(doc);
    if (limit !== undefined && docs.length >= limit) break;
  }
  return { docs, plan: { stage: "IXSCAN", indexName: plan.index.name, indexDirection: plan.direction, keysExamined: counter.keysExamined, docsExamined } };
}

function stripGeoNear(filter: Document): Document {
  return extractNear(filter)?.rest ?? filter;
}

const UNSUPPORTED_STAGES = new Set([
  "$merge",
  "$changeStream",
  "$collStats",
  "$indexStats",
  "$currentOp",
  "$listSessions",
  "$search",
  "$searchMeta",
  "$vectorSearch",
  "$planCacheStats",
]);

/** A whole non-negative number given as any BSON number type, or undefined. */
function wholeNumber(value: unknown): number | undefined {
  if (numberType(value) === undefined) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/** A sort key's direction given exactly as 1 or -1 (any BSON number type); undefined for anything else ($meta, 2, "1"). */
function sortDirection(value: unknown): 1 | -1 | undefined {
  if (numberType(value) === undefined) return undefined;
  const number = Number(value);
  return number === 1 || number === -1 ? number : undefined;
}

/**
 * The find a pipeline starts with: an optional `$match` (without `$expr` or geo-near), a `$sort` by fields, then an
 * optional `$skip` and an optional positive `$limit`, with how many stages it covers. Anything else (an invalid value
 * too, so that it gets the stage's own error) is left to the stages.
 */
function leadingFindOf(pipeline: Document[]): { spec: FindSpec; stages: number } | undefined {
  let position = 0;
  const spec: FindSpec = {};
  const stage = () => pipeline[position] ?? {};
  if ("$match" in stage()) {
    const filter = stage().$match;
    if (!isPlainObject(filter) || /"\$(expr|near|nearSphere)"/.test(JSON.stringify(filter))) return undefined;
    spec.filter = filter;
    position++;
  }
  const sort = stage().$sort;
  const directions = isPlainObject(sort) ? Object.values(sort) : [];
  if (directions.length === 0 || !directions.every((direction) => sortDirection(direction) !== undefined)) return undefined;
  spec.sort = sort;
  position++;
  if ("$skip" in stage()) {
    const skip = wholeNumber(stage().$skip);
    if (skip === undefined) return undefined;
    spec.skip = skip;
    position++;
  }
  if ("$limit" in stage()) {
    const limit = wholeNumber(stage().$limit);
    if (!limit) return undefined;
    spec.limit = limit;
    position++;
  }
  return { spec, stages: position };
}

/**
 * How many of `$geoNear`'s nearest documents a pipeline can keep: `$geoNear`, optionally a `$sort` led by its distance
 * field ascending, then `$limit` n. Ties at the last distance are kept by `$geoNear`, so the sort still sees them.
 */
function nearestNeededBy(pipeline: Document[]): number | undefined {
  const distanceField = isPlainObject(pipeline[0]?.$geoNear) ? pipeline[0].$geoNear.distanceField : undefined;
  let position = 1;
  const sort = pipeline[position]?.$sort;
  if (isPlainObject(sort)) {
    const [field, direction] = Object.entries(sort)[0] ?? [];
    if (field !== distanceField || sortDirection(direction) !== 1) return undefined;
    position++;
  }
  const limit = pipeline[position] && "$limit" in pipeline[position] ? wholeNumber(pipeline[position].$limit) : undefined;
  return limit || undefined;
}

/** Runs an aggregation pipeline over a collection (or none, for `aggregate: 1`). `$out` is left to the caller. */
export function runAggregate(collection: Collection | undefined, pipeline: Document[], options: QueryOptions): Document[] {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? "";
    if (UNSUPPORTED_STAGES.has(name))
      throw new CommandError("UnrecognizedPipelineStage", `Unrecognized pipeline stage name: '${name}' (not supported by the embedded engine)`);
    if (name === "$geoNear" && stage !== pipeline[0]) throw new CommandError("BadValue", "$geoNear is only valid as the first stage in a pipeline");
  }
  let input: Document[];
  let rest = pipeline;
  const first = pipeline[0];
  const startsNear = first !== undefined && "$geoNear" in first;
  const leading = startsNear ? undefined : leadingFindOf(pipeline);
  if (startsNear) {
    input = geoNearStage(collection, first.$geoNear as Document, options, nearestNeededBy(pipeline));
    rest = pipeline.slice(1);
  } else if (collection && leading) {
    // MongoDB's optimiser hands a leading $match/$sort/$skip/$limit to the query layer: the sort may walk an index.
    input = runFind(collection, leading.spec, options).docs;
    rest = pipeline.slice(leading.stages);
  } else if (first && "$match" in first && isPlainObject(first.$match) && !JSON.stringify(first.$match).includes("$expr")) {
    input = matchRecords(collection, first.$match, options).matches.map((match) => match.doc);
    rest = pipeline.slice(1);
  } else {
    input = collection ? [...collection.records.values()] : [];
  }
  if (rest.length === 0) return input;
  const collation = collationOf(options);
  return collation ? runCollatedStages(input, rest, options, collation) : runStagesKeepingTypes(input, rest, options);
}

/** Stages that compare no strings of their own: mingo runs them unchanged under a collation unless their expressions compare. */
const COLLATION_NEUTRAL_STAGES = new Set([
  "$skip",
  "$limit",
  "$count",
  "$unwind",
  "$project",
  "$addFields",
  "$set",
  "$unset",
  "$replaceRoot",
  "$replaceWith",
  "$sample",
]);
/** Expression operators whose result depends on how strings compare. */
const COLLATED_EXPRESSIONS = new Set([
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$cmp",
  "$in",
  "$indexOfArray",
  "$setEquals",
  "$setIntersection",
  "$setUnion",
  "$setDifference",
  "$setIsSubset",
  "$max",
  "$min",
  "$maxN",
  "$minN",
  "$sortArray",
  "$addToSet",
]);

/** True when an expression reads a field (a "$path" string): its value, possibly a string, is then unknown. */
function readsField(value: unknown): boolean {
  if (typeof value === "string") return value.startsWith("$");
  if (Array.isArray(value)) return value.some(readsField);
  return isPlainObject(value) && Object.values(value).some(readsField);
}

/** A `$group` whose key is a constant (e.g. the count helpers' `_id: 1`) and whose accumulators compare nothing does not depend on collation. */
function collationNeutralGroup(stage: Document): boolean {
  const group = stage.$group;
  return isPlainObject(group) && !readsField(group._id) && !comparesStrings(group);
}

function comparesStrings(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(comparesStrings);
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([key, inner]) => COLLATED_EXPRESSIONS.has(key) || comparesStrings(inner));
}

/**
 * A pipeline under a non-simple collation: `$match` and `$sort` run with the collation's comparison, stages that
 * compare no strings run in mingo, and every other stage is refused (72) rather than run with binary comparison.
 */
function runCollatedStages(input: Document[], stages: Document[], options: QueryOptions, collation: Collation): Document[] {
  let docs = input;
  const binary: QueryOptions = { ...options, collation: undefined };
  for (const stage of stages) {
    const name = Object.keys(stage)[0] ?? "";
    if (name === "$match" && isPlainObject(stage.$match)) {
      const test = compileFilter(stage.$match, options);
      docs = docs.filter((doc) => test(doc));
    } else if (name === "$sort" && isPlainObject(stage.$sort)) {
      docs = sortDocuments(
        docs.map((doc) => ({ doc })),
        stage.$sort,
        collation.compare,
      ).map(({ doc }) => doc);
    } else if ((COLLATION_NEUTRAL_STAGES.has(name) && !comparesStrings(stage[name])) || (name === "$group" && collationNeutralGroup(stage))) {
      docs = runStagesKeepingTypes(docs, [stage], binary);
    } else {
      throw new CommandError(
        "InvalidOptions",
        `the pipeline stage ${name} is not supported with a non-simple collation by the embedded engine ($match, $sort, a $group with a constant key, and $skip, $limit, $count, $unwind, $project, $addFields, $set, $unset, $replaceRoot, $replaceWith, $sample without comparison expressions are)`,
      );
    }
  }
  return docs;
}

/** Runs stages in mingo on documents that keep their number types (see typed-expressions.ts and typed-stages.ts). */
function runStagesKeepingTypes(input: Document[], stages: Document[], options: QueryOptions): Document[] {
  return evaluatingTyped(true, () => translated(() => new Aggregator(stages, options).run<Document>(input)));
}

/** Runs `$geoNear`; with `nearestLimit` (see `nearestNeededBy`) it may stop after the nearest matches the pipeline keeps. */
function geoNearStage(collection: Collection | undefined, stage: Document, options: QueryOptions, nearestLimit: number | undefined): Document[] {
  if (typeof stage.distanceField !== "string") throw new CommandError("BadValue", "$geoNear requires a 'distanceField' option as a String");
  const near = parseGeoNearStage(stage);
  if (!collection) return [];
  const geoIndexes = [...collection.indexes.values()].filter((index) => index.geoField);
  const key = typeof stage.key === "string" ? stage.key : undefined;
  const index = key ? geoIndexes.find((candidate) => candidate.geoField === key) : geoIndexes.length === 1 ? geoIndexes[0] : undefined;
  if (!index) {
    throw new CommandError(
      "NoQueryExecutionPlans",
      geoIndexes.length === 0
        ? "$geoNear requires a 2dsphere index, but none were found"
        : "There is more than one 2dsphere index; specify which one with 'key'",
    );
  }
  const filter: Document = {
    ...(isPlainObject(stage.query) ? stage.query : {}),
    [index.geoField!]: {
      $nearSphere:
        near.unit === "meters"
          ? { $geometry: { type: "Point", coordinates: [near.centre.lng, near.centre.lat] }, $maxDistance: near.maxDistance, $minDistance: near.minDistance }
          : [near.centre.lng, near.centre.lat],
    },
  };
  if (near.unit === "radians") Object.assign(filter[index.geoField!], { $maxDistance: near.maxDistance, $minDistance: near.minDistance });
  const multiplier = typeof stage.distanceMultiplier === "number" ? stage.distanceMultiplier : 1;
  return matchRecords(collection, filter, options, nearestLimit).matches.map(({ doc, distance }) => {
    const out = { ...doc };
    setValue(out, stage.distanceField as string, distance! * multiplier);
    if (typeof stage.includeLocs === "string") setValue(out, stage.includeLocs, valuesAtPath(doc, index.geoField!)[0]);
    return out;
  });
}

const UPDATE_OPERATORS = new Set([
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$rename",
  "$min",
  "$max",
  "$currentDate",
  "$addToSet",
  "$pop",
  "$pull",
  "$pullAll",
  "$push",
  "$bit",
  "$setOnInsert",
]);

export interface UpdateContext {
  filter: Document;
  arrayFilters?: Document[];
  /** True when the update builds a new document for an upsert ($setOnInsert applies). */
  inserting: boolean;
  options: QueryOptions;
}

/** Whether an update document is a replacement (no operators) rather than a modification. */
export function isReplacement(update: unknown): update is Document {
  return isPlainObject(update) && !Object.keys(update).some((key) => key.startsWith("$"));
}

/** Computes the new version of a document under an update (operators, replacement or pipeline). */
export function applyUpdate(doc: Document, update: Document | Document[], context: UpdateContext): Document {
  refuseCollatedUpdate(update, context);
  let next: Document;
  if (Array.isArray(update)) {
    next = runStagesKeepingTypes([cloneDocument(doc)], update, context.options)[0];
    // A pipeline that leaves _id out (e.g. $replaceWith, $project) keeps the document's _id, as MongoDB does.
    if (next._id === undefined && doc._id !== undefined) next = { _id: doc._id, ...next };
  } else if (isReplacement(update)) {
    next = { _id: doc._id, ...update };
  } else {
    const modifier: Document = {};
    for (const [operator, fields] of Object.entries(update)) {
      if (!UPDATE_OPERATORS.has(operator))
        throw new CommandError(
          "FailedToParse",
          `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
        );
      if (operator === "$setOnInsert") {
        if (context.inserting) modifier.$set = { ...(modifier.$set ?? {}), ...(fields as Document) };
        continue;
      }
      modifier[operator] = operator === "$set" ? { ...(modifier.$set ?? {}), ...(fields as Document) } : fields;
    }
    next = cloneDocument(doc);
    applyArithmetic(next, modifier);
    // mingo applies operators only when the document matches the condition; a new upsert document is built from the
    // filter's equalities alone and need not match its ranges, so it is modified unconditionally (as MongoDB does).
    // Only the positional operator needs the condition; it is matched against the plain-number view.
    const positional = Object.values(modifier).some((fields) => isPlainObject(fields) && Object.keys(fields).some((path) => /(^|\.)\$(\.|$)/.test(path)));
    const condition = context.inserting || !positional ? undefined : plainNumbers(context.filter);
    if (Object.keys(modifier).length > 0) translated(() => applyOperators(next, modifier, context.arrayFilters, condition, { queryOptions: context.options }));
  }
  if (doc._id !== undefined && compareValues(next._id, doc._id) !== 0) {
    throw new CommandError("ImmutableField", "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  const { _id, ...fields } = next;
  return { _id: _id === undefined ? new ObjectId() : _id, ...fields };
}

/** Update parts that compare strings (positional matches, array filters, $pull, $pullAll, $addToSet, pipelines) are refused under a non-simple collation. */
function refuseCollatedUpdate(update: Document | Document[], context: UpdateContext): void {
  if (!collationOf(context.options)) return;
  const refuse = (what: string): never => {
    throw new CommandError("InvalidOptions", `${what} with a non-simple collation is not supported by the embedded engine`);
  };
  if (Array.isArray(update)) {
    if (comparesStrings(update) || update.some((stage) => !COLLATION_NEUTRAL_STAGES.has(Object.keys(stage)[0] ?? ""))) refuse("this pipeline update");
    return;
  }
  if (context.arrayFilters && holdsString(context.arrayFilters)) refuse("arrayFilters comparing strings");
  for (const [operator, fields] of Object.entries(update)) {
    if (["$pull", "$pullAll", "$addToSet"].includes(operator) && holdsString(fields)) refuse(`${operator} of strings`);
    if (isPlainObject(fields) && Object.keys(fields).some((path) => /(^|\.)\$(\.|$)/.test(path)) && holdsString(context.filter))
      refuse("the positional operator $");
  }
}

/** The document an upsert starts from: the filter's equality conditions. */
export function upsertSeed(filter: Document): Document {
  const seed: Document = {};
  const visit = (clause: Document): void => {
    for (const [field, condition] of Object.entries(clause)) {
      if (field === "$and" && Array.isArray(condition)) condition.forEach((sub) => isPlainObject(sub) && visit(sub));
      if (field.startsWith("$")) continue;
      if (isPlainObject(condition) && Object.keys(condition).some((key) => key.startsWith("$"))) {
        if ("$eq" in condition) setValue(seed, field, condition.$eq);
      } else setValue(seed, field, condition);
    }
  };
  visit(filter);
  return seed;
}
