// Index-driven candidates: the conditions of a filter that an index can enumerate (equality, $in, each value of $all,
// $or of such branches, a near query's cells), and the one yielding the fewest records drives the query.
import type { Document } from "bson";
import { BSONRegExp } from "bson";
import type { Collection } from "./collection";
import type { Index } from "./indexes";
import { isPlainObject, MAX_KEY, MIN_KEY } from "./bson-values";

/** A superset of a filter's matches that an index enumerates. */
export interface CandidateSource {
  /** The index read, for explain. */
  indexName: string;
  /** Whether the source comes from `$all` or `$or`, the conditions the ordinary single-index planner cannot serve. */
  combined: boolean;
  /** The record ids (each once), or undefined as soon as there are more than `limit`. */
  list(limit: number): number[] | undefined;
}

/** The smallest size tried first; each further try reads four times as many. */
const FIRST_LIMIT = 64;

function scalar(value: unknown): boolean {
  return value !== undefined && !Array.isArray(value) && !isPlainObject(value) && !(value instanceof RegExp) && !(value instanceof BSONRegExp);
}

/** An ordinary (not geo, not partial) index whose first field is `field`. */
function leadingIndex(collection: Collection, field: string): Index | undefined {
  for (const index of collection.indexes.values()) {
    if (index.fields[0] === field && !index.geoField && !index.spec.partialFilterExpression) return index;
  }
  return undefined;
}

/** The records whose key on the index's first field is one of `values`. */
function valuesSource(index: Index, values: readonly unknown[], combined: boolean): CandidateSource | undefined {
  if (values.length === 0 || !values.every(scalar)) return undefined;
  if (index.spec.sparse && values.some((value) => value === null)) return undefined;
  const padding = index.fields.length - 1;
  const ranges = values.map((value): KeyRange => ({
    low: [value, ...Array(padding).fill(MIN_KEY), MIN_KEY],
    high: [value, ...Array(padding).fill(MAX_KEY), MAX_KEY],
    includeHigh: true,
  }));
  return rangesSource(index, ranges, combined);
}

interface KeyRange {
  low: unknown[];
  high: unknown[];
  includeHigh: boolean;
}

/** The records with an entry of the index in one of `ranges`. */
function rangesSource(index: Index, ranges: readonly KeyRange[], combined: boolean): CandidateSource {
  return {
    indexName: index.name,
    combined,
    list(limit) {
      const ids = new Set<number>();
      for (const { low, high, includeHigh } of ranges) {
        let over = false;
        index.tree.forRange(low, high, includeHigh, (entry) => {
          ids.add(entry[entry.length - 1] as number);
          if (ids.size > limit) over = true;
          return over ? { break: true } : undefined;
        });
        if (over) return undefined;
      }
      return [...ids];
    },
  };
}

/** Characters with a meaning in a pattern (an unescaped one ends the literal prefix); escaped, they and / and - stand for themselves. */
const METACHARACTERS = new Set(".*+?^$|(){}[]\\");
const ESCAPED_LITERALS = new Set([...METACHARACTERS, "/", "-"]);

/**
 * The prefix every match of an anchored, wholly literal pattern without options starts with (`^訪問` → 訪問,
 * `^a\.b` → a.b); undefined for any other pattern. Such a pattern selects exactly the strings with that prefix.
 */
function literalPrefix(pattern: unknown, options: unknown): string | undefined {
  let source: string;
  let flags: unknown = options;
  if (typeof pattern === "string") source = pattern;
  else if (pattern instanceof RegExp) [source, flags] = [pattern.source, `${pattern.flags}${typeof options === "string" ? options : ""}`];
  else if (pattern instanceof BSONRegExp) [source, flags] = [pattern.pattern, `${pattern.options}${typeof options === "string" ? options : ""}`];
  else return undefined;
  if ((flags !== undefined && flags !== "") || !source.startsWith("^")) return undefined;
  let prefix = "";
  for (let i = 1; i < source.length; i++) {
    const character = source[i];
    if (character === "\\") {
      const escaped = source[++i];
      if (escaped === undefined || !ESCAPED_LITERALS.has(escaped)) return undefined;
      prefix += escaped;
    } else if (METACHARACTERS.has(character)) return undefined;
    else prefix += character;
  }
  return prefix === "" ? undefined : prefix;
}

/** The records with a string key starting with `prefix` on the index's first field (an index in binary order). */
function prefixSource(index: Index, prefix: string): CandidateSource | undefined {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (index.collation || last === 0xffff) return undefined;
  // The strings starting with the prefix are those from it up to (not including) the prefix with its last unit raised.
  const high = `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`;
  return rangesSource(index, [{ low: [prefix, MIN_KEY], high: [high, MIN_KEY], includeHigh: false }], true);
}

/** The records a `$regex` on the index's first field can match, when the pattern is an anchored literal. */
function regexSource(index: Index, pattern: unknown, options: unknown): CandidateSource | undefined {
  const prefix = literalPrefix(pattern, options);
  return prefix === undefined ? undefined : prefixSource(index, prefix);
}

/** Every branch must have a source; the union of each branch's smallest. */
function orSource(branches: CandidateSource[][]): CandidateSource | undefined {
  if (branches.length === 0 || branches.some((sources) => sources.length === 0)) return undefined;
  return {
    indexName: [...new Set(branches.flat().map((source) => source.indexName))].join(","),
    combined: true,
    list(limit) {
      const ids = new Set<number>();
      for (const sources of branches) {
        const smallest = smallestSource(sources, limit);
        if (!smallest) return undefined;
        for (const id of smallest.ids) ids.add(id);
        if (ids.size > limit) return undefined;
      }
      return [...ids];
    },
  };
}

/** The candidate sources of a filter: each one holds every record the filter matches. */
export function candidateSources(collection: Collection, filter: Document): CandidateSource[] {
  const sources: CandidateSource[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (field === "$and" && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainObject(clause)) sources.push(...candidateSources(collection, clause));
      continue;
    }
    if (field === "$or" && Array.isArray(condition)) {
      const branches = condition.map((branch) => (isPlainObject(branch) ? candidateSources(collection, branch) : []));
      const source = orSource(branches);
      if (source) sources.push(source);
      continue;
    }
    if (field.startsWith("$")) continue;
    const index = leadingIndex(collection, field);
    if (!index) continue;
    const operators = isPlainObject(condition) && Object.keys(condition).some((key) => key.startsWith("$")) ? condition : undefined;
    if (!operators) {
      const regex = condition instanceof RegExp || condition instanceof BSONRegExp;
      const source = regex ? regexSource(index, condition, undefined) : valuesSource(index, [condition], false);
      if (source) sources.push(source);
      continue;
    }
    const found = [
      "$eq" in operators ? valuesSource(index, [operators.$eq], false) : undefined,
      Array.isArray(operators.$in) ? valuesSource(index, operators.$in, false) : undefined,
      ...(Array.isArray(operators.$all) ? operators.$all.map((value) => valuesSource(index, [value], true)) : []),
      "$regex" in operators ? regexSource(index, operators.$regex, operators.$options) : undefined,
    ];
    for (const source of found) if (source) sources.push(source);
  }
  return sources;
}

/**
 * The source with the fewest records, at most `limit`, and its records: every source is read up to 64 records, then
 * 256, and so on, so the cost stays a small multiple of the smallest source whatever the others hold.
 */
export function smallestSource(sources: readonly CandidateSource[], limit: number): { source: CandidateSource; ids: number[] } | undefined {
  for (let cap = FIRST_LIMIT; ; cap *= 4) {
    const bounded = Math.min(cap, limit);
    for (const source of sources) {
      const ids = source.list(bounded);
      if (ids) return { source, ids };
    }
    if (bounded === limit) return undefined;
  }
}
