// `npm run bench:subscriptions`: fan-out of board posts to 1,000 graphql-ws subscribers through the gateway, 50 and 1,000 distinct people, event lookups shared by
// authorisation outcome vs one per person, alternated in ABAB rounds: delivery latency p50/p99, CPU per event, errors, and the load average each round.
// The engine, the resources and groups subgraphs (demo data) and two gateways (sharing on and off, on one in-process pub/sub) run in a child process
// (`--serve`), the subscribers and the poster here, so that neither competes with the other for an event loop.
// BENCH_SUBSCRIBERS, BENCH_POSTS, BENCH_WARMUP_POSTS, BENCH_ROUNDS, BENCH_PEOPLE and BENCH_SHARING (comma-separated) change the load; REDIS_URL sends the
// events through Redis instead of in-process; BENCH_PROFILE_DIR writes the child's CPU profile of each measured run's posting (not its seeding or subscribing).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "graphql-ws";
import type { Client } from "graphql-ws";
import WebSocket from "ws";
import { connectMongo, createPubSub } from "@tsunagu/service-kit";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import type { DemoAffiliation } from "@tsunagu/groups";
import { postGraphQL, silentLogger, testSubgraphKeys } from "../../gateway/test/helpers";
import { bearer, startSubscriptionGateway } from "../../gateway/test/subscription-stack";
import { composeSupergraph, readSubgraphSources } from "../compose";
import { loadLine, percentile, table } from "./load";
import { machineLine } from "./machine";
import { startCpuProfile, treeCpuMillis } from "./processes";

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const POSTS = Number(process.env.BENCH_POSTS ?? 20);
/** Posts sent and delivered before each run's measured ones (not counted): the subscriptions' first events, while the lookups learn what each outcome reads. */
const WARMUP_POSTS = Number(process.env.BENCH_WARMUP_POSTS ?? 2);
/** Rounds of each (people, sharing) pair, alternated: on, off, on, off. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Sharing by outcome on and off, in the order each round runs them (BENCH_SHARING `on,off`; `on` alone to profile the shared path). */
const SHARING = (process.env.BENCH_SHARING ?? "on,off").split(",").map((value) => value === "on");
/** Distinct people among the subscribers (the same person's subscriptions always shared a lookup). */
const PEOPLE = (process.env.BENCH_PEOPLE ?? "50,1000").split(",").map(Number);
/** A directory for CPU profiles of the child (engine, subgraphs, gateways) while each measured run posts, one file per run; unset: no profile. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Demo resources: the members' affiliations come from the first page of them. */
const RESOURCES = 200;
/** Connections opened at once while subscribing (loopback, bounded). */
const OPENING_CONCURRENCY = 50;
/** How long a post's deliveries may take before the missing ones count as errors. */
const DELIVERY_TIMEOUT_MS = 60_000;
const SUBSCRIPTION = `subscription ($board: ID!) { postAdded(boardId: $board) { id title author { name affiliation { names { official } } } } }`;
const CREATE_POST = `mutation ($input: CreatePostInput!, $key: String!) { createPost(input: $input, idempotencyKey: $key) { id } }`;

/** What the child reports when it is ready. */
interface Served {
  /** The gateway sharing lookups by authorisation outcome, and the one looking up per person. */
  urls: { shared: string; perPerson: string };
  /** A public board, and a member of its group who may post there. */
  boardId: string;
  posterId: string;
}

/** The child process, asked one line at a time and answering one line each. */
class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
    readonly served: Served,
  ) {}

  static async start(): Promise<ServerProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", __filename, "--serve"], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done === true) throw new Error("the bench server exited before it was ready");
    return new ServerProcess(child, lines, JSON.parse(first.value) as Served);
  }

  /**
   * `listeners`: pub/sub listeners of the gateways; `tokens <n> <poster member id>`: bearer tokens of n people and the poster's, signed with the child's keys;
   * `profile <dir> <name>`: starts a CPU profile; `profiled`: writes it.
   */
  async ask(command: string): Promise<string> {
    this.child.stdin!.write(`${command}\n`);
    const answer = await this.lines.next();
    if (answer.done === true) throw new Error("the bench server exited");
    return answer.value;
  }

  /** CPU milliseconds the child (engine, subgraphs, gateways) has used so far. */
  cpuMillis(): number {
    return treeCpuMillis(this.child.pid!);
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

/** The child: the engine with demo data, both subgraphs and the two gateways on one in-process pub/sub. */
async function serve(): Promise<void> {
  const mongo = await connectMongo({ dbName: "bench-subscriptions", logger: silentLogger });
  await seedDemoResources(mongo.connection, { count: RESOURCES });
  const pubsub = await createPubSub({ redisUrl: process.env.REDIS_URL, logger: silentLogger });
  const common = { connection: mongo.connection, logger: silentLogger, pubsub };
  const resources = await startResourcesSubgraph({ ...common, keys: testSubgraphKeys("resources") });
  const groups = await startGroupsSubgraph({ ...common, keys: testSubgraphKeys("groups") });
  const sources = readSubgraphSources(join(__dirname, "..", "..", "schema")).filter((source) => ["resources", "groups"].includes(source.name));
  const gateway = (shareLookups: boolean) =>
    startSubscriptionGateway(
      { resources: resources.url, groups: groups.url },
      { supergraphSdl: composeSupergraph(sources), pubsub, subscriptions: { shareLookups } },
    );
  const shared = await gateway(true);
  const perPerson = await gateway(false);
  const coordinator = await bearer({ role: "COORDINATOR" });
  await seedDemoGroups(mongo.connection, { resources: await demoAffiliations(shared.url, coordinator) });
  const served: Served = { urls: { shared: shared.url, perPerson: perPerson.url }, ...(await publicBoard(shared.url, coordinator)) };
  process.stdout.write(`${JSON.stringify(served)}\n`);
  let stopProfile: (() => Promise<void>) | undefined;
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, ...args] = line.split(" ");
    if (command === "listeners") {
      process.stdout.write(`${pubsub.listenerCount()}\n`);
    } else if (command === "profile") {
      stopProfile = await startCpuProfile(args[0], args[1]);
      process.stdout.write("profiling\n");
    } else if (command === "profiled") {
      await stopProfile?.();
      stopProfile = undefined;
      process.stdout.write("written\n");
    } else if (command === "tokens") {
      const people = await Promise.all(Array.from({ length: Number(args[0]) }, (_, i) => bearer({ role: "PROFESSIONAL", subject: `bench-${i}` })));
      const poster = await bearer({ role: "PROFESSIONAL", subject: "poster", memberId: args[1] });
      process.stdout.write(`${JSON.stringify({ people, poster })}\n`);
    } else break;
  }
  await Promise.all([shared.stop(), perPerson.stop()]);
  await Promise.all([resources.stop(), groups.stop()]);
  await pubsub.close();
  await mongo.close();
}

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

/** Deliveries seen by the subscribers: latency of each from the moment its post was sent. */
class Deliveries {
  private readonly sentAt: number[] = [];
  /** Deliveries of each post so far. */
  private readonly counts: number[] = [];
  /** Posts whose deadline passed: what still arrives for them was already counted missing. */
  private readonly closed = new Set<number>();
  /** When the last delivery of each post arrived so far. */
  private readonly lastAt: number[] = [];
  /** Latencies of the measured posts' deliveries (posts from `firstMeasured` on). */
  readonly latencies: number[] = [];
  /** Per measured post, the time until every subscriber had it (infinite when some never did). */
  readonly everyoneMillis: number[] = [];
  /** Errors sent to a subscriber, subscriptions refused or ended early, posts refused, deliveries missing at the deadline. */
  errors = 0;

  constructor(private readonly firstMeasured: number) {}

  sent(post: number): void {
    this.sentAt[post] = performance.now();
    this.counts[post] = 0;
  }

  received(title: string): void {
    const post = Number(title.replace("bench ", ""));
    const sent = this.sentAt[post];
    if (sent === undefined) this.errors++;
    else if (!this.closed.has(post)) {
      const now = performance.now();
      if (post >= this.firstMeasured) this.latencies.push(now - sent);
      this.counts[post] = (this.counts[post] ?? 0) + 1;
      this.lastAt[post] = now;
    }
  }

  /** Every subscriber has `post`. */
  complete(post: number): void {
    if (post >= this.firstMeasured) this.everyoneMillis.push((this.lastAt[post] ?? Number.NaN) - (this.sentAt[post] ?? Number.NaN));
  }

  count(post: number): number {
    return this.counts[post] ?? 0;
  }

  /** The deadline of `post` passed: each missing delivery is an error, with an infinite latency. */
  close(post: number, expected: number): void {
    const missing = expected - this.count(post);
    this.closed.add(post);
    this.errors += missing;
    if (post < this.firstMeasured) return;
    this.latencies.push(...Array<number>(missing).fill(Number.POSITIVE_INFINITY));
    this.everyoneMillis.push(Number.POSITIVE_INFINITY);
  }
}

/** One run's setting. */
interface Setting {
  people: number;
  shared: boolean;
}

/** One run's figures. */
interface Figures {
  latencies: number[];
  /** Per post, the time until every subscriber had it. */
  everyoneMillis: number[];
  errors: number;
  cpuMillisPerEvent: number;
  /** This process's (the 1,000 subscribers' and the poster's) CPU per event: it shares the machine, and its receiving is part of each latency. */
  subscriberCpuMillisPerEvent: number;
}

/** Opens the graphql-ws clients subscribed to the board, a group at a time, each group once the previous one listens. */
async function subscribeAll(server: ServerProcess, url: string, tokens: readonly string[], deliveries: Deliveries, clients: Client[]): Promise<void> {
  for (let start = 0; start < SUBSCRIBERS; start += OPENING_CONCURRENCY) {
    const size = Math.min(OPENING_CONCURRENCY, SUBSCRIBERS - start);
    for (let i = start; i < start + size; i++) {
      const client = createClient({
        url: url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: tokens[i % tokens.length] },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ postAdded: { title: string } }>(
        { query: SUBSCRIPTION, variables: { board: server.served.boardId } },
        {
          next: ({ data, errors }) => {
            // An answer with errors counts once as an error; only a delivered post counts as received.
            if (errors !== undefined || data?.postAdded === undefined) deliveries.errors++;
            else deliveries.received(data.postAdded.title);
          },
          error: () => {
            deliveries.errors++;
          },
          complete: () => undefined,
        },
      );
    }
    const listening = await waitUntil(async () => Number(await server.ask("listeners")) === start + size, 60_000);
    if (!listening) throw new Error(`${start + size} subscriptions did not all start listening within 60 s (${deliveries.errors} errors)`);
  }
}

/**
 * Sends the posts through the gateway as a member of the board, each once every subscriber has the previous one (or the
 * deadline passed), so that a latency is one event's fan-out rather than a queue behind a burst.
 */
async function post(server: ServerProcess, url: string, poster: string, deliveries: Deliveries, from: number, to: number): Promise<void> {
  const { boardId } = server.served;
  for (let i = from; i < to; i++) {
    deliveries.sent(i);
    const input = { boardId, title: `bench ${i}`, body: "ベンチマークの投稿です (a benchmark post)." };
    const answer = await postGraphQL(
      url,
      { query: CREATE_POST, variables: { input, key: `bench-${process.pid}-${performance.now()}-${i}` } },
      { authorization: poster },
    );
    if (answer.body.errors !== undefined) {
      deliveries.errors += SUBSCRIBERS;
      continue;
    }
    if (await waitUntil(() => deliveries.count(i) >= SUBSCRIBERS, DELIVERY_TIMEOUT_MS)) deliveries.complete(i);
    else deliveries.close(i, SUBSCRIBERS);
  }
}

/** One run: subscribe everyone to one gateway, post, collect every delivery and the child's CPU while posting (profiled as `profileName` when BENCH_PROFILE_DIR is set). */
async function run(server: ServerProcess, setting: Setting, profileName?: string): Promise<Figures> {
  const { people, poster } = JSON.parse(await server.ask(`tokens ${setting.people} ${server.served.posterId}`)) as { people: string[]; poster: string };
  const url = setting.shared ? server.served.urls.shared : server.served.urls.perPerson;
  const clients: Client[] = [];
  const deliveries = new Deliveries(WARMUP_POSTS);
  try {
    await subscribeAll(server, url, people, deliveries, clients);
    await post(server, url, poster, deliveries, 0, WARMUP_POSTS);
    const profiling = PROFILE_DIR !== undefined && profileName !== undefined;
    if (profiling) await server.ask(`profile ${PROFILE_DIR} ${profileName}`);
    const cpuBefore = server.cpuMillis();
    const ownCpuBefore = process.cpuUsage();
    await post(server, url, poster, deliveries, WARMUP_POSTS, WARMUP_POSTS + POSTS);
    const cpuMillis = server.cpuMillis() - cpuBefore;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    if (profiling) await server.ask("profiled");
    return {
      latencies: deliveries.latencies,
      everyoneMillis: deliveries.everyoneMillis,
      errors: deliveries.errors,
      cpuMillisPerEvent: cpuMillis / POSTS,
      subscriberCpuMillisPerEvent: (ownCpu.user + ownCpu.system) / 1000 / POSTS,
    };
  } finally {
    await Promise.all(
      clients.map(async (client) => {
        await client.dispose();
      }),
    );
    await waitUntil(async () => Number(await server.ask("listeners")) === 0, 30_000);
    await settled(server);
  }
}

/** Waits (at most 3 minutes) until the child is nearly idle, so that lookups a run left behind do not weigh on the next one. */
async function settled(server: ServerProcess): Promise<void> {
  const until = Date.now() + 180_000;
  for (let before = server.cpuMillis(); Date.now() < until;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = server.cpuMillis();
    if (now - before < 50) return;
    before = now;
  }
}

const label = ({ people, shared }: Setting) => `${String(people).padStart(4)} people, ${shared ? "shared by outcome" : "one per person  "}`;
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : "timeout");

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(`${loadLine()} at start (other work on the machine shows in the figures)`);
  console.log(
    `fan-out: ${SUBSCRIBERS} graphql-ws subscribers on one public board of the demo groups, ${POSTS} posts one after another per run (after ${WARMUP_POSTS} not measured), ` +
      `${ROUNDS} rounds alternating sharing ${SHARING.map((shared) => (shared ? "on" : "off")).join("/")}; ` +
      `events ${process.env.REDIS_URL === undefined ? "in-process" : "through Redis"}; author and affiliation from two subgraphs; CPU is the engine's, subgraphs' and gateway's (one child process) per event`,
  );
  const server = await ServerProcess.start();
  const results = new Map<string, Figures[]>();
  try {
    // A small run first, so that both processes are as warm for the first measured run as for the later ones.
    await run(server, { people: 10, shared: false });
    for (const people of PEOPLE) {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const shared of SHARING) {
          const setting = { people, shared };
          const figures = await run(server, setting, `${people}-people-${shared ? "shared" : "per-person"}-round${round}`);
          const sorted = [...figures.latencies].sort((a, b) => a - b);
          const everyone = [...figures.everyoneMillis].sort((a, b) => a - b);
          console.log(
            `round ${round} ${label(setting)}: p50 ${ms(percentile(sorted, 50))} ms, p99 ${ms(percentile(sorted, 99))} ms, ` +
              `everyone had a post after ${ms(percentile(everyone, 50))} ms (median post) / ${ms(everyone.at(-1) ?? Number.NaN)} ms (slowest), ` +
              `CPU ${figures.cpuMillisPerEvent.toFixed(0)} ms/event (subscribers ${figures.subscriberCpuMillisPerEvent.toFixed(0)}), errors ${figures.errors}, ${loadLine()}`,
          );
          results.set(label(setting), [...(results.get(label(setting)) ?? []), figures]);
        }
      }
    }
  } finally {
    await server.stop();
  }
  const rows = [...results.entries()].map(([name, runs]) => {
    const sorted = runs.flatMap((figures) => figures.latencies).sort((a, b) => a - b);
    const cpu = runs.reduce((total, figures) => total + figures.cpuMillisPerEvent, 0) / runs.length;
    return [name, ms(percentile(sorted, 50)), ms(percentile(sorted, 99)), cpu.toFixed(0), String(runs.reduce((total, figures) => total + figures.errors, 0))];
  });
  console.log(table(["all rounds", "p50 ms", "p99 ms", "CPU ms/event", "errors"], rows));
  for (const people of PEOPLE) {
    const p99 = (shared: boolean) =>
      percentile(
        (results.get(label({ people, shared })) ?? []).flatMap((figures) => figures.latencies).sort((a, b) => a - b),
        99,
      );
    if (SHARING.length < 2) continue;
    console.log(`${people} people: p99 one per person / shared by outcome = ${(p99(false) / p99(true)).toFixed(1)}x`);
  }
}

(process.argv.includes("--serve") ? serve() : main()).catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
