// The access log model refuses every update, replace and delete, so no code path in the subgraph can rewrite history.
import { Types } from "mongoose";
import { connectMongo, createLogger } from "@tsunagu/service-kit";
import type { MongoHandle } from "@tsunagu/service-kit";
import { emergencyModels, ensureEmergencyIndexes } from "../src/models";
import type { EmergencyModels } from "../src/models";

let mongo: MongoHandle;
let models: EmergencyModels;

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "access-log-test", logger: createLogger({ name: "test", level: "silent" }) });
  models = emergencyModels(mongo.connection);
  await ensureEmergencyIndexes(models);
});

afterAll(async () => {
  await mongo.close();
});

test("entries are appended, and every update, replace, delete or re-save through the model is refused", async () => {
  const entry = {
    at: new Date("2026-04-01T01:00:00Z"),
    action: "LOOKUP" as const,
    outcome: "ALLOWED" as const,
    actor: { subject: "ems-1", role: "EMS", authMethod: "jwt", displayName: null, profession: null, organizationId: null, memberId: null },
    profileIds: [new Types.ObjectId()],
    reason: "胸痛",
    incidentNumber: null,
    lookupMethod: "CARD_CODE" as const,
    sections: ["CONDITIONS" as const],
    accessWindowEndsAt: null,
    requestId: "req-1",
  };
  const [created] = await models.AccessLog.insertMany([entry]);
  const { AccessLog } = models;
  const id = created?._id;
  const attempts: [string, () => Promise<unknown>][] = [
    ["updateOne", () => AccessLog.updateOne({ _id: id }, { $set: { reason: "x" } })],
    ["updateMany", () => AccessLog.updateMany({}, { $set: { reason: "x" } })],
    ["replaceOne", () => AccessLog.replaceOne({ _id: id }, entry)],
    ["findOneAndUpdate", () => AccessLog.findOneAndUpdate({ _id: id }, { $set: { reason: "x" } })],
    ["findOneAndReplace", () => AccessLog.findOneAndReplace({ _id: id }, entry)],
    ["findOneAndDelete", () => AccessLog.findOneAndDelete({ _id: id })],
    ["deleteOne", () => AccessLog.deleteOne({ _id: id })],
    ["deleteMany", () => AccessLog.deleteMany({})],
    ["bulkWrite", () => AccessLog.bulkWrite([{ deleteOne: { filter: { _id: id } } }])],
    [
      "save",
      async () => {
        const document = await AccessLog.findById(id);
        if (document === null) throw new Error("missing");
        document.reason = "x";
        return document.save();
      },
    ],
  ];
  for (const [name, attempt] of attempts) {
    await expect(attempt().then(() => name)).rejects.toThrow("The access log is append-only");
  }
  expect(await AccessLog.find({}).lean()).toEqual([expect.objectContaining({ _id: id, reason: "胸痛" })]);
});
