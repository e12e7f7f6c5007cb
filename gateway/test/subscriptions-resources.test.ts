// availabilityChanged end to end with the real resources subgraph (embedded engine, demo data) and the committed supergraph, in-process and through Redis: a coordinator's updateAvailability reaches graphql-ws subscribers, filtered, each resolved as its subscriber.
import { readFileSync } from "node:fs";
import { connectMongo, createPubSub } from "@tsunagu/service-kit";
import type { MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { startRedisServer } from "@tsunagu/test-kit";
import type { RedisServer } from "@tsunagu/test-kit";
import { DEFAULT_SUPERGRAPH_PATH } from "../src/config";
import { postGraphQL, silentLogger, testSubgraphKeys } from "./helpers";
import { bearer, startSubscriptionGateway, untilListening, waitFor } from "./subscription-stack";
import { LiveSubscription, connectWs } from "@tsunagu/test-kit";
import type { WsConnection } from "@tsunagu/test-kit";

interface SeededResource {
  id: string;
  category: { code: string };
  address: { district: string | null };
  contactWindows: Array<{ phone: string | null }>;
}

const SELECTION = "id category { code } address { district } capacity { available unit } contactWindows { phone }";
const SUBSCRIPTION = `subscription ($categories: [String!], $districts: [String!]) {
  availabilityChanged(categories: $categories, districts: $districts) { ${SELECTION} }
}`;

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
});

describe.each(["in-process", "Redis"] as const)("availabilityChanged from the resources subgraph, %s pub/sub", (mode) => {
  const redisUrl = (): string | undefined => (mode === "Redis" ? redis.url : undefined);
  let mongo: MongoHandle;
  let subgraphPubSub: PubSub;
  let gatewayPubSub: PubSub;
  let resources: RunningService;
  let gateway: RunningService;
  let coordinator: string;
  let seeded: SeededResource[];
  const opened: WsConnection[] = [];

  function subscribe(variables: Record<string, unknown>, connectionParams: Record<string, unknown> = {}): LiveSubscription {
    const connection = connectWs(gateway.url, connectionParams);
    opened.push(connection);
    return new LiveSubscription(connection.client, { query: SUBSCRIPTION, variables });
  }

  async function updateAvailability(resource: SeededResource, available: number): Promise<void> {
    const answer = await postGraphQL(
      gateway.url,
      {
        query: "mutation ($id: ID!, $available: Int!) { updateAvailability(id: $id, input: { available: $available, unit: PEOPLE }) { id } }",
        variables: { id: resource.id, available },
      },
      { authorization: coordinator },
    );
    expect(answer.body).toEqual({ data: { updateAvailability: { id: resource.id } } });
  }

  /** What a subscriber selecting SELECTION receives for `resource` with `available` places, as `role` sees contact windows. */
  function expected(resource: SeededResource, available: number, seesPhones: boolean) {
    return {
      data: {
        availabilityChanged: {
          ...resource,
          capacity: { available, unit: "PEOPLE" },
          contactWindows: resource.contactWindows.map((window) => ({ phone: seesPhones ? window.phone : null })),
        },
      },
    };
  }

  beforeAll(async () => {
    mongo = await connectMongo({ dbName: `subscriptions-resources-${mode}`, logger: silentLogger });
    await seedDemoResources(mongo.connection, { count: 40 });
    subgraphPubSub = await createPubSub({ redisUrl: redisUrl(), logger: silentLogger });
    gatewayPubSub = mode === "Redis" ? await createPubSub({ redisUrl: redis.url, logger: silentLogger }) : subgraphPubSub;
    resources = await startResourcesSubgraph({
      connection: mongo.connection,
      keys: testSubgraphKeys("resources"),
      logger: silentLogger,
      pubsub: subgraphPubSub,
    });
    gateway = await startSubscriptionGateway(
      { resources: resources.url },
      { supergraphSdl: readFileSync(DEFAULT_SUPERGRAPH_PATH, "utf8"), pubsub: gatewayPubSub },
    );
    coordinator = await bearer({ role: "COORDINATOR" });
    const professional = await bearer({ role: "PROFESSIONAL" });
    const listed = await postGraphQL(gateway.url, { query: `{ resources(first: 40) { edges { node { ${SELECTION} } } } }` }, { authorization: professional });
    const edges = (listed.body.data?.resources as { edges: Array<{ node: SeededResource & { capacity: unknown } }> }).edges;
    seeded = edges.map(({ node: { capacity: _capacity, ...resource } }) => resource);
  });

  afterEach(async () => {
    await Promise.all(
      opened.splice(0).map(async ({ client }) => {
        await client.dispose();
      }),
    );
    await waitFor(() => gatewayPubSub.listenerCount() === 0, "every listener removed");
  });

  afterAll(async () => {
    await gateway?.stop();
    await resources?.stop();
    if (gatewayPubSub !== subgraphPubSub) await gatewayPubSub?.close();
    await subgraphPubSub?.close();
    await mongo?.close();
  });

  test("a coordinator's updateAvailability through the gateway reaches a subscriber within a second, with the resource's fields as that subscriber may see them", async () => {
    const withPhones = seeded.find((resource) => resource.contactWindows.some((window) => window.phone !== null));
    if (withPhones === undefined) throw new Error("the demo data has no contact window with a phone number");
    const professional = subscribe({}, { authorization: await bearer({ role: "PROFESSIONAL", memberId: "m1" }) });
    const anonymous = subscribe({});
    await untilListening(gatewayPubSub, "availability", 2, redisUrl());
    await updateAvailability(withPhones, 3);
    expect(await professional.next()).toEqual(expected(withPhones, 3, true));
    expect(await anonymous.next()).toEqual(expected(withPhones, 3, false));
  });

  test("subscribers receive only the categories and districts they asked for", async () => {
    const first = seeded[0];
    const other = seeded.find((resource) => resource.category.code !== first?.category.code && resource.address.district !== first?.address.district);
    if (first === undefined || other === undefined || first.address.district === null)
      throw new Error("the demo data lacks two resources in different categories and districts");
    const byCategory = subscribe({ categories: [other.category.code] });
    const byDistrict = subscribe({ districts: [first.address.district] });
    await untilListening(gatewayPubSub, "availability", 2, redisUrl());
    await updateAvailability(first, 5);
    await updateAvailability(other, 6);
    // In order: a first result about the second update shows the first was filtered out, and the other way round.
    expect(await byCategory.next()).toEqual(expected(other, 6, false));
    expect(await byDistrict.next()).toEqual(expected(first, 5, false));
    await updateAvailability(first, 7);
    expect(await byDistrict.next()).toEqual(expected(first, 7, false));
  });
});
