// Tests for the synthetic demo city: determinism, Komatsu-sized counts, schema validity, readings, identifiers, spread.
import { buildSearchKeys, matchesSearchKeys, normalizeJapanese, searchTerms } from "@tsunagu/service-kit";
import { DEMO_CITY, DEMO_CITY_COUNTS, DEMO_CITY_DISTRICTS, generateDemoCity, generateResources } from "../src/demo-city";
import { toResourceRecord, validateResourceInput } from "../src/domain";
import type { ResourceInput } from "../src/domain";
import { isOpenAt } from "../src/opening-hours";
import { DistrictTable } from "../src/districts";
import { placeKeysOf } from "../src/place-keys";
import { DEFAULT_TAXONOMY, categorySearchTerms, checkResourceCategory } from "../src/taxonomy";

const now = new Date("2025-06-02T00:00:00Z");
const city = generateDemoCity({ seed: 42, now });
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

function countBy(resources: readonly ResourceInput[], key: (resource: ResourceInput) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of resources) counts[key(resource)] = (counts[key(resource)] ?? 0) + 1;
  return counts;
}

describe("generateDemoCity", () => {
  it("has Komatsu's numbers of hospitals, clinics, care offices, salons and continence points", () => {
    const counts = countBy(city, (resource) => resource.category);
    expect(counts).toEqual(DEMO_CITY_COUNTS);
    expect(counts).toMatchObject({
      hospital: 10,
      clinic: 72,
      "visiting-nursing": 7,
      "care-management": 33,
      "day-care": 22,
      "home-help": 11,
      "small-multifunction": 7,
      "group-home": 11,
      salon: 189,
      "continence-consultation": 24,
    });
    expect(city).toHaveLength(564);
  });

  it("is the same city for the same seed and moment, and another city for another seed", () => {
    expect(generateDemoCity({ seed: 42, now })).toEqual(city);
    const other = generateDemoCity({ seed: 43, now });
    expect(other.map((resource) => resource.names.official)).not.toEqual(city.map((resource) => resource.names.official));
  });

  it("produces inputs the schema accepts unchanged, in categories of the default taxonomy", () => {
    for (const resource of city) {
      expect(validateResourceInput(resource)).toEqual({ ok: true, value: resource });
      expect(checkResourceCategory(resource, DEFAULT_TAXONOMY)).toEqual([]);
    }
  });

  it("gives every name and contact person a kana reading that normalises to hiragana", () => {
    const readings = city.flatMap((resource) => [resource.names.kana, ...resource.contactWindows.map((window) => window.kana)]);
    expect(readings.length).toBeGreaterThan(city.length);
    for (const reading of readings) expect(normalizeJapanese(reading ?? "")).toMatch(/^[\u3041-\u3096ー・ ]+$/);
  });

  it("never repeats a name within a category", () => {
    const keys = city.map((resource) => `${resource.category}:${resource.names.official}`);
    expect(new Set(keys).size).toBe(city.length);
  });

  it("gives official resources place keys, and offices of one corporation at one site the same place", () => {
    const official = city.filter(({ identifiers }) => identifiers.careOfficeNumber || identifiers.medicalInstitutionCode);
    for (const resource of official) expect(placeKeysOf(resource).length).toBeGreaterThan(0);
    const sites = countBy(
      city.filter((resource) => resource.identifiers.corporateNumber && resource.address.street),
      (resource) => placeKeysOf(resource).find((key) => key.startsWith("corp:")) ?? "",
    );
    expect(Math.max(...Object.values(sites))).toBeGreaterThan(1);
    const station = city.find((resource) => resource.category === "visiting-nursing");
    expect(station?.identifiers.careServiceCode).toBe("130");
    expect(station?.identifiers.careOfficeNumber).toMatch(/^17\d{8}$/);
    expect(city.find((resource) => resource.category === "pharmacy")?.identifiers.medicalInstitutionCode).toMatch(/^174\d{7}$/);
  });

  it("places everything in つなぐ市, 石川県, in its districts, within 8 km of the centre near Komatsu", () => {
    const table = new DistrictTable(
      DEMO_CITY_DISTRICTS.districts.map((entry) => ({ ...entry, _id: undefined as never, prefecture: DEMO_CITY.prefecture, city: DEMO_CITY.city })),
    );
    const districts = countBy(city, (resource) => table.districtOf(resource.address) ?? "");
    expect(Object.keys(districts).sort()).toEqual([...DEMO_CITY.districts].sort());
    expect(DEMO_CITY.districts.length).toBeGreaterThanOrEqual(6);
    for (const resource of city) {
      expect(resource.address).toMatchObject({ prefecture: "石川県", city: "つなぐ市" });
      const { latitude, longitude } = resource.location ?? { latitude: 0, longitude: 0 };
      const km = Math.hypot((latitude - 36.4) * 110.95, (longitude - 136.45) * 89.6);
      expect(km).toBeLessThanOrEqual(8.01);
    }
  });

  it("draws each district's outline so that the outlines tile the city: every resource's point is in one, mostly its own district's", () => {
    const byTown = new DistrictTable(
      DEMO_CITY_DISTRICTS.districts.map(({ area: _area, ...entry }) => ({
        ...entry,
        _id: undefined as never,
        prefecture: DEMO_CITY.prefecture,
        city: DEMO_CITY.city,
      })),
    );
    const outlines = DEMO_CITY_DISTRICTS.districts.map((entry) => ({
      ...entry,
      towns: [],
      _id: undefined as never,
      prefecture: DEMO_CITY.prefecture,
      city: DEMO_CITY.city,
    }));
    const byPoint = new DistrictTable(outlines);
    const inOwnOutline = countBy(city, (resource) => {
      const { latitude, longitude } = resource.location ?? { latitude: 0, longitude: 0 };
      const drawn = byPoint.districtOf({ prefecture: DEMO_CITY.prefecture, city: DEMO_CITY.city }, { type: "Point", coordinates: [longitude, latitude] });
      if (drawn === undefined) return "outside every outline";
      return drawn === byTown.districtOf(resource.address) ? "own" : "neighbour";
    });
    expect(inOwnOutline["outside every outline"]).toBeUndefined();
    expect(inOwnOutline.own / city.length).toBeGreaterThan(0.75);
    // Voronoi cells: no point of one district's ring lies strictly inside another's.
    for (const [index, district] of outlines.entries()) {
      const others = new DistrictTable(outlines.filter((_, other) => other !== index));
      const [ring] = district.area.coordinates;
      const [east, north] = ring
        .slice(0, -1)
        .reduce(([x, y], [longitude, latitude]) => [x + longitude / (ring.length - 1), y + latitude / (ring.length - 1)], [0, 0]);
      expect(others.districtOf({ prefecture: DEMO_CITY.prefecture, city: DEMO_CITY.city }, { type: "Point", coordinates: [east, north] })).toBeUndefined();
    }
  });

  it("puts a salon named after a town in that town", () => {
    const salon = city.find((resource) => resource.category === "salon" && resource.names.official.startsWith("本町"));
    expect(salon?.address.street?.startsWith("本町")).toBe(true);
    const table = new DistrictTable(
      DEMO_CITY_DISTRICTS.districts.map((entry) => ({ ...entry, _id: undefined as never, prefecture: DEMO_CITY.prefecture, city: DEMO_CITY.city })),
    );
    expect(salon && table.districtOf(salon.address)).toBe("中央圏域");
  });

  it("gives clinics the departments their names say", () => {
    const eyeClinics = city.filter((resource) => resource.category === "clinic" && resource.names.official.endsWith("眼科医院"));
    expect(eyeClinics.length).toBeGreaterThan(0);
    for (const clinic of eyeClinics) expect(clinic.departments).toEqual(["眼科"]);
  });

  it("gives contact windows a face photo, and some of them hours to avoid calling", () => {
    const windows = city.flatMap((resource) => resource.contactWindows);
    expect(windows.every((window) => /^https:\/\/example\.org\/photos\/r\d+-\d\.jpg$/.test(window.photoUrl ?? ""))).toBe(true);
    const reasons = new Set(windows.flatMap((window) => window.avoidCallingHours.map((hours) => hours.reason)));
    expect([...reasons]).toEqual(expect.arrayContaining(["朝の申し送り", "昼休み"]));
    const hospitals = city.filter((resource) => resource.category === "hospital");
    expect(hospitals.every((hospital) => hospital.contactWindows.length > 0)).toBe(true);
  });

  it("reports vacancy for short stays and care managers, updated recently", () => {
    for (const resource of city.filter((candidate) => ["short-stay", "care-management"].includes(candidate.category))) {
      expect(resource.capacity?.available).toEqual(expect.any(Number));
      expect(resource.capacity?.updatedAt?.getTime()).toBeGreaterThan(now.getTime() - 15 * 24 * 60 * 60 * 1000);
    }
    expect(city.some((resource) => resource.category === "short-stay" && (resource.capacity?.available ?? 0) > 0)).toBe(true);
  });

  it("leaves some resources unverified for over a year, for the verification queue", () => {
    const stale = city.filter(({ provenance }) => !provenance.verifiedAt || now.getTime() - provenance.verifiedAt.getTime() > YEAR_MS);
    expect(stale.length).toBeGreaterThan(city.length / 10);
    expect(stale.length).toBeLessThan(city.length / 2);
  });

  it("has opening hours that answer open-at: clinics on a weekday morning, few places at 3 a.m.", () => {
    const mondayMorning = new Date("2025-06-02T01:00:00Z");
    const mondayNight = new Date("2025-06-01T18:00:00Z");
    const clinics = city.filter((resource) => resource.category === "clinic");
    expect(clinics.every((clinic) => clinic.openingHours && isOpenAt(clinic.openingHours, mondayMorning))).toBe(true);
    const openAtNight = city.filter((resource) => resource.openingHours && isOpenAt(resource.openingHours, mondayNight));
    expect(openAtNight.length).toBeGreaterThan(0);
    const roundTheClock = [
      "short-stay",
      "small-multifunction",
      "nursing-small-multifunction",
      "group-home",
      "special-nursing-home",
      "geriatric-health-facility",
      "assisted-living",
      "home-help",
      "pharmacy",
    ];
    expect(openAtNight.every((resource) => roundTheClock.includes(resource.category))).toBe(true);
    expect(openAtNight.some((resource) => resource.category === "home-help")).toBe(true);
  });

  it("finds every visiting-nursing station by 「ほうもんかんご」, 「ﾎｳﾓﾝｶﾝｺﾞ」 and 「訪問看護」", () => {
    const terms = new Map(DEFAULT_TAXONOMY.map((entry) => [entry.code, categorySearchTerms(entry)]));
    const records = city.map((resource) => toResourceRecord(resource, now, terms.get(resource.category) ?? []));
    for (const query of ["ほうもんかんご", "ﾎｳﾓﾝｶﾝｺﾞ", "訪問看護"]) {
      const found = records.filter((record) => matchesSearchKeys(record.searchKeys, searchTerms(query)));
      expect(found.filter((record) => record.category === "visiting-nursing")).toHaveLength(7);
    }
    expect(buildSearchKeys([city[0]?.names.kana])).toEqual(["つなぐしみんびょういん"]);
  });
});

describe("generateResources", () => {
  it("makes 100,000 resources for the benchmark, with the city's mix and distinct official keys", () => {
    const many = generateResources(100_000, { seed: 7, now });
    expect(many).toHaveLength(100_000);
    const counts = countBy(many, (resource) => resource.category);
    expect(counts.clinic).toBe(Math.floor((72 * 100_000) / 564));
    expect(counts.salon).toBeGreaterThan(33_000);
    const keys = many.flatMap(({ identifiers }) => [
      ...(identifiers.careOfficeNumber ? [`${identifiers.careOfficeNumber}:${identifiers.careServiceCode}`] : []),
      ...(identifiers.medicalInstitutionCode ? [identifiers.medicalInstitutionCode] : []),
    ]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(validateResourceInput(many[99_999]).ok).toBe(true);
  });

  it("scales down too, and is deterministic", () => {
    expect(generateResources(50, { seed: 3, now })).toHaveLength(50);
    expect(generateResources(50, { seed: 3, now })).toEqual(generateResources(50, { seed: 3, now }));
  });
});
