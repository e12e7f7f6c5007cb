// Every curl example of README.md, parsed out of the README and run against the system started as `npm start` starts it, with tokens minted by `npm run token` as the README mints them; each answer is checked against the demo data.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestSystem } from "@tsunagu/test-kit";
import type { TestSystem } from "@tsunagu/test-kit";
import { curlExamples, runShellExample } from "./readme-examples";
import type { ShellRun } from "./readme-examples";

const README = readFileSync(join(__dirname, "..", "README.md"), "utf8");
const EXAMPLES = curlExamples(README);

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

/** The last response of a run, parsed, with no errors. */
function lastAnswer(run: ShellRun): Record<string, unknown> {
  const answer = JSON.parse(run.responses.at(-1) as string) as Answer;
  expect(answer.errors).toBeUndefined();
  return answer.data as Record<string, unknown>;
}

interface NearNode {
  id: string;
  names: { official: string; kana: string | null };
  contactWindows: Array<{ name: string; role: string; phone: string | null }>;
}

/** What each example must answer, by a text that identifies the example; an example without an entry fails the test. */
const EXPECTATIONS: ReadonlyArray<{ marker: string; check(run: ShellRun): void }> = [
  {
    marker: "query Near($near: NearInput!)",
    check(run) {
      const { resources } = lastAnswer(run) as { resources: { totalCount: number; edges: Array<{ distanceMeters: number; node: NearNode }> } };
      expect(resources.totalCount).toBeGreaterThan(0);
      expect(resources.edges.length).toBe(Math.min(5, resources.totalCount));
      const distances = resources.edges.map((edge) => edge.distanceMeters);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
      expect(Math.max(...distances)).toBeLessThanOrEqual(5000);
      for (const { node } of resources.edges) {
        expect(`${node.names.official} ${node.names.kana ?? ""}`).toMatch(/訪問看護|ホウモンカンゴ|ほうもんかんご/);
        // The public view: no direct phone numbers.
        for (const window of node.contactWindows) expect(window.phone).toBeNull();
      }
    },
  },
  {
    marker: "updateAvailability",
    check(run) {
      expect(run.variables.get("ID")).toMatch(/^[0-9a-f]{24}$/);
      const { updateAvailability } = lastAnswer(run) as {
        updateAvailability: { names: { official: string }; capacity: { available: number; maximum: number; updatedAt: string } };
      };
      expect(updateAvailability.capacity.available).toBe(2);
      expect(updateAvailability.capacity.maximum).toBeGreaterThanOrEqual(2);
      expect(Date.parse(updateAvailability.capacity.updatedAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(updateAvailability.names.official).toMatch(/ショートステイ|短期入所/);
    },
  },
  {
    marker: "/hsds/services?search=",
    check(run) {
      const page = JSON.parse(run.responses.at(-1) as string) as { total_items: number; size: number; contents: Array<{ id: string; name: string }> };
      expect(page.total_items).toBeGreaterThan(0);
      expect(page.contents.length).toBe(Math.min(5, page.total_items));
      for (const service of page.contents) {
        expect(service.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(service.name).toMatch(/訪問看護/);
      }
    },
  },
  {
    marker: "issueCalendarFeed",
    check(run) {
      // The demo care manager's own feed, on the gateway's origin (calendar apps fetch it there without a token).
      const { issueCalendarFeed } = lastAnswer(run) as { issueCalendarFeed: { url: string } };
      expect(issueCalendarFeed.url).toMatch(/^http:\/\/(localhost|127\.0\.0\.1):\d+\/calendar\/members\/[A-Za-z0-9_-]{43}\.ics$/);
    },
  },
  {
    marker: "emergencyLookup",
    check(run) {
      const { emergencyLookup } = lastAnswer(run) as {
        emergencyLookup: {
          outcome: string;
          accessWindowEndsAt: string;
          candidates: unknown[];
          profile: {
            person: { name: string; age: number };
            conditions: Array<{ name: string }>;
            primaryHospital: { names: { official: string }; contact: { phone: string } } | null;
            careManager: { name: string; workContact: { phone: string } } | null;
            emergencyContacts: Array<{ priority: number; name: string; phone: string }>;
          };
        };
      };
      expect(emergencyLookup.outcome).toBe("ALLOWED");
      expect(emergencyLookup.candidates).toEqual([]);
      expect(emergencyLookup.profile.person.name).toBe("坂本 昭");
      expect(emergencyLookup.profile.person.age).toBeGreaterThanOrEqual(87);
      expect(emergencyLookup.profile.conditions.length).toBeGreaterThan(0);
      // Joined across the graph: the hospital from the resources subgraph, the care manager from the groups subgraph.
      expect(emergencyLookup.profile.primaryHospital?.names.official).toMatch(/病院/);
      expect(emergencyLookup.profile.primaryHospital?.contact.phone).toMatch(/^0\d/);
      expect(emergencyLookup.profile.careManager?.workContact.phone).toMatch(/^0\d/);
      expect(emergencyLookup.profile.emergencyContacts[0]?.priority).toBe(1);
    },
  },
  {
    marker: "confirmEmergencyItems",
    check(run) {
      // The demo doctor confirms items of a resident who granted them access: their name and the moment are recorded.
      expect(run.variables.get("ID")).toMatch(/^[0-9a-f]{24}$/);
      expect(run.variables.get("VERSION")).toMatch(/^\d+$/);
      const { confirmEmergencyItems } = lastAnswer(run) as {
        confirmEmergencyItems: {
          version: number;
          conditions: Array<{
            name: string;
            source: { kind: string; verification: string; confirmedAt: string; confirmedBy: { name: string; profession: string } };
          }>;
          bloodType: { source: { verification: string; confirmedBy: { name: string } } };
        };
      };
      expect(confirmEmergencyItems.version).toBe(Number(run.variables.get("VERSION")) + 1);
      const [condition] = confirmEmergencyItems.conditions;
      expect(condition?.source).toMatchObject({ kind: "SELF_REPORTED", verification: "CLINICIAN_CONFIRMED", confirmedBy: { profession: "PHYSICIAN" } });
      expect(Date.parse(condition?.source.confirmedAt ?? "")).toBeGreaterThan(Date.now() - 120_000);
      expect(condition?.source.confirmedBy.name.length).toBeGreaterThan(0);
      expect(confirmEmergencyItems.bloodType.source).toEqual({
        verification: "CLINICIAN_CONFIRMED",
        confirmedBy: { name: condition?.source.confirmedBy.name },
      });
    },
  },
];

/** Starting and seeding the whole system, and each `npm run token` (a new Node process), take long on a busy machine. */
const START_TIMEOUT_MS = 300_000;
const EXAMPLE_TIMEOUT_MS = 300_000;

let running: TestSystem;

beforeAll(async () => {
  running = await startTestSystem();
}, START_TIMEOUT_MS);

afterAll(() => running?.stop());

test("the README has the curl examples this test knows, and each is checked", () => {
  expect(EXAMPLES.length).toBeGreaterThanOrEqual(4);
  for (const example of EXAMPLES) {
    expect(EXPECTATIONS.filter((expectation) => example.script.includes(expectation.marker)).map((e) => e.marker)).toHaveLength(1);
  }
});

test.each(EXAMPLES.map((example, index) => [`${index + 1} (${example.section})`, example] as const))(
  "README example %s answers with the demo data",
  async (_name, example) => {
    const run = await runShellExample(example.script, {
      token: (args) => running.token(args),
      gatewayOrigin: new URL(running.system.gatewayUrl).origin,
    });
    expect(run.responses.length).toBeGreaterThan(0);
    const expectation = EXPECTATIONS.find((candidate) => example.script.includes(candidate.marker));
    if (expectation === undefined) throw new Error(`README example under "${example.section}" has no expectation in test/readme.test.ts`);
    expectation.check(run);
  },
  EXAMPLE_TIMEOUT_MS,
);
