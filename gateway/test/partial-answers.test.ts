// A subgraph that dies under a running gateway blanks only its own fields: the groups server is closed mid-test, and resources with their staff and events with their organisers still answer, with an error naming groups and the path of what is missing.
import { demoReferenceDate, toTokyoIso } from "@tsunagu/service-kit";
import { codes } from "./helpers";
import { signedIn, startEventsStack } from "./events-stack";
import type { EventsStack } from "./events-stack";

let stack: EventsStack;

beforeAll(async () => {
  stack = await startEventsStack({ seed: {} });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const RESOURCES = `{ resources(first: 20) { totalCount edges { node { id names { official } staff { name } } } } }`;
// From the demo data's fixed date, so the seeded events are listed whatever today is.
const EVENTS = `{ events(first: 10, filter: { from: "${toTokyoIso(demoReferenceDate())}" }) { edges { node { id title organisers { name } } } } }`;

interface ResourcesData {
  resources: { totalCount: number; edges: { node: { id: string; names: { official: string }; staff: { name: string }[] | null } }[] };
}
interface EventsData {
  events: { edges: { node: { id: string; title: string; organisers: { name: string }[] | null } }[] };
}

test("with groups stopped, resources keep their own data and staff is null with an error naming groups; events keep theirs and organisers are null", async () => {
  // Who works where is for professionals (the public sees no staff at all).
  const professional = await signedIn({ role: "PROFESSIONAL", subject: "partial-answers" });
  const healthyResources = await stack.graphql(RESOURCES, {}, professional);
  expect(healthyResources.body.errors).toBeUndefined();
  const resourcesBefore = (healthyResources.body.data as unknown as ResourcesData).resources;
  expect(resourcesBefore.edges.some((edge) => (edge.node.staff ?? []).length > 0)).toBe(true);
  const healthyEvents = await stack.graphql(EVENTS);
  expect(healthyEvents.body.errors).toBeUndefined();
  const eventsBefore = (healthyEvents.body.data as unknown as EventsData).events;
  expect(eventsBefore.edges.length).toBeGreaterThan(0);
  expect(eventsBefore.edges.every((edge) => (edge.node.organisers ?? []).length > 0)).toBe(true);

  await stack.groups.stop();

  const resources = await stack.graphql(RESOURCES, {}, professional);
  const resourcesAfter = (resources.body.data as ResourcesData | null)?.resources;
  expect(resourcesAfter?.totalCount).toBe(resourcesBefore.totalCount);
  expect(resourcesAfter?.edges.map((edge) => edge.node.names.official)).toEqual(resourcesBefore.edges.map((edge) => edge.node.names.official));
  expect(resourcesAfter?.edges.every((edge) => edge.node.staff === null)).toBe(true);
  expect(resources.body.errors?.length).toBeGreaterThan(0);
  for (const error of resources.body.errors ?? []) {
    expect(error.extensions?.serviceName).toBe("groups");
    expect(error.path?.slice(0, 1)).toEqual(["resources"]);
  }
  expect(resources.body.errors?.some((error) => error.path?.includes("staff"))).toBe(true);

  const events = await stack.graphql(EVENTS);
  const eventsAfter = (events.body.data as EventsData | null)?.events;
  expect(eventsAfter?.edges.map((edge) => edge.node.title)).toEqual(eventsBefore.edges.map((edge) => edge.node.title));
  expect(eventsAfter?.edges.every((edge) => edge.node.organisers === null)).toBe(true);
  expect(codes(events.body).length).toBeGreaterThan(0);
  for (const error of events.body.errors ?? []) expect(error.extensions?.serviceName).toBe("groups");
  expect(events.body.errors?.some((error) => error.path?.[0] === "events")).toBe(true);
});
