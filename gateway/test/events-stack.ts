// Test support for the events subgraph: the embedded engine in memory, the resources subgraph with generated resources, the groups subgraph with its demo groups working at them, the events subgraph (optionally with a seeded year), a gateway over the three on free ports, and the commands the events subgraph sends.
import { join } from "node:path";
import type { CommandStartedEvent } from "mongodb";
import { connectMongo, createPubSub } from "@tsunagu/service-kit";
import type { DomainEvent, MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import type { DemoAffiliation } from "@tsunagu/groups";
import { seedDemoEvents, startEventsSubgraph } from "@tsunagu/events";
import type { SeedDemoEventsOptions } from "@tsunagu/events";
import { composeSupergraph, readSubgraphSources } from "../../scripts/compose";
import { mongoApiKeyStore } from "../src/api-keys";
import { TokenBucketRateLimiter } from "../src/rate-limit";
import { TEST_IDENTITY_SECRET, bearer, postGraphQL, silentLogger, startTestGateway } from "./helpers";
import type { HttpAnswer } from "./helpers";

export interface EventsStack {
  /** Owns the engine; the resources subgraph and the API keys use it. */
  engine: MongoHandle;
  /** The events subgraph's connection; its driver reports every command (see `commands`). */
  eventsDb: MongoHandle;
  /** Every command the events subgraph's connection started, oldest first; clear it before measuring. */
  commands: CommandStartedEvent[];
  /** Domain events the events subgraph published. */
  published: DomainEvent[];
  resources: RunningService;
  groups: RunningService;
  events: RunningService;
  gateway: RunningService;
  /** Ids of the first 60 resources (venues and workplaces). */
  resourceIds: string[];
  /** The demo groups by name. */
  groupIds: ReadonlyMap<string, string>;
  /** Resources the demo members work at (their staff), each with its staff's names. */
  staffedResources: { id: string; staff: string[] }[];
  /** POSTs `query` with `variables` to the gateway, as a client would. */
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

export interface EventsStackOptions {
  /** Seed the events subgraph's demo year with these options (the stack adds the resource and group ids). */
  seed?: Omit<SeedDemoEventsOptions, "resourceIds" | "groupIds">;
  /** The events subgraph's `batchLoads` (default true). */
  batchLoads?: boolean;
}

/** The Authorization header of a user signed in with a token from TEST_JWT. */
export const signedIn = bearer;

const RESOURCES = `query ($after: String) {
  resources(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id names { official kana } address { district } category { code labelJa } } }
  }
}`;

interface ResourcePage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: { id: string; names: { official: string; kana: string | null }; address: { district: string | null }; category: { code: string; labelJa: string } } }[];
}

/** Every resource, as a demo member's affiliation keeps it. */
async function affiliations(graphql: EventsStack["graphql"]): Promise<DemoAffiliation[]> {
  const found: DemoAffiliation[] = [];
  let after: string | null = null;
  do {
    const answer: HttpAnswer = await graphql(RESOURCES, { after });
    const page = (answer.body.data as { resources: ResourcePage }).resources;
    for (const { node } of page.edges) {
      found.push({ id: node.id, name: node.names.official, kana: node.names.kana, district: node.address.district, category: node.category.code, categoryLabel: node.category.labelJa });
    }
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after !== null);
  return found;
}

/**
 * Starts everything over a fresh in-memory database (one per test file): the demo city in the resources subgraph,
 * the events subgraph, and a gateway over the supergraph composed from schema/resources.graphql and schema/events.graphql.
 */
export async function startEventsStack(options: EventsStackOptions = {}): Promise<EventsStack> {
  const started: ({ stop(): Promise<void> } | { close(): Promise<void> })[] = [];
  const stop = async () => {
    for (const service of started.splice(0).reverse()) await ("stop" in service ? service.stop() : service.close());
  };
  try {
    const engine = await connectMongo({ dbName: "events-test", logger: silentLogger });
    started.push(engine);
    const eventsDb = await connectMongo({ uri: `${engine.uri}?monitorCommands=true`, dbName: "events-test", logger: silentLogger });
    started.push(eventsDb);
    const commands: CommandStartedEvent[] = [];
    eventsDb.connection.getClient().on("commandStarted", (event) => commands.push(event));
    await seedDemoResources(engine.connection, { count: 150 });
    const pubsub: PubSub = await createPubSub({ logger: silentLogger });
    started.push(pubsub);
    const published: DomainEvent[] = [];
    const recording: PubSub = { ...pubsub, publish: async (event) => void published.push(event) };
    const resources = await startResourcesSubgraph({ connection: engine.connection, signingSecret: TEST_IDENTITY_SECRET, logger: silentLogger });
    started.push(resources);
    const groups = await startGroupsSubgraph({ connection: engine.connection, signingSecret: TEST_IDENTITY_SECRET, logger: silentLogger, pubsub });
    started.push(groups);
    const events = await startEventsSubgraph({
      connection: eventsDb.connection,
      signingSecret: TEST_IDENTITY_SECRET,
      logger: silentLogger,
      pubsub: recording,
      development: true,
      batchLoads: options.batchLoads,
    });
    started.push(events);
    const sources = readSubgraphSources(join(__dirname, "..", "..", "schema")).filter((source) => ["resources", "groups", "events"].includes(source.name));
    const gateway = await startTestGateway(
      { resources: resources.url, groups: groups.url, events: events.url },
      {
        apiKeys: await mongoApiKeyStore(engine.connection),
        supergraphSdl: composeSupergraph(sources),
        rateLimiter: new TokenBucketRateLimiter({ burst: 1_000_000, perSecond: 1_000_000 }),
        // Fifty registrations for one event queue behind each other; on a busy test machine that may take longer than the default 5 s.
        subgraphTimeoutMs: 30_000,
      },
    );
    started.push(gateway);
    const graphql: EventsStack["graphql"] = (query, variables = {}, headers = {}) => postGraphQL(gateway.url, { query, variables }, headers);
    const all = await affiliations(graphql);
    await seedDemoGroups(engine.connection, { resources: all });
    const resourceIds = all.slice(0, 60).map((resource) => resource.id);
    const listed = await graphql("{ groups(first: 50) { edges { node { id name } } } }");
    const groupIds = new Map((listed.body.data as { groups: { edges: { node: { id: string; name: string } }[] } }).groups.edges.map((edge) => [edge.node.name, edge.node.id]));
    // Who works where is for professionals and staff.
    const staffed = await graphql(`{ resources(first: 100) { edges { node { id staff { name } } } } }`, {}, await bearer({ role: "COORDINATOR", subject: "events-stack" }));
    const staffedResources = (staffed.body.data as { resources: { edges: { node: { id: string; staff: { name: string }[] } }[] } }).resources.edges
      .filter((edge) => edge.node.staff.length > 0)
      .map((edge) => ({ id: edge.node.id, staff: edge.node.staff.map((member) => member.name) }));
    if (options.seed !== undefined) await seedDemoEvents(eventsDb.connection, { ...options.seed, resourceIds, groupIds: [...groupIds.values()] });
    return { engine, eventsDb, commands, published, resources, groups, events, gateway, resourceIds, groupIds, staffedResources, graphql, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
