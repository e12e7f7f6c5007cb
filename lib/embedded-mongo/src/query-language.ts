// The MongoDB query language from mingo, with every operator and our geo operators loaded once into one context.
import { Context } from "mingo/core";
import { Query } from "mingo/query";
import { Aggregator } from "mingo/aggregator";
import { update } from "mingo/updater";
import * as accumulator from "mingo/operators/accumulator";
import * as expression from "mingo/operators/expression";
import type * as pipeline from "mingo/operators/pipeline";
import * as projection from "mingo/operators/projection";
import * as query from "mingo/operators/query";
import * as window from "mingo/operators/window";
import type { Options } from "mingo/types";
import type { Document } from "bson";
import { geoQueryOperators } from "./geo";
import { typeTest } from "./fast-match";
import { originalOf, plainNumbers } from "./numbers";
import { compileJsonSchema } from "./json-schema";
import { accumulatorOperators, evaluatingTyped, expressionOperators } from "./typed-expressions";
import { typedStages } from "./typed-stages";

/** `$type` judged on the typed document behind mingo's plain-number view, so "int", "long" and "double" differ. */
const typeOperator = (selector: string, value: unknown) => {
  const test = typeTest(selector, value);
  return (doc: Document) => test(originalOf(doc));
};

type QueryOperators = NonNullable<NonNullable<Parameters<typeof Context.init>[0]>["query"]>;

type QueryOperator = (selector: string, value: unknown, options: Options) => (doc: unknown) => boolean;

/** A query operator judging the plain-number view of a document (documents keep their number types; mingo compares plain numbers). */
function judgingPlainNumbers(operator: QueryOperator): QueryOperator {
  return (selector, value, options) => {
    const test = operator(selector, plainNumbers(value), options);
    return (doc) => evaluatingTyped(false, () => test(plainNumbers(doc)));
  };
}

const queryOperators = Object.fromEntries(
  Object.entries({ ...query, ...(geoQueryOperators as unknown as QueryOperators), $type: typeOperator }).map(([name, operator]) => [
    name,
    judgingPlainNumbers(operator as unknown as QueryOperator),
  ]),
);

// Built once: mingo's convenience wrappers merge operator tables on every query, which dominated lookup time.
const context = Context.init({
  accumulator: accumulatorOperators(accumulator) as typeof accumulator,
  expression: expressionOperators(expression) as typeof expression,
  pipeline: typedStages as typeof pipeline,
  projection,
  // mingo types its operator table as an intersection of every built-in signature; ours take (selector, value).
  query: queryOperators as unknown as QueryOperators,
  window,
});

export type QueryOptions = Partial<Options>;

/** `$jsonSchema` judged on the typed document behind mingo's plain-number view. */
function jsonSchemaValidator(schema: Document): (doc: Document) => boolean {
  const test = compileJsonSchema(schema);
  return (doc) => test(originalOf(doc));
}

/** Options for a database: all operators, `$lookup`/`$unionWith` reading sibling collections, and `let` variables. */
export function queryOptions(resolveCollection?: (name: string) => Document[], variables?: Document): QueryOptions {
  return { idKey: "_id", context, collectionResolver: resolveCollection, scriptEnabled: false, jsonSchemaValidator, ...(variables ? { variables } : {}) };
}

export { Query, Aggregator, update as applyOperators };
