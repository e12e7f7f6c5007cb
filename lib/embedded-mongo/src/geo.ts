// Geospatial support: GeoJSON points, distances in metres as MongoDB computes them, shapes, and grid cells for 2dsphere indexes.
import type { Document } from "bson";
import { isPlainObject, valuesAtPath } from "./bson-values";
import { CommandError } from "./errors";

/** MongoDB's earth radius for spherical distances (kRadiusOfEarthInMeters). */
export const EARTH_RADIUS_METERS = 6378.1 * 1000;

export interface Point {
  lng: number;
  lat: number;
}

/** Reads a GeoJSON Point or a legacy [lng, lat] pair; undefined when the value is not a valid point. */
export function parsePoint(value: unknown): Point | undefined {
  let coordinates: unknown = value;
  if (isPlainObject(value)) {
    if (value.type !== "Point") return undefined;
    coordinates = value.coordinates;
  }
  if (!Array.isArray(coordinates) || coordinates.length !== 2) return undefined;
  const [lng, lat] = coordinates.map(Number) as [number, number];
  if (!Number.isFinite(lng) || !Number.isFinite(lat) || Math.abs(lng) > 180 || Math.abs(lat) > 90) return undefined;
  return { lng, lat };
}

function requirePoint(value: unknown, what: string): Point {
  const point = parsePoint(value);
  if (!point) throw new CommandError("BadValue", `${what} must be a GeoJSON Point or a [longitude, latitude] pair within range, got ${JSON.stringify(value)}`);
  return point;
}

const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** The great-circle angle between two points, in radians (haversine). */
export function angularDistance(a: Point, b: Point): number {
  const dLat = toRadians(b.lat - a.lat);
  const dLng = toRadians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Distance in metres on MongoDB's sphere. */
export function distanceMeters(a: Point, b: Point): number {
  return angularDistance(a, b) * EARTH_RADIUS_METERS;
}

function insideRing(point: Point, ring: unknown[]): boolean {
  let inside = false;
  const vertices = ring.map((vertex) => requirePoint(vertex, "polygon vertex"));
  for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i++) {
    const a = vertices[i];
    const b = vertices[j];
    if (a.lat > point.lat !== b.lat > point.lat && point.lng < ((b.lng - a.lng) * (point.lat - a.lat)) / (b.lat - a.lat) + a.lng) inside = !inside;
  }
  return inside;
}

function insidePolygon(point: Point, rings: unknown[]): boolean {
  const [outer, ...holes] = rings as unknown[][];
  if (!outer || !insideRing(point, outer)) return false;
  return !holes.some((hole) => insideRing(point, hole));
}

function insideGeometry(point: Point, geometry: Document): boolean {
  if (geometry.type === "Polygon" && Array.isArray(geometry.coordinates)) return insidePolygon(point, geometry.coordinates);
  if (geometry.type === "MultiPolygon" && Array.isArray(geometry.coordinates)) {
    return (geometry.coordinates as unknown[][]).some((polygon) => insidePolygon(point, polygon));
  }
  if (geometry.type === "Point") {
    const other = requirePoint(geometry, "$geometry");
    return other.lng === point.lng && other.lat === point.lat;
  }
  throw new CommandError(
    "BadValue",
    `unsupported $geometry type ${JSON.stringify(geometry.type)}: the embedded engine supports Point, Polygon and MultiPolygon`,
  );
}

/** Compiles a `$geoWithin` shape into a test on points. */
function withinShape(shape: Document): (point: Point) => boolean {
  if (Array.isArray(shape.$centerSphere)) {
    const [centre, radius] = shape.$centerSphere as [unknown, number];
    const c = requirePoint(centre, "$centerSphere centre");
    if (typeof radius !== "number" || radius < 0) throw new CommandError("BadValue", "$centerSphere radius must be a non-negative number of radians");
    return (point) => angularDistance(c, point) <= radius;
  }
  if (Array.isArray(shape.$center)) {
    const [centre, radius] = shape.$center as [unknown, number];
    const c = requirePoint(centre, "$center centre");
    return (point) => Math.hypot(point.lng - c.lng, point.lat - c.lat) <= radius;
  }
  if (Array.isArray(shape.$box)) {
    const [a, b] = (shape.$box as unknown[]).map((corner) => requirePoint(corner, "$box corner")) as [Point, Point];
    return (point) =>
      point.lng >= Math.min(a.lng, b.lng) && point.lng <= Math.max(a.lng, b.lng) && point.lat >= Math.min(a.lat, b.lat) && point.lat <= Math.max(a.lat, b.lat);
  }
  if (Array.isArray(shape.$polygon)) {
    const ring = shape.$polygon as unknown[];
    if (ring.length < 3) throw new CommandError("BadValue", "$polygon needs at least three points");
    return (point) => insideRing(point, ring);
  }
  if (isPlainObject(shape.$geometry)) {
    const geometry = shape.$geometry;
    return (point) => insideGeometry(point, geometry);
  }
  throw new CommandError("BadValue", `unknown $geoWithin shape: ${Object.keys(shape).join(", ")}`);
}

type FieldTest = (selector: string, value: unknown) => (doc: Document) => boolean;

/** The valid points a document holds at a path. */
export function pointsAt(doc: Document, selector: string): Point[] {
  const points: Point[] = [];
  for (const value of valuesAtPath(doc, selector)) {
    const point = parsePoint(value);
    if (point) points.push(point);
  }
  return points;
}

const $geoWithin: FieldTest = (selector, value) => {
  if (!isPlainObject(value)) throw new CommandError("BadValue", "$geoWithin takes a shape document");
  const test = withinShape(value);
  return (doc) => pointsAt(doc, selector).some(test);
};

const $geoIntersects: FieldTest = (selector, value) => {
  if (!isPlainObject(value) || !isPlainObject(value.$geometry)) throw new CommandError("BadValue", "$geoIntersects takes { $geometry: ... }");
  const geometry = value.$geometry;
  return (doc) => pointsAt(doc, selector).some((point) => insideGeometry(point, geometry));
};

/** Query operators mingo lacks, registered with its context. */
export const geoQueryOperators = { $geoWithin, $geoIntersects };

/** A `$near`/`$nearSphere`/`$geoNear` request, normalised: distances in metres or, for legacy pairs, radians. */
export interface NearQuery {
  centre: Point;
  unit: "meters" | "radians";
  maxDistance?: number;
  minDistance?: number;
}

/** Reads `{ $near: ... }` or `{ $nearSphere: ... }` as a field's condition. */
export function parseNearCondition(operator: "$near" | "$nearSphere", condition: Document): NearQuery {
  const value = condition[operator];
  if (isPlainObject(value) && value.$geometry !== undefined) {
    return {
      centre: requirePoint(value.$geometry, `${operator} $geometry`),
      unit: "meters",
      maxDistance: optionalDistance(value.$maxDistance, "$maxDistance"),
      minDistance: optionalDistance(value.$minDistance, "$minDistance"),
    };
  }
  if (operator === "$near") {
    throw new CommandError(
      "NoQueryExecutionPlans",
      "unable to find index for $geoNear query: legacy $near needs a 2d index, which the embedded engine does not support; use { $geometry: { type: 'Point', ... } }",
    );
  }
  return {
    centre: requirePoint(value, "$nearSphere"),
    unit: "radians",
    maxDistance: optionalDistance(condition.$maxDistance, "$maxDistance"),
    minDistance: optionalDistance(condition.$minDistance, "$minDistance"),
  };
}

/** Reads the `near` of a `$geoNear` stage. */
export function parseGeoNearStage(stage: Document): NearQuery {
  const geoJson = isPlainObject(stage.near);
  return {
    centre: requirePoint(stage.near, "$geoNear near"),
    unit: geoJson ? "meters" : "radians",
    maxDistance: optionalDistance(stage.maxDistance, "maxDistance"),
    minDistance: optionalDistance(stage.minDistance, "minDistance"),
  };
}

function optionalDistance(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !(value >= 0)) throw new CommandError("BadValue", `${name} must be a non-negative number`);
  return value;
}

/** The distance a near query reports for a point, in its unit. */
export function nearDistance(query: NearQuery, point: Point): number {
  const angle = angularDistance(query.centre, point);
  return query.unit === "meters" ? angle * EARTH_RADIUS_METERS : angle;
}

// 2dsphere index cells: a regular 0.001-degree grid (about 110 m north-south), numbered row by row, so that a near
// query reads the cells of a disc row by row, one index range per row, and can walk outward ring by ring.
const CELL_DEGREES = 0.001;
/** More than the 360,000 columns of a row: a row's cells are consecutive numbers. */
const ROW_WIDTH = 1_000_000;
/** Discs spanning more rows than this (about 220 km) are not worth reading cell by cell. */
const MAX_ROWS = 4_000;
/** Degrees added to every bound of a covering, far above floating-point error, so that no point on the edge is missed. */
const MARGIN_DEGREES = 1e-7;

const toDegrees = (radians: number): number => (radians * 180) / Math.PI;

const rowOf = (lat: number): number => Math.floor((lat + 90) / CELL_DEGREES);
const columnOf = (lng: number): number => Math.floor((lng + 180) / CELL_DEGREES);

export function geoCellOf(point: Point): number {
  return rowOf(point.lat) * ROW_WIDTH + columnOf(point.lng);
}

/** Inclusive ranges of cell numbers, at most one per row, in ascending order. */
export type CellRanges = Array<[number, number]>;

/**
 * The cells holding every point within `angle` radians of `centre`: per row, the columns the disc reaches within the
 * row's latitudes. Undefined when the disc is too large for the grid to help, or holds a pole or crosses the
 * antimeridian (then every indexed point is a candidate).
 */
export function cellsCovering(centre: Point, angle: number): CellRanges | undefined {
  const latDelta = toDegrees(angle) + MARGIN_DEGREES;
  const [south, north] = [centre.lat - latDelta, centre.lat + latDelta];
  if (south <= -90 || north >= 90) return undefined;
  const [firstRow, lastRow] = [rowOf(south), rowOf(north)];
  if (lastRow - firstRow > MAX_ROWS) return undefined;
  const phi0 = toRadians(centre.lat);
  // The disc is widest in longitude where a meridian touches it: sin(lat) = sin(lat0) / cos(angle).
  const widest = toDegrees(Math.asin(Math.max(-1, Math.min(1, Math.sin(phi0) / Math.cos(angle)))));
  const ranges: CellRanges = [];
  for (let row = firstRow; row <= lastRow; row++) {
    const [rowSouth, rowNorth] = [row * CELL_DEGREES - 90, (row + 1) * CELL_DEGREES - 90];
    // The half-width grows towards `widest` and shrinks past it: within the row it is largest at the latitude nearest to it.
    const lat = Math.max(south, rowSouth, Math.min(north, rowNorth, widest));
    const phi = toRadians(Math.max(-90 + MARGIN_DEGREES, Math.min(90 - MARGIN_DEGREES, lat)));
    const cosine = (Math.cos(angle) - Math.sin(phi0) * Math.sin(phi)) / (Math.cos(phi0) * Math.cos(phi));
    const halfWidth = (cosine <= -1 ? 180 : cosine >= 1 ? 0 : toDegrees(Math.acos(cosine))) + MARGIN_DEGREES;
    const [west, east] = [centre.lng - halfWidth, centre.lng + halfWidth];
    if (west < -180 || east > 180) return undefined;
    ranges.push([row * ROW_WIDTH + columnOf(west), row * ROW_WIDTH + columnOf(east)]);
  }
  return ranges;
}

/** The cells of `outer` that `inner` (a covering of a smaller disc around the same centre) leaves out. */
export function cellsBeyond(outer: CellRanges, inner: CellRanges): CellRanges {
  const innerByRow = new Map(inner.map((range) => [Math.floor(range[0] / ROW_WIDTH), range]));
  const beyond: CellRanges = [];
  for (const [from, to] of outer) {
    const read = innerByRow.get(Math.floor(from / ROW_WIDTH));
    if (!read) beyond.push([from, to]);
    else {
      if (from < read[0]) beyond.push([from, read[0] - 1]);
      if (to > read[1]) beyond.push([read[1] + 1, to]);
    }
  }
  return beyond;
}
