// Test support for the groups subgraph: the embedded engine in memory, the resources and groups subgraphs with demo data, a gateway over both on free ports, a recording pub/sub, and the commands the groups subgraph sends.
import { join } from "node:path";
import type { CommandStartedEvent } from "mongodb";
import { connectMongo, createPubSub, withUriOptions } from "@tsunagu/service-kit";
import type { DomainEvent, MongoHandle, PubSub, RunningService } from "@tsunagu/service-kit";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import type { DemoAffiliation } from "@tsunagu/groups";
import { composeSupergraph, readSubgraphSources } from "../../scripts/compose";
import { issueToken } from "../src/auth";
import type { TokenRequest } from "../src/auth";
import { mongoApiKeyStore } from "../src/api-keys";
import { TokenBucketRateLimiter } from "../src/rate-limit";
import { TEST_IDENTITY_SECRET, TEST_JWT, postGraphQL, silentLogger, startTestGateway } from "./helpers";
import type { HttpAnswer } from "./helpers";

/**
 * The in-process pub/sub, recording what is published and running `onPublish` before passing each event on (a test
 * can look at the database from there to see that the write was committed before the event went out).
 */
export class RecordingPubSub implements PubSub {
  readonly events: DomainEvent[] = [];
  onPublish: (event: DomainEvent) => Promise<void> = async () => undefined;

  constructor(private readonly inner: PubSub) {}

  async publish(event: DomainEvent): Promise<void> {
    this.events.push(event);
    await this.onPublish(event);
    await this.inner.publish(event);
  }

  subscribe(topic: string, onEvent: (event: DomainEvent) => void): () => void {
    return this.inner.subscribe(topic, onEvent);
  }

  listenerCount(topic?: string): number {
    return this.inner.listenerCount(topic);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

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

/** The Authorization header of a user signed in with a token from TEST_JWT. */
export async function signedIn(request: TokenRequest): Promise<Record<string, string>> {
  const token = await issueToken(request, { secret: TEST_JWT.secret as string, issuer: TEST_JWT.issuer, audience: TEST_JWT.audience });
  return { authorization: `Bearer ${token}` };
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
    edges: { node: { id: string; names: { official: string; kana: string | null }; address: { district: string | null }; category: { code: string; labelJa: string } } }[];
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
      affiliations.push({ id: node.id, name: node.names.official, kana: node.names.kana, district: node.address.district, category: node.category.code, categoryLabel: node.category.labelJa });
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
  const started: ({ stop(): Promise<void> } | { close(): Promise<void> })[] = [];
  const stop = async () => {
    for (const service of started.splice(0).reverse()) await ("stop" in service ? service.stop() : service.close());
  };
  try {
    const engine = await connectMongo({ dbName: "groups-test", logger: silentLogger });
    started.push(engine);
    const groupsDb = await connectMongo({ uri: withUriOptions(engine.uri, { monitorCommands: "true" }), dbName: "groups-test", logger: silentLogger });
    started.push(groupsDb);
    const commands: CommandStartedEvent[] = [];
    groupsDb.connection.getClient().on("commandStarted", (event) => commands.push(event));
    await seedDemoResources(engine.connection, { now, count: resourceCount });
    const pubsub = new RecordingPubSub(await createPubSub({ logger: silentLogger }));
    started.push(pubsub);
    const resources = await startResourcesSubgraph({ connection: engine.connection, signingSecret: TEST_IDENTITY_SECRET, logger: silentLogger, development: true });
    started.push(resources);
    const groups = await startGroupsSubgraph({ connection: groupsDb.connection, signingSecret: TEST_IDENTITY_SECRET, logger: silentLogger, pubsub, development: true });
    started.push(groups);
    const sources = readSubgraphSources(join(__dirname, "..", "..", "schema")).filter((source) => ["resources", "groups"].includes(source.name));
    const gateway = await startTestGateway(
      { resources: resources.url, groups: groups.url },
      {
        apiKeys: await mongoApiKeyStore(engine.connection),
        supergraphSdl: composeSupergraph(sources),
        rateLimiter: new TokenBucketRateLimiter({ burst: 1_000_000, perSecond: 1_000_000 }),
        pubsub,
      },
    );
    started.push(gateway);
    const graphql: GroupsStack["graphql"] = (query, variables = {}, headers = {}) => postGraphQL(gateway.url, { query, variables }, headers);
    const affiliations = await demoAffiliations(graphql, await signedIn({ role: "COORDINATOR", subject: "seed" }));
    await seedDemoGroups(groupsDb.connection, { now, resources: affiliations });
    return { engine, groupsDb, commands, pubsub, resources, groups, gateway, affiliations, graphql, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
