// The crew's view: one small request through the gateway whose answer joins the emergency profile with the primary hospital's name and phone (resources) and the care manager's phone (groups); its size in bytes is measured.
import { createLogger, createPubSub } from "@tsunagu/service-kit";
import type { MongoHandle } from "@tsunagu/service-kit";
import { CREW_LOOKUP_QUERY } from "@tsunagu/emergency";
import { groupsModels, seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { testSubgraphKeys } from "./helpers";
import { signedIn, startEmergencyStack } from "./emergency-stack";
import type { EmergencyStack, OtherSubgraphs } from "./emergency-stack";

const NOW = new Date("2026-04-01T01:00:00Z");
/** What the crew's answer may weigh at most: a few kilobytes even over a poor mobile connection. */
const PAYLOAD_BUDGET_BYTES = 2048;

let stack: EmergencyStack;

/** The resources and groups subgraphs with their demo data: the hospital and the care manager of the crew's view. */
async function careTeamSubgraphs(engine: MongoHandle): Promise<OtherSubgraphs> {
  const logger = createLogger({ name: "care-team", level: "silent" });
  await seedDemoResources(engine.connection, { now: NOW });
  await seedDemoGroups(engine.connection, { now: NOW });
  const pubsub = await createPubSub({ logger });
  const resources = await startResourcesSubgraph({ connection: engine.connection, keys: testSubgraphKeys("resources"), logger });
  const groups = await startGroupsSubgraph({ connection: engine.connection, keys: testSubgraphKeys("groups"), logger, pubsub });
  return {
    urls: { resources: resources.url, groups: groups.url },
    async stop() {
      await groups.stop();
      await resources.stop();
      await pubsub.close();
    },
  };
}

beforeAll(async () => {
  stack = await startEmergencyStack({ now: NOW, others: careTeamSubgraphs });
});

afterAll(async () => {
  await stack.stop();
});

interface Hospital {
  id: string;
  names: { official: string };
  contact: { phone: string };
}

interface CareManager {
  id: string;
  name: string;
  workContact: { phone: string };
}

async function careTeam(): Promise<{ hospital: Hospital; careManager: CareManager }> {
  const coordinator = await signedIn({ role: "COORDINATOR", subject: "city-staff" });
  const hospitals = await stack.graphql(
    `{ resources(filter: { categories: ["hospital"] }, first: 1) { edges { node { id names { official } contact { phone } } } } }`,
    {},
    coordinator,
  );
  // The demo members have no affiliation in this stack (no contact directory entries), so the care manager is taken from the groups demo data.
  const member = await groupsModels(stack.engine.connection).Member.findOne({ profession: "CARE_MANAGER" }).lean();
  const managers = await stack.graphql(
    `query ($id: ID!) { member(id: $id) { id name workContact { phone } } }`,
    { id: member?._id.toHexString() },
    coordinator,
  );
  expect([hospitals.body.errors, managers.body.errors]).toEqual([undefined, undefined]);
  const hospital = (hospitals.body.data as { resources: { edges: { node: Hospital }[] } }).resources.edges[0]?.node;
  const careManager = (managers.body.data as { member: CareManager | null }).member ?? undefined;
  if (hospital === undefined || careManager === undefined) throw new Error("the demo data has no hospital or no care manager");
  expect(hospital.contact.phone).toMatch(/^0\d/);
  expect(careManager.workContact.phone).toMatch(/^0\d/);
  return { hospital, careManager };
}

test("the crew's one request returns the profile, the hospital's name and phone and the care manager's phone, in under 2 kB", async () => {
  const { hospital, careManager } = await careTeam();
  const owner = await signedIn({ role: "RESIDENT", subject: "resident-okada" });
  const created = await stack.graphql(
    `mutation ($input: EmergencyProfileInput!) { createEmergencyProfile(input: $input, idempotencyKey: "crew-view-1") { card { code } } }`,
    {
      input: {
        person: {
          name: "岡田 ハナ",
          kana: "オカダ ハナ",
          dateOfBirth: "1936-01-20",
          sex: "FEMALE",
          address: { prefecture: "石川県", city: "つなぐ市", district: "南圏域", street: "若杉町1-2-3" },
        },
        bloodType: { abo: "O", rh: "POSITIVE" },
        conditions: [{ name: "慢性心不全", icd10: "I50", source: "CLINICIAN_CONFIRMED" }],
        medications: [{ name: "フロセミド錠20mg", dosage: "1日1回 朝食後", source: "SELF_REPORTED" }],
        careTeam: { primaryHospitalId: hospital.id, careManagerId: careManager.id },
        careLevel: "CARE_3",
        livingSituation: { livesAlone: true, familyCareCapacity: "NONE", note: "合鍵は民生委員宅" },
        emergencyContacts: [{ name: "岡田 裕子", relation: "長女", phone: "090-3333-4444", reachableHours: "平日18時以降" }],
        advanceCare: { resuscitation: "DNAR", preferredPlaceOfCare: "HOME" },
        consent: { scope: ["EMERGENCY_SERVICES"], method: "WRITTEN" },
      },
    },
    owner,
  );
  const code = (created.body.data as { createEmergencyProfile: { card: { code: string } } }).createEmergencyProfile.card.code;

  const response = await fetch(stack.gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await signedIn({ role: "EMS", subject: "ems-crew-3", organizationId: "65f0000000000000000000c1" })) },
    body: JSON.stringify({ query: CREW_LOOKUP_QUERY, variables: { input: { cardCode: code, reason: "呼吸困難、起座呼吸", incidentNumber: "R8-0401-0301" } } }),
  });
  const text = await response.text();
  const bytes = Buffer.byteLength(text, "utf8");
  const body = JSON.parse(text) as { data?: { emergencyLookup: { outcome: string; profile: Record<string, unknown> } }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data?.emergencyLookup.outcome).toBe("ALLOWED");
  expect(body.data?.emergencyLookup.profile).toMatchObject({
    person: { name: "岡田 ハナ", kana: "オカダ ハナ", age: 90, sex: "FEMALE" },
    conditions: [{ name: "慢性心不全", since: null }],
    medications: [{ name: "フロセミド錠20mg", dosage: "1日1回 朝食後", note: null }],
    advanceCare: { resuscitation: "DNAR", preferredPlaceOfCare: "HOME", notes: null },
    primaryHospital: { names: { official: hospital.names.official }, contact: { phone: hospital.contact.phone } },
    careManager: { name: careManager.name, workContact: { phone: careManager.workContact.phone } },
  });
  expect(response.headers.get("content-length")).toBe(String(bytes));
  expect(bytes).toBeLessThan(PAYLOAD_BUDGET_BYTES);
  expect(bytes).toBeGreaterThan(600);
});
