// Near queries ($near, $nearSphere, $geoNear) over a 2dsphere index: with a limit, the cells are walked in rings outward
// from the centre (as MongoDB's $geoNear searches annuli of growing radius) unless a smaller candidate source drives.
import type { Document } from "bson";
import type { Collection } from "./collection";
import type { Index } from "./indexes";
import type { Match, QueryPlan } from "./query";
import { MAX_KEY, MIN_KEY, valuesAtPath } from "./bson-values";
import { CommandError } from "./errors";
import { cellsBeyond, cellsCovering, EARTH_RADIUS_METERS, nearDistance, parsePoint, type CellRanges, type NearQuery } from "./geo";
import { candidateSources, smallestSource, type CandidateSource } from "./candidates";
import type { Collation } from "./collation";

/** The radius of the first ring, in metres: about one cell of the grid. */
export const FIRST_RING_METERS = 100;
/**
 * Records a candidate source may hold to drive a near query from the start; then, as the ring walk's work (index
 * entries read plus documents tested) grows fourfold, a source holding no more than that work takes over.
 */
const FIRST_PROBE = 256;
/** Every cell: the range read when a disc is too large for the grid. */
const ALL_CELLS: CellRanges = [[0, Number.MAX_SAFE_INTEGER]];

interface Candidate {
  recordId: number;
  distance: number;
  /** The document, when it was read to measure the distance. */
  doc?: Document;
}

/** The entries of a 2dsphere index in the given cell ranges, as a candidate source. */
function cellsSource(index: Index, ranges: CellRanges): CandidateSource {
  return {
    indexName: index.name,
    combined: false,
    list(limit) {
      const ids = new Set<number>();
      for (const [from, to] of ranges) {
        let over = false;
        index.tree.forRange([[from], MIN_KEY], [[to, MAX_KEY], MAX_KEY], true, (entry) => {
          ids.add(entry[entry.length - 1] as number);
          over = ids.size > limit;
          return over ? { break: true } : undefined;
        });
        if (over) return undefined;
      }
      return [...ids];
    },
  };
}

/** A near query's distances as angles (radians), for the cells. */
function angleOf(near: NearQuery, distance: number): number {
  return near.unit === "meters" ? distance / EARTH_RADIUS_METERS : distance;
}

/** Whether a distance lies within the query's bounds. */
function withinBounds(near: NearQuery, distance: number): boolean {
  return (near.maxDistance === undefined || distance <= near.maxDistance) && (near.minDistance === undefined || distance >= near.minDistance);
}

/**
 * Reads a 2dsphere index outward from a near query's centre: each ring reads only the cells its disc adds to the
 * previous one and returns the candidates farther than the previous radius and at most its own, nearest first (ties by
 * record). Entries read beyond a ring's radius wait for the ring that reaches them. Radii double up to maxDistance; a
 * disc too large for the grid reads every cell left.
 */
class RingWalk {
  /** Every candidate within this distance (in the query's unit) has been returned; -1 before the first ring. */
  covered = -1;
  keysExamined = 0;
  private read: CellRanges = [];
  private pending: Candidate[] = [];
  private finished = false;
  /** Records already read, when a record may have several entries (a compound index with an array field). */
  private seen: Set<number> | undefined;

  constructor(
    private readonly index: Index,
    private readonly near: NearQuery,
  ) {
    this.seen = index.fields.length > 1 ? new Set() : undefined;
  }

  /** The next ring's candidates, or undefined when every candidate has been returned. */
  next(): Candidate[] | undefined {
    if (this.finished) return undefined;
    const { near } = this;
    const first = near.unit === "meters" ? FIRST_RING_METERS : FIRST_RING_METERS / EARTH_RADIUS_METERS;
    let radius = this.covered < 0 ? first : this.covered * 2;
    if (near.maxDistance !== undefined && radius >= near.maxDistance) [radius, this.finished] = [near.maxDistance, true];
    const cells = cellsCovering(near.centre, angleOf(near, radius));
    if (cells) {
      this.readCells(cellsBeyond(cells, this.read));
      this.read = cells;
    } else {
      // Every cell left: read them all again, keeping what lies beyond the rings returned so far.
      [this.pending, this.finished, radius] = [[], true, Infinity];
      if (this.seen) this.seen.clear();
      this.readCells(ALL_CELLS);
    }
    const ready: Candidate[] = [];
    const later: Candidate[] = [];
    for (const candidate of this.pending) (candidate.distance <= radius ? ready : later).push(candidate);
    this.pending = later;
    this.covered = radius;
    return ready.sort((a, b) => a.distance - b.distance || a.recordId - b.recordId);
  }

  /** Every candidate in the given cells, in no order (a near query without a limit reads its whole disc at once). */
  candidatesIn(ranges: CellRanges): Candidate[] {
    this.readCells(ranges);
    const found = this.pending;
    this.pending = [];
    return found;
  }

  private readCells(ranges: CellRanges): void {
    const { near, seen, covered } = this;
    this.index.forEachPointInCells(ranges, (recordId, lng, lat) => {
      this.keysExamined++;
      const distance = nearDistance(near, { lng, lat });
      if (distance <= covered || !withinBounds(near, distance)) return;
      if (seen) {
        if (seen.has(recordId)) return;
        seen.add(recordId);
      }
      this.pending.push({ recordId, distance });
    });
  }
}

/** Runs a near query on `field` with the other conditions `test` (from `rest`); with `limit`, stops after the nearest matches (ties kept). */
export function matchNear(
  collection: Collection,
  field: string,
  near: NearQuery,
  test: (doc: Document) => boolean,
  rest: Document,
  collation: Collation | undefined,
  limit: number | undefined,
): { matches: Match[]; plan: QueryPlan } {
  const index = [...collection.indexes.values()].find((candidate) => candidate.geoField === field && candidate.fields[0] === field);
  if (!index)
    throw new CommandError(
      "NoQueryExecutionPlans",
      `error processing query: planner returned error :: caused by :: unable to find index for $geoNear query (no 2dsphere index on '${field}')`,
    );
  // Candidate sources read indexes by binary equality: under a collation they could miss matches.
  const sources = collation ? [] : candidateSources(collection, rest);
  if (limit !== undefined) return nearestByRings(collection, index, field, near, test, sources, limit);
  const radius = near.maxDistance === undefined ? undefined : angleOf(near, near.maxDistance);
  const ranges = (radius !== undefined && cellsCovering(near.centre, radius)) || ALL_CELLS;
  // The source yielding the fewest records drives: the cells within the radius, or an index on another condition.
  const cells = cellsSource(index, ranges);
  const driver = sources.length > 0 ? smallestSource([cells, ...sources], collection.size) : undefined;
  if (driver && driver.source !== cells) {
    const { matches, docsExamined } = nearestMatches(collection, candidatesAmong(collection, field, near, driver.ids, -1), test, undefined);
    return { matches, plan: { stage: "GEO_NEAR_2DSPHERE", indexName: driver.source.indexName, keysExamined: driver.ids.length, docsExamined } };
  }
  const walk = new RingWalk(index, near);
  const { matches, docsExamined } = nearestMatches(collection, walk.candidatesIn(ranges), test, undefined);
  return { matches, plan: { stage: "GEO_NEAR_2DSPHERE", indexName: index.name, keysExamined: walk.keysExamined, docsExamined } };
}

/**
 * The nearest `limit` matches (and any tied with the last): the rings are tested nearest first until `limit` matched and
 * the next candidate lies farther than the last match. A candidate source of the other conditions holding fewer records
 * than the walk's work so far (or than FIRST_PROBE, before it) drives the rest: its records beyond the rings read.
 */
function nearestByRings(
  collection: Collection,
  index: Index,
  field: string,
  near: NearQuery,
  test: (doc: Document) => boolean,
  sources: readonly CandidateSource[],
  limit: number,
): { matches: Match[]; plan: QueryPlan } {
  const walk = new RingWalk(index, near);
  const matches: Match[] = [];
  let docsExamined = 0;
  const result = (indexName = index.name, keysExamined = walk.keysExamined) => ({
    matches,
    plan: { stage: "GEO_NEAR_2DSPHERE" as const, indexName, keysExamined, docsExamined },
  });
  let probeAt = FIRST_PROBE;
  for (;;) {
    // Before the first ring and whenever the walk has done four times the work of the last look: is a source smaller?
    const work = Math.max(FIRST_PROBE, walk.keysExamined + docsExamined);
    const driver = sources.length > 0 && work >= probeAt ? smallestSource(sources, work) : undefined;
    if (driver) {
      const beyond = candidatesAmong(collection, field, near, driver.ids, walk.covered);
      const rest = nearestMatches(collection, beyond, test, limit - matches.length);
      matches.push(...rest.matches);
      docsExamined += rest.docsExamined;
      return result(walk.keysExamined > 0 ? `${index.name},${driver.source.indexName}` : driver.source.indexName, walk.keysExamined + driver.ids.length);
    }
    if (work >= probeAt) probeAt = work * 4;
    const ring = walk.next();
    if (!ring) break;
    for (const { recordId, distance } of ring) {
      if (matches.length >= limit && distance > matches[matches.length - 1].distance!) return result();
      const doc = collection.records.get(recordId)!;
      docsExamined++;
      if (test(doc)) matches.push({ recordId, doc, distance });
    }
    // Every candidate not yet tested lies beyond this ring, farther than the last match.
    if (matches.length >= limit) return result();
  }
  return result();
}

/**
 * The records among `ids` with an indexed point farther than `beyond` and within the query's bounds, each with its
 * distance (as the 2dsphere index does: the first value at the path is the record's point).
 */
function candidatesAmong(collection: Collection, field: string, near: NearQuery, ids: readonly number[], beyond: number): Candidate[] {
  const candidates: Candidate[] = [];
  for (const recordId of ids) {
    const doc = collection.records.get(recordId)!;
    const point = parsePoint(valuesAtPath(doc, field)[0]);
    if (!point) continue;
    const distance = nearDistance(near, point);
    if (distance > beyond && withinBounds(near, distance)) candidates.push({ recordId, distance, doc });
  }
  return candidates;
}

/**
 * The candidates that pass `test`, nearest first (ties by record). With a limit, candidates are ordered by distance
 * first and tested until `limit` matched and the next one lies farther than the last match, so the matches returned are
 * the nearest `limit` with every one tied at the last distance; otherwise every candidate is tested.
 */
function nearestMatches(
  collection: Collection,
  candidates: Candidate[],
  test: (doc: Document) => boolean,
  limit: number | undefined,
): { matches: Match[]; docsExamined: number } {
  const matches: Match[] = [];
  let docsExamined = 0;
  for (const { recordId, distance, doc = collection.records.get(recordId)! } of candidates.sort((a, b) => a.distance - b.distance || a.recordId - b.recordId)) {
    if (limit !== undefined && matches.length >= limit && distance > matches[matches.length - 1].distance!) break;
    docsExamined++;
    if (test(doc)) matches.push({ recordId, doc, distance });
  }
  return { matches, docsExamined };
}
