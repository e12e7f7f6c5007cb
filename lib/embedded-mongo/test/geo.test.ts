// Unit tests of the geo module: MongoDB's earth radius, point parsing, and grid cells that cover a circle.
import { cellRangesAround, distanceMeters, geoCellOf, parsePoint } from "../src/geo";

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

it("covers every point within the radius with the cells it returns", () => {
  const centre = { lng: 136.45, lat: 36.4 };
  const ranges = cellRangesAround(centre, 8_000)!;
  const covered = (cell: number): boolean => ranges.some(([from, to]) => cell >= from && cell <= to);
  for (let bearing = 0; bearing < 360; bearing += 15) {
    const rad = (bearing * Math.PI) / 180;
    const point = { lng: centre.lng + (0.071 * Math.sin(rad)) / Math.cos((centre.lat * Math.PI) / 180), lat: centre.lat + 0.071 * Math.cos(rad) };
    expect(distanceMeters(centre, point)).toBeLessThan(8_000);
    expect(covered(geoCellOf(point))).toBe(true);
  }
  expect(cellRangesAround(centre, 2_000_000)).toBeUndefined();
});
