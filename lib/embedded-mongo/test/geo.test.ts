// Unit tests of the geo module: MongoDB's earth radius, point parsing, and grid cells that cover a circle.
import { cellsBeyond, cellsCovering, distanceMeters, EARTH_RADIUS_METERS, geoCellOf, parsePoint, type Point } from "../src/geo";

it("measures one degree of longitude on the equator as MongoDB does (radius 6,378.1 km)", () => {
  expect(distanceMeters({ lng: 0, lat: 0 }, { lng: 1, lat: 0 })).toBeCloseTo(111_318.845, 2);
});

it("accepts GeoJSON points and legacy pairs, and rejects out-of-range or malformed ones", () => {
  expect(parsePoint({ type: "Point", coordinates: [136.45, 36.4] })).toEqual({ lng: 136.45, lat: 36.4 });
  expect(parsePoint([136.45, 36.4])).toEqual({ lng: 136.45, lat: 36.4 });
  expect(parsePoint({ type: "Point", coordinates: [36.4, 136.45] })).toBeUndefined();
  expect(parsePoint({ type: "Point", coordinates: [181, 0] })).toBeUndefined();
  expect(
    parsePoint({
      type: "LineString",
      coordinates: [
        [0, 0],
        [1, 1],
      ],
    }),
  ).toBeUndefined();
  expect(parsePoint({ type: "Point", coordinates: ["a", 1] })).toBeUndefined();
});

/** A point `meters` from `centre` towards `bearing` degrees (great-circle destination). */
function destination(centre: Point, meters: number, bearing: number): Point {
  const [angle, theta] = [meters / EARTH_RADIUS_METERS, (bearing * Math.PI) / 180];
  const [phi1, lambda1] = [(centre.lat * Math.PI) / 180, (centre.lng * Math.PI) / 180];
  const phi2 = Math.asin(Math.sin(phi1) * Math.cos(angle) + Math.cos(phi1) * Math.sin(angle) * Math.cos(theta));
  const lambda2 = lambda1 + Math.atan2(Math.sin(theta) * Math.sin(angle) * Math.cos(phi1), Math.cos(angle) - Math.sin(phi1) * Math.sin(phi2));
  return { lat: (phi2 * 180) / Math.PI, lng: (lambda2 * 180) / Math.PI };
}

const covered = (ranges: Array<[number, number]>, point: Point): boolean => ranges.some(([from, to]) => geoCellOf(point) >= from && geoCellOf(point) <= to);

it.each([
  [{ lng: 136.45, lat: 36.4 }, 3_000],
  [{ lng: 136.45, lat: 36.4 }, 50],
  [{ lng: -70.1, lat: -52.3 }, 20_000],
  [{ lng: 12.5, lat: 0 }, 8_000],
  [{ lng: 25, lat: 70 }, 100_000],
])("covers every point within the radius with the cells it returns, and few beyond (%j, %d m)", (centre, meters) => {
  const ranges = cellsCovering(centre, meters / EARTH_RADIUS_METERS)!;
  // Points on the circle (a hair inside) at every 5 degrees of bearing, and points well inside.
  for (let bearing = 0; bearing < 360; bearing += 5) {
    const edge = destination(centre, meters * (1 - 1e-9), bearing);
    expect(distanceMeters(centre, edge)).toBeLessThanOrEqual(meters);
    expect(covered(ranges, edge)).toBe(true);
    expect(covered(ranges, destination(centre, meters * 0.6, bearing))).toBe(true);
  }
  // No cell lies wholly beyond the disc by more than a cell's diagonal: the covering follows the circle, not its bounding box.
  for (let bearing = 45; bearing < 360; bearing += 90) expect(covered(ranges, destination(centre, meters * 1.3 + 300, bearing))).toBe(false);
});

it("gives up on discs the grid cannot help with: a pole inside, the antimeridian crossed, or hundreds of kilometres", () => {
  expect(cellsCovering({ lng: 0, lat: 89.99 }, 2_000 / EARTH_RADIUS_METERS)).toBeUndefined();
  expect(cellsCovering({ lng: 179.99, lat: 10 }, 2_000 / EARTH_RADIUS_METERS)).toBeUndefined();
  expect(cellsCovering({ lng: 136.45, lat: 36.4 }, 2_000_000 / EARTH_RADIUS_METERS)).toBeUndefined();
});

it("the cells a larger disc adds are those the smaller one's covering leaves out, each read once", () => {
  const centre = { lng: 136.45, lat: 36.4 };
  const inner = cellsCovering(centre, 400 / EARTH_RADIUS_METERS)!;
  const outer = cellsCovering(centre, 800 / EARTH_RADIUS_METERS)!;
  const cellsOf = (ranges: Array<[number, number]>) => ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
  const added = cellsOf(cellsBeyond(outer, inner));
  expect(new Set([...added, ...cellsOf(inner)])).toEqual(new Set(cellsOf(outer)));
  expect(added.filter((cell) => cellsOf(inner).includes(cell))).toEqual([]);
  expect(added.length).toBeGreaterThan(0);
});
