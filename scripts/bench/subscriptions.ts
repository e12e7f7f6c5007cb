// `npm run bench:subscriptions`: fan-out of board posts to 1,000 graphql-ws subscribers through the gateway, in-process vs Redis pub/sub: delivery latency p50/p99, messages per second, memory per idle subscriber.
// The engine, the resources and groups subgraphs (demo data) and the gateway run in a child process (`--serve`), the subscribers and the poster here,
// so that neither competes with the other for an event loop. BENCH_SUBSCRIBERS, BENCH_POSTS and BENCH_IDENTITIES change the load.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { loadavg } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Interface } from "node:readline";
import { createClient } from "graphql-ws";
import type { Client } from "graphql-ws";
import WebSocket from "ws";
import { connectMongo, createPubSub } from "@tsunagu/service-kit";
import type { PubSub } from "@tsunagu/service-kit";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import type { DemoAffiliation } from "@tsunagu/groups";
import { startRedisServer } from "@tsunagu/test-kit";
import { postGraphQL, silentLogger, testSubgraphKeys } from "../../gateway/test/helpers";
import { bearer, startSubscriptionGateway } from "../../gateway/test/subscription-stack";
import { composeSupergraph, readSubgraphSources } from "../compose";
import { machineLine } from "./machine";

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const POSTS = Number(process.env.BENCH_POSTS ?? 100);
/** Distinct people among the subscribers; each event is looked up once per person (the same person's subscriptions share it). */
const IDENTITIES = Number(process.env.BENCH_IDENTITIES ?? 50);
/** Demo resources: the members' affiliations come from the first page of them. */
const RESOURCES = 200;
/** Connections opened at once while subscribing (loopback, bounded). */
const OPENING_CONCURRENCY = 50;
const DELIVERY_TIMEOUT_MS = 60_000;
const SUBSCRIPTION = `subscription ($board: ID!) { postAdded(boardId: $board) { id title author { name affiliation { names { official } } } } }`;
const CREATE_POST = `mutation ($input: CreatePostInput!, $key: String!) { createPost(input: $input, idempotencyKey: $key) { id } }`;

/** What the child reports when it is ready. */
interface Served {
  url: string;
  /** A public board, and a member of its group who may post there. */
  boardId: string;
  posterId: string;
}

/** The figures of one run. */
interface Figures {
  p50Ms: number;
  p99Ms: number;
  messagesPerSecond: number;
  bytesPerIdleSubscriber: number;
}

/** The child process, asked one line at a time (heap, listeners, stop) and answering one line each. */
class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
    readonly served: Served,
  ) {}

  static async start(redisUrl: string | undefined): Promise<ServerProcess> {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", __filename, "--serve"], {
      env: { ...process.env, ...(redisUrl === undefined ? {} : { BENCH_REDIS_URL: redisUrl }) },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const reader: Interface = createInterface({ input: child.stdout });
    const lines = reader[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done === true) throw new Error("the bench server exited before it was ready");
    return new ServerProcess(child, lines, JSON.parse(first.value) as Served);
  }

  async ask(command: "heap" | "listeners"): Promise<number> {
    this.child.stdin!.write(`${command}\n`);
    const answer = await this.lines.next();
    if (answer.done === true) throw new Error("the bench server exited");
    return Number(answer.value);
  }

  async stop(): Promise<void> {
    const exited = once(this.child, "exit");
    this.child.stdin!.end("stop\n");
    await exited;
  }
}

/** The first page of demo resources as the groups seed takes them for members' affiliations. */
async function demoAffiliations(url: string, authorization: string): Promise<DemoAffiliation[]> {
  const answer = await postGraphQL(
    url,
    { query: "{ resources(first: 50) { edges { node { id names { official kana } address { district } category { code labelJa } } } } }" },
    { authorization },
  );
  type Node = {
    id: string;
    names: { official: string; kana: string | null };
    address: { district: string | null };
    category: { code: string; labelJa: string };
  };
  const { edges } = answer.body.data?.resources as { edges: Array<{ node: Node }> };
  return edges.map(({ node }) => ({
    id: node.id,
    name: node.names.official,
    kana: node.names.kana,
    district: node.address.district,
    category: node.category.code,
    categoryLabel: node.category.labelJa,
  }));
}

/** A demo group whose board is public, and one of its members. */
async function publicBoard(url: string, authorization: string): Promise<{ boardId: string; posterId: string }> {
  const answer = await postGraphQL(
    url,
    { query: "{ groups(first: 50) { edges { node { board { id visibility } members(first: 1) { edges { node { id } } } } } } }" },
    { authorization },
  );
  type Node = { board: { id: string; visibility: string }; members: { edges: Array<{ node: { id: string } }> } };
  const { edges } = answer.body.data?.groups as { edges: Array<{ node: Node }> };
  const group = edges.map(({ node }) => node).find((node) => node.board.visibility === "PUBLIC" && node.members.edges.length > 0);
  const posterId = group?.members.edges[0]?.node.id;
  if (group === undefined || posterId === undefined) throw new Error(`the demo groups have no public board with members: ${JSON.stringify(answer.body)}`);
  return { boardId: group.board.id, posterId };
}

/** The child: the engine with demo data, both subgraphs and the gateway; Redis mode gives the subgraphs and the gateway separate connections. */
async function serve(): Promise<void> {
  const redisUrl = process.env.BENCH_REDIS_URL;
  const mongo = await connectMongo({ dbName: "bench-subscriptions", logger: silentLogger });
  await seedDemoResources(mongo.connection, { count: RESOURCES });
  const subgraphPubSub: PubSub = await createPubSub({ redisUrl, logger: silentLogger });
  const gatewayPubSub: PubSub = redisUrl === undefined ? subgraphPubSub : await createPubSub({ redisUrl, logger: silentLogger });
  const common = { connection: mongo.connection, logger: silentLogger, pubsub: subgraphPubSub };
  const resources = await startResourcesSubgraph({ ...common, keys: testSubgraphKeys("resources") });
  const groups = await startGroupsSubgraph({ ...common, keys: testSubgraphKeys("groups") });
  const sources = readSubgraphSources(join(__dirname, "..", "..", "schema")).filter((source) => ["resources", "groups"].includes(source.name));
  const gateway = await startSubscriptionGateway(
    { resources: resources.url, groups: groups.url },
    { supergraphSdl: composeSupergraph(sources), pubsub: gatewayPubSub },
  );
  const coordinator = await bearer({ role: "COORDINATOR" });
  await seedDemoGroups(mongo.connection, { resources: await demoAffiliations(gateway.url, coordinator) });
  const served: Served = { url: gateway.url, ...(await publicBoard(gateway.url, coordinator)) };
  process.stdout.write(`${JSON.stringify(served)}\n`);
  const gc = (globalThis as { gc?: () => void }).gc;
  for await (const command of createInterface({ input: process.stdin })) {
    if (command === "heap") {
      gc?.();
      gc?.();
      process.stdout.write(`${process.memoryUsage().heapUsed}\n`);
    } else if (command === "listeners") {
      process.stdout.write(`${gatewayPubSub.listenerCount()}\n`);
    } else break;
  }
  await gateway.stop();
  await Promise.all([resources.stop(), groups.stop()]);
  await gatewayPubSub.close();
  if (gatewayPubSub !== subgraphPubSub) await subgraphPubSub.close();
  await mongo.close();
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Deliveries seen by the subscribers: latency of each from the moment its post was sent. */
class Deliveries {
  readonly sentAt: number[] = [];
  readonly latencies: number[] = [];
  lastReceivedAt = 0;
  failures = 0;

  received(title: string | undefined): void {
    const now = performance.now();
    const sent = this.sentAt[Number(title?.replace("bench ", ""))];
    if (sent === undefined) throw new Error(`unexpected post "${String(title)}"`);
    this.latencies.push(now - sent);
    this.lastReceivedAt = now;
  }
}

/** How much one run does. */
interface Load {
  subscribers: number;
  posts: number;
}

/** Opens the graphql-ws clients subscribed to the board, a group at a time, each group once the previous one listens. */
async function subscribeAll(server: ServerProcess, { subscribers }: Load, deliveries: Deliveries, clients: Client[]): Promise<void> {
  const tokens = await Promise.all(Array.from({ length: IDENTITIES }, (_, i) => bearer({ role: "PROFESSIONAL", subject: `bench-${i}` })));
  for (let start = 0; start < subscribers; start += OPENING_CONCURRENCY) {
    const size = Math.min(OPENING_CONCURRENCY, subscribers - start);
    for (let i = start; i < start + size; i++) {
      const client = createClient({
        url: server.served.url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: tokens[i % IDENTITIES] },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ postAdded: { title: string } }>(
        { query: SUBSCRIPTION, variables: { board: server.served.boardId } },
        {
          next: ({ data }) => deliveries.received(data?.postAdded.title),
          error: (error) => {
            deliveries.failures++;
            console.error(error);
          },
          complete: () => undefined,
        },
      );
    }
    await waitUntil(async () => deliveries.failures > 0 || (await server.ask("listeners")) === start + size, `${start + size} subscriptions`, 60_000);
    if (deliveries.failures > 0) throw new Error(`${deliveries.failures} subscriptions failed`);
  }
}

/**
 * Sends the posts through the gateway as a member of the board, each once every subscriber has the
 * previous one, so that a latency is one event's fan-out rather than a queue behind a burst.
 */
async function post(server: ServerProcess, { subscribers, posts }: Load, deliveries: Deliveries): Promise<void> {
  const { url, boardId, posterId } = server.served;
  const poster = await bearer({ role: "PROFESSIONAL", subject: "poster", memberId: posterId });
  for (let i = 0; i < posts; i++) {
    deliveries.sentAt[i] = performance.now();
    const input = { boardId, title: `bench ${i}`, body: "ベンチマークの投稿です (a benchmark post)." };
    const answer = await postGraphQL(
      url,
      { query: CREATE_POST, variables: { input, key: `bench-${process.pid}-${performance.now()}-${i}` } },
      { authorization: poster },
    );
    if (answer.body.errors !== undefined) throw new Error(`posting failed: ${JSON.stringify(answer.body.errors)}`);
    const expected = subscribers * (i + 1);
    await waitUntil(() => deliveries.failures > 0 || deliveries.latencies.length >= expected, `${expected} deliveries`, DELIVERY_TIMEOUT_MS);
    if (deliveries.failures > 0) throw new Error(`${deliveries.failures} subscriptions failed`);
  }
}

/** One run: subscribe everyone, measure idle memory, post, collect every delivery. */
async function run(redisUrl: string | undefined, load: Load): Promise<Figures> {
  const server = await ServerProcess.start(redisUrl);
  const clients: Client[] = [];
  try {
    const heapBefore = await server.ask("heap");
    const deliveries = new Deliveries();
    await subscribeAll(server, load, deliveries, clients);
    const heapIdle = await server.ask("heap");
    const started = performance.now();
    await post(server, load, deliveries);
    const latencies = [...deliveries.latencies].sort((a, b) => a - b);
    return {
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      messagesPerSecond: latencies.length / ((deliveries.lastReceivedAt - started) / 1000),
      bytesPerIdleSubscriber: (heapIdle - heapBefore) / load.subscribers,
    };
  } finally {
    await Promise.all(
      clients.map(async (client) => {
        await client.dispose();
      }),
    );
    await server.stop();
  }
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(
    `load average at start: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(", ")} (other work on the machine shows in the figures)`,
  );
  console.log(
    `fan-out: ${SUBSCRIBERS} graphql-ws subscribers (${IDENTITIES} distinct people) on one public board of the demo groups, ${POSTS} posts one after another; author and affiliation from two subgraphs`,
  );
  const redis = await startRedisServer();
  try {
    // A small run first, so that this process's client code is as warm for the first measured run as for the second.
    await run(undefined, { subscribers: 200, posts: 10 });
    const load = { subscribers: SUBSCRIBERS, posts: POSTS };
    const inProcess = await run(undefined, load);
    const viaRedis = await run(redis.url, load);
    const row = (label: string, unit: string, a: number, b: number, digits = 1) =>
      console.log(
        `${label.padEnd(28)} ${a.toFixed(digits).padStart(10)} ${b.toFixed(digits).padStart(10)} ${unit.padEnd(6)} ${(b / a).toFixed(2).padStart(6)}x`,
      );
    console.log(`${"".padEnd(28)} ${"in-process".padStart(10)} ${"Redis".padStart(10)} ${"".padEnd(6)} ${"Redis/in-process".padStart(6)}`);
    row("delivery latency p50", "ms", inProcess.p50Ms, viaRedis.p50Ms);
    row("delivery latency p99", "ms", inProcess.p99Ms, viaRedis.p99Ms);
    row("messages delivered per second", "msg/s", inProcess.messagesPerSecond, viaRedis.messagesPerSecond, 0);
    row("heap per idle subscriber", "bytes", inProcess.bytesPerIdleSubscriber, viaRedis.bytesPerIdleSubscriber, 0);
  } finally {
    await redis.stop();
  }
}

(process.argv.includes("--serve") ? serve() : main()).catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
