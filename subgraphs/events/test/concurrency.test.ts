// Capacity under concurrency without the in-process queue's help: two instances of the subgraph (as two replicas would) on one database take 50 simultaneous registrations for 10 seats.
import { randomUUID } from "node:crypto";
import { Types } from "mongoose";
import { connectMongo, createLogger, deriveSubgraphKeys, gatewaySignedHeaders } from "@tsunagu/service-kit";
import type { Identity, MongoHandle, RunningService } from "@tsunagu/service-kit";
import { startEventsSubgraph } from "../src/index";

const SECRET = "events-concurrency-test-secret-0123456789";
const logger = createLogger({ name: "events-test", level: "silent" });
let mongo: MongoHandle;
let replicas: RunningService[];

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "events-concurrency", logger });
  replicas = [];
  for (let n = 0; n < 2; n += 1) replicas.push(await startEventsSubgraph({ connection: mongo.connection, keys: deriveSubgraphKeys(SECRET, "events"), logger }));
});

afterAll(async () => {
  for (const replica of replicas ?? []) await replica.stop();
  await mongo?.close();
});

async function call(url: string, identity: Identity, query: string, variables: Record<string, unknown>) {
  const text = JSON.stringify({ query, variables });
  const response = await fetch(url, { method: "POST", headers: gatewaySignedHeaders(identity, SECRET, "events", url, text), body: text });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors !== undefined) throw new Error(JSON.stringify(body.errors));
  return body.data as Record<string, unknown>;
}

test("50 registrations spread over two replicas for 10 seats: exactly 10 REGISTERED, 40 WAITLISTED with distinct numbers", async () => {
  const coordinator: Identity = { role: "COORDINATOR", authMethod: "jwt", subject: "coordinator", scopes: [] };
  const start = new Date(Date.now() + 10 * 24 * 60 * 60 * 1000);
  const created = await call(
    replicas[0]?.url,
    coordinator,
    `mutation ($input: CreateEventInput!, $key: String!) { createEvent(input: $input, idempotencyKey: $key) { id } }`,
    {
      key: randomUUID(),
      input: {
        type: "TRAINING",
        title: "多職種連携研修会",
        organiserIds: [new Types.ObjectId().toHexString()],
        format: "IN_PERSON",
        place: "研修室",
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        visibility: "PROFESSIONALS",
        capacity: 10,
      },
    },
  );
  const eventId = (created.createEvent as { id: string }).id;
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, n) => {
      const identity: Identity = {
        role: "PROFESSIONAL",
        authMethod: "jwt",
        subject: `pro-${n}`,
        memberId: new Types.ObjectId().toHexString(),
        profession: "看護師",
        scopes: [],
      };
      return call(
        replicas[n % 2]?.url,
        identity,
        `mutation ($input: RegisterForEventInput!) { registerForEvent(input: $input) { registration { status waitlistPosition } } }`,
        {
          input: { eventId, idempotencyKey: randomUUID() },
        },
      );
    }),
  );
  const statuses = answers.map((data) => (data.registerForEvent as { registration: { status: string } }).registration.status);
  expect(statuses.filter((status) => status === "REGISTERED")).toHaveLength(10);
  expect(statuses.filter((status) => status === "WAITLISTED")).toHaveLength(40);
  const counted = await call(
    replicas[1]?.url,
    coordinator,
    `query ($id: ID!) { event(id: $id) { registrationCounts { registered waitlisted remaining } registrations(first: 100, status: WAITLISTED) { edges { node { waitlistPosition } } } } }`,
    { id: eventId },
  );
  const event = counted.event as { registrationCounts: unknown; registrations: { edges: { node: { waitlistPosition: number } }[] } };
  expect(event.registrationCounts).toEqual({ registered: 10, waitlisted: 40, remaining: 0 });
  expect(event.registrations.edges.map((edge) => edge.node.waitlistPosition).sort((a, b) => a - b)).toEqual(
    Array.from({ length: 40 }, (_, index) => index + 1),
  );
}, 60_000);
