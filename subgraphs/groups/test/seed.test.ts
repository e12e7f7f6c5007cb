// The demo seed: idempotent by stable ids, members affiliated by profession, and the consultation log placed in the fiscal year before `now`.
import { connectMongo, createLogger } from "@tsunagu/service-kit";
import type { MongoHandle } from "@tsunagu/service-kit";
import { groupsModels } from "../src/models";
import { DEMO_CONSULTATION_FIGURES, seedDemoGroups } from "../src/seed";

const logger = createLogger({ name: "test", level: "silent" });
let mongo: MongoHandle;

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "groups-seed-test", logger });
});

afterAll(async () => {
  await mongo?.close();
});

test("seeding twice inserts once; members take resources that suit their profession; the log has Kamaishi's 58 in the previous year", async () => {
  const now = new Date("2025-06-15T01:00:00Z");
  const resources = [
    {
      id: "aaaaaaaaaaaaaaaaaaaaaaa1",
      name: "かえでケアプランセンター",
      kana: "カエデケアプランセンター",
      district: "南圏域",
      category: "care-management",
      categoryLabel: "居宅介護支援事業所",
    },
    { id: "aaaaaaaaaaaaaaaaaaaaaaa2", name: "あさひ薬局", kana: "アサヒヤッキョク", district: "中央圏域", category: "pharmacy" },
  ];
  const first = await seedDemoGroups(mongo.connection, { now, resources });
  expect(first.skipped).toBe(false);
  expect(first.inserted).toBeGreaterThan(100);
  expect(await seedDemoGroups(mongo.connection, { now, resources })).toEqual({ inserted: 0, skipped: true });

  const { Member, Consultation, Group } = groupsModels(mongo.connection);
  const affiliated = await Member.find({ "affiliation.resourceId": "aaaaaaaaaaaaaaaaaaaaaaa1" }).lean();
  expect(affiliated.map((member) => member.profession).sort()).toEqual(["CARE_MANAGER", "CARE_MANAGER", "CARE_MANAGER", "CHIEF_CARE_MANAGER"]);
  expect(affiliated[0]?.affiliation).toMatchObject({ district: "南圏域", sortKey: "かえでけあぷらんせんたー" });
  expect(await Member.countDocuments({ affiliation: null })).toBeGreaterThan(0);
  expect(await Group.countDocuments({})).toBe(12);

  const previousYear = { $gte: new Date("2024-03-31T15:00:00Z"), $lt: new Date("2025-03-31T15:00:00Z") };
  const logged = await Consultation.find({}).lean();
  const inYear = logged.filter((entry) => entry.receivedAt >= previousYear.$gte && entry.receivedAt < previousYear.$lt);
  expect(inYear).toHaveLength(DEMO_CONSULTATION_FIGURES.total);
  expect(logged.filter((entry) => entry.receivedAt >= previousYear.$lt && entry.receivedAt <= now)).toHaveLength(2);
  const tokyoHours = inYear.map((entry) => (entry.receivedAt.getUTCHours() + 9) % 24);
  expect(Math.min(...tokyoHours)).toBeGreaterThanOrEqual(9);
  expect(Math.max(...tokyoHours)).toBeLessThanOrEqual(17);
});
