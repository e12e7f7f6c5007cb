// Test support for the events subgraph on the test kit: the resources subgraph with generated resources, the groups subgraph with its demo groups working at them, the events subgraph (optionally with a seeded year), a gateway over the three, and the commands the events subgraph sends.
import type { CommandStartedEvent } from "mongodb";
import type { DomainEvent, MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { seedDemoResources } from "@tsunagu/resources";
import { seedDemoGroups } from "@tsunagu/groups";
import type { DemoAffiliation } from "@tsunagu/groups";
import { seedDemoEvents } from "@tsunagu/events";
import type { SeedDemoEventsOptions } from "@tsunagu/events";
import { RecordingPubSub, signedIn, startStack } from "@tsunagu/test-kit";
import type { HttpAnswer } from "@tsunagu/test-kit";

export interface EventsStack {
  /** Owns the engine; the resources subgraph and the API keys use it. */
  engine: MongoHandle;
  /** The events subgraph's connection; its driver reports every command (see `commands`). */
  eventsDb: MongoHandle;
  /** Every command the events subgraph's connection started, oldest first; clear it before measuring. */
  commands: CommandStartedEvent[];
  /** Domain events the subgraphs published. */
  published: DomainEvent[];
  /** The pub/sub the subgraphs publish on and the gateway's subscriptions listen to. */
  pubsub: PubSub;
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
export { signedIn };

const RESOURCES = `query ($after: String) {
  resources(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id names { official kana } address { district } category { code labelJa } } }
  }
}`;

interface ResourcePage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: {
    node: { id: string; names: { official: string; kana: string | null }; address: { district: string | null }; category: { code: string; labelJa: string } };
  }[];
}

/** Every resource, as a demo member's affiliation keeps it. */
async function affiliations(graphql: EventsStack["graphql"]): Promise<DemoAffiliation[]> {
  const found: DemoAffiliation[] = [];
  let after: string | null = null;
  do {
    const answer: HttpAnswer = await graphql(RESOURCES, { after });
    const page = (answer.body.data as { resources: ResourcePage }).resources;
    for (const { node } of page.edges) {
      found.push({
        id: node.id,
        name: node.names.official,
        kana: node.names.kana,
        district: node.address.district,
        category: node.category.code,
        categoryLabel: node.category.labelJa,
      });
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
  let recording: RecordingPubSub | undefined;
  const stack = await startStack({
    subgraphs: ["resources", "groups", "events"],
    beforeStart: async (engine) => {
      await seedDemoResources(engine.connection, { count: 150 });
    },
    wrapPubSub: (inner) => (recording = new RecordingPubSub(inner)),
    subgraphOptions: { events: { development: true, batchLoads: options.batchLoads } },
  });
  try {
    const { engine, graphql } = stack;
    const all = await affiliations(graphql);
    await seedDemoGroups(engine.connection, { resources: all });
    const resourceIds = all.slice(0, 60).map((resource) => resource.id);
    const listed = await graphql("{ groups(first: 50) { edges { node { id name } } } }");
    const groupIds = new Map(
      (listed.body.data as { groups: { edges: { node: { id: string; name: string } }[] } }).groups.edges.map((edge) => [edge.node.name, edge.node.id]),
    );
    // Who works where is for professionals and staff.
    const staffed = await graphql(
      `
        {
          resources(first: 100) {
            edges {
              node {
                id
                staff {
                  name
                }
              }
            }
          }
        }
      `,
      {},
      await signedIn({ role: "COORDINATOR", subject: "events-stack" }),
    );
    const staffedResources = (staffed.body.data as { resources: { edges: { node: { id: string; staff: { name: string }[] } }[] } }).resources.edges
      .filter((edge) => edge.node.staff.length > 0)
      .map((edge) => ({ id: edge.node.id, staff: edge.node.staff.map((member) => member.name) }));
    if (options.seed !== undefined) await seedDemoEvents(stack.measuredDb.connection, { ...options.seed, resourceIds, groupIds: [...groupIds.values()] });
    const { resources, groups, events } = stack.services;
    const published = (recording as RecordingPubSub).events;
    return {
      engine,
      eventsDb: stack.measuredDb,
      commands: stack.commands,
      published,
      resources,
      groups,
      events,
      gateway: stack.gateway,
      resourceIds,
      groupIds,
      staffedResources,
      graphql,
      pubsub: stack.pubsub,
      stop: () => stack.stop(),
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
