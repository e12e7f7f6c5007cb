// Test support for the groups subgraph on the test kit: the resources and groups subgraphs with demo data and a gateway over both, a recording pub/sub, and the commands the groups subgraph sends.
import type { CommandStartedEvent } from "mongodb";
import type { MongoHandle, RunningService } from "@tsunagu/service-kit";
import { seedDemoResources } from "@tsunagu/resources";
import { seedDemoGroups } from "@tsunagu/groups";
import type { DemoAffiliation } from "@tsunagu/groups";
import { RecordingPubSub, signedIn, startStack } from "@tsunagu/test-kit";
import type { HttpAnswer } from "@tsunagu/test-kit";

export { RecordingPubSub, signedIn };

export interface GroupsStack {
  /** Owns the engine; the resources subgraph, the API keys and the tests' own look-ups use it. */
  engine: MongoHandle;
  /** The groups subgraph's connection; its driver reports every command (see `commands`). */
  groupsDb: MongoHandle;
  /** Every command the groups subgraph's connection started, oldest first; clear it before measuring. */
  commands: CommandStartedEvent[];
  pubsub: RecordingPubSub;
  resources: RunningService;
  groups: RunningService;
  gateway: RunningService;
  /** The demo resources the demo members were affiliated with. */
  affiliations: DemoAffiliation[];
  /** POSTs `query` with `variables` to the gateway, as a client would. */
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

const RESOURCE_PAGE = `query ($after: String) {
  resources(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id names { official kana } address { district } category { code labelJa } } }
  }
}`;

interface ResourcePage {
  resources: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: {
      node: { id: string; names: { official: string; kana: string | null }; address: { district: string | null }; category: { code: string; labelJa: string } };
    }[];
  };
}

/** Every resource as the resources subgraph publishes it, in what a member's affiliation keeps of it. */
async function demoAffiliations(graphql: GroupsStack["graphql"], headers: Record<string, string>): Promise<DemoAffiliation[]> {
  const affiliations: DemoAffiliation[] = [];
  let after: string | null = null;
  do {
    const answer: HttpAnswer = await graphql(RESOURCE_PAGE, { after }, headers);
    if (answer.body.errors) throw new Error(`listing resources failed: ${JSON.stringify(answer.body.errors)}`);
    const page = (answer.body.data as unknown as ResourcePage).resources;
    for (const { node } of page.edges) {
      affiliations.push({
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
  return affiliations;
}

/**
 * Starts everything over a fresh in-memory database (one per test file): `resourceCount` generated demo
 * resources, the demo groups affiliated with them, both subgraphs and a gateway (with subscriptions, sharing the
 * groups subgraph's pub/sub) over the supergraph composed from schema/resources.graphql and schema/groups.graphql.
 */
export async function startGroupsStack({ now, resourceCount }: { now: Date; resourceCount: number }): Promise<GroupsStack> {
  let pubsub: RecordingPubSub | undefined;
  const stack = await startStack({
    subgraphs: ["resources", "groups"],
    beforeStart: async (engine) => {
      await seedDemoResources(engine.connection, { now, count: resourceCount });
    },
    wrapPubSub: (inner) => (pubsub = new RecordingPubSub(inner)),
    subgraphOptions: { resources: { development: true }, groups: { development: true } },
  });
  try {
    const affiliations = await demoAffiliations(stack.graphql, await signedIn({ role: "COORDINATOR", subject: "seed" }));
    await seedDemoGroups(stack.measuredDb.connection, { now, resources: affiliations });
    const { resources, groups } = stack.services;
    return {
      engine: stack.engine,
      groupsDb: stack.measuredDb,
      commands: stack.commands,
      pubsub: pubsub as RecordingPubSub,
      resources,
      groups,
      gateway: stack.gateway,
      affiliations,
      graphql: (query, variables, headers) => stack.graphql(query, variables, headers),
      stop: () => stack.stop(),
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
