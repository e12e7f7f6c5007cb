// `npm run bench:gateway`: three queries sent directly to a subgraph, through Tsunagu's gateway (merging identical in-flight reads, its default) and through
// Hive Gateway with the Rust query planner (@graphql-hive/router-runtime, signing subgraph requests the same way), in ABC CBA rounds, with throughput,
// p50/p99 latency, failures and CPU ms per request of each gateway and of the subgraphs. Q1 runs on 100,000 generated resources (resources subgraph
// only), Q2 and Q3 on the demo city (resources, groups, events and emergency subgraphs). The engine and the subgraphs run in one child, each gateway
// in its own, and the load generator here, so that the load generator competes with no server for an event loop.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PUBLIC_IDENTITY, gatewaySignedHeaders } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import { CREW_LOOKUP_QUERY } from "@tsunagu/emergency";
import { issueToken } from "@tsunagu/gateway";
import { composeSupergraph, readSubgraphSources } from "../compose";
import { machineLine } from "./machine";
import { answerText, closedLoop, cpuCell, loadLine, summarise, table } from "./load";
import type { LoadRequest, LoadRun, Watched } from "./load";
import { CREWS, CREW_DIRECT_QUERY, crewIdentity, crewLookUps, crewTokens } from "./crew-lookups";
import { ROOT, cpuProfileFlags, startBenchGateway, startChild, stopChild } from "./processes";
import type { Child } from "./processes";
import type { ResourcesServerReady } from "./resources-server";
import type { CityServerReady } from "./city-server";

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 100_000);
/** Seconds of each measured run, and runs per target. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const WARMUP_SECONDS = 3;
/** Generous, so that a slow answer is measured as latency rather than cut off as a failure. */
const TIMEOUT_MS = 60_000;
/** A directory for `--cpu-prof` of both gateways (one profile each, written when it stops); unset: no profile. */
const PROFILE_DIR = process.env.BENCH_GATEWAY_PROFILE_DIR;
const JWT = { issuer: "tsunagu-bench", audience: "tsunagu-bench" };

const Q1 = `{
  resources(filter: { text: "訪問看護", near: { latitude: 36.4, longitude: 136.45, radiusMeters: 3000 } }, first: 20) {
    edges { distanceMeters node { id names { official kana } category { code } address { district } } }
  }
}`;
/** Resources near the centre with their staff (groups) and the events they host (events); direct, the resources subgraph's part only. */
const Q2 = `{
  resources(filter: { kinds: [FORMAL] }, first: 10) {
    edges { node { id names { official } category { code }
      staff { name profession workContact { phone } }
      hostedEvents(from: "2025-04-01T00:00:00Z", first: 5) { edges { node { title startsAt } } } } }
  }
}`;
const Q2_DIRECT = Q2.replace("staff { name profession workContact { phone } }", "").replace(
  'hostedEvents(from: "2025-04-01T00:00:00Z", first: 5) { edges { node { title startsAt } } }',
  "",
);
if (Q2_DIRECT === Q2) throw new Error("Q2 changed: update Q2_DIRECT's replacements");

/** A professional, who may see the staff's work contacts. */
const PROFESSIONAL: Identity = { role: "PROFESSIONAL", authMethod: "jwt", subject: "bench-professional", profession: "NURSE", scopes: [] };

/** One way of answering a query: its URL, what each request sends, and the processes whose CPU it uses. */
interface Target {
  label: string;
  url: string;
  request: LoadRequest;
  watched: Watched;
  runs: LoadRun[];
}

/** The same query on one request's identity, direct and through both gateways. */
interface Case {
  name: string;
  description: string;
  targets: [Target, Target, Target];
}

/** The gateways over one set of subgraphs (`urls`): Tsunagu's production entry point and Hive Gateway, on the same composed supergraph. */
async function startGateways(
  urls: Readonly<Record<string, string>>,
  mongoUri: string,
  secrets: { identity: string; jwt: string },
  workDir: string,
  children: Child<unknown>[],
): Promise<{ tsunagu: Child<string>; hive: Child<string> }> {
  const supergraphPath = join(workDir, `supergraph-${Object.keys(urls).join("-")}.graphql`);
  const sources = readSubgraphSources(join(ROOT, "schema"), (name) => urls[name] ?? "").filter((source) => source.name in urls);
  writeFileSync(supergraphPath, composeSupergraph(sources));
  const common = {
    SUPERGRAPH_PATH: supergraphPath,
    IDENTITY_SECRET: secrets.identity,
    JWT_SECRET: secrets.jwt,
    JWT_ISSUER: JWT.issuer,
    JWT_AUDIENCE: JWT.audience,
  };
  const tsunagu = await startBenchGateway(mongoUri, urls, { ...common, SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS) }, cpuProfileFlags(PROFILE_DIR, "tsunagu"));
  children.push(tsunagu);
  const hive = await startChild<string>(
    "scripts/bench/hive-gateway.ts",
    { ...common, NODE_ENV: "production", MONGODB_URI: mongoUri },
    (line) => /^Hive gateway: (\S+)$/.exec(line)?.[1],
    cpuProfileFlags(PROFILE_DIR, "hive"),
  );
  children.push(hive);
  return { tsunagu, hive };
}

/** POSTs one request of `request` and returns the answer's data, failing on an error or an answer the request does not accept. */
async function answerOf(url: string, request: LoadRequest): Promise<unknown> {
  return (JSON.parse(await answerText(url, request)) as { data: unknown }).data;
}

/** The three targets of a case: `direct` to `subgraph`, and `throughGateway` through each gateway. */
function targetsOf(
  subgraph: { url: string; pid: number },
  gateways: { tsunagu: Child<string>; hive: Child<string> },
  direct: LoadRequest,
  throughGateway: LoadRequest,
): [Target, Target, Target] {
  return [
    { label: "direct to subgraph", url: subgraph.url, request: direct, watched: { subgraphs: subgraph.pid }, runs: [] },
    {
      label: "Tsunagu gateway",
      url: gateways.tsunagu.ready,
      request: throughGateway,
      watched: { gateway: gateways.tsunagu.process.pid!, subgraphs: subgraph.pid },
      runs: [],
    },
    {
      label: "Hive Gateway (Rust QP)",
      url: gateways.hive.ready,
      request: throughGateway,
      watched: { gateway: gateways.hive.process.pid!, subgraphs: subgraph.pid },
      runs: [],
    },
  ];
}

/** Runs a case's targets in ABC CBA rounds after a warm-up each, and prints each round and the summary. */
async function runCase(benchCase: Case): Promise<void> {
  console.log(`\n${benchCase.name}: ${benchCase.description}`);
  for (const target of benchCase.targets) await closedLoop(target.url, target.request, CONNECTIONS, WARMUP_SECONDS, target.watched, TIMEOUT_MS);
  for (let round = 0; round < ROUNDS; round += 1) {
    // ABC CBA order, so that a drift of the machine or the servers over time weighs on every target alike.
    const order = round % 2 === 0 ? benchCase.targets : [...benchCase.targets].reverse();
    const rates: string[] = [];
    for (const target of order) {
      const run = await closedLoop(target.url, target.request, CONNECTIONS, SECONDS, target.watched, TIMEOUT_MS);
      target.runs.push(run);
      rates.push(
        `${target.label} ${(run.latencies.length / run.seconds).toFixed(1)} req/s${run.errors === 0 ? "" : ` (${run.errors} errors, e.g. ${run.firstError?.slice(0, 120)})`}`,
      );
    }
    console.log(`  round ${round + 1} (${loadLine()}): ${rates.join(", ")}`);
  }
  const summaries = benchCase.targets.map((target) => summarise(target.runs));
  console.log(
    table(
      ["", "req/s", "p50 ms", "p99 ms", "requests", "errors", "CPU ms/req"],
      benchCase.targets.map((target, index) => {
        const summary = summaries[index];
        return [
          target.label,
          summary.requestsPerSecond.toFixed(1),
          summary.p50.toFixed(1),
          summary.p99.toFixed(1),
          String(summary.requests),
          String(summary.errors),
          cpuCell(summary),
        ];
      }),
    ),
  );
  const [direct, tsunagu, hive] = summaries;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.log(
    `  Tsunagu / Hive: req/s ${ratio(tsunagu.requestsPerSecond, hive.requestsPerSecond)}, p50 ${ratio(tsunagu.p50, hive.p50)}, p99 ${ratio(tsunagu.p99, hive.p99)}, ` +
      `gateway CPU/req ${ratio(tsunagu.cpuPerRequest.gateway, hive.cpuPerRequest.gateway)}; ` +
      `Tsunagu / direct: req/s ${ratio(tsunagu.requestsPerSecond, direct.requestsPerSecond)}, p99 ${ratio(tsunagu.p99, direct.p99)}; ` +
      `Hive / direct: req/s ${ratio(hive.requestsPerSecond, direct.requestsPerSecond)}, p99 ${ratio(hive.p99, direct.p99)}`,
  );
}

/** Q1 on RESOURCES generated resources, the resources subgraph alone. */
async function searchCase(secrets: { identity: string; jwt: string }, workDir: string, children: Child<unknown>[]): Promise<void> {
  const resources = await startChild<ResourcesServerReady>(
    "scripts/bench/resources-server.ts",
    { BENCH_RESOURCES: String(RESOURCES), IDENTITY_SECRET: secrets.identity },
    (line) => (line.startsWith("{") ? (JSON.parse(line) as ResourcesServerReady) : undefined),
  );
  children.push(resources);
  const gateways = await startGateways({ resources: resources.ready.url }, resources.ready.mongoUri, secrets, workDir, children);
  const body = JSON.stringify({ query: Q1 });
  const direct: LoadRequest = { body, headers: (sent) => gatewaySignedHeaders(PUBLIC_IDENTITY, secrets.identity, "resources", resources.ready.url, sent) };
  const throughGateway: LoadRequest = { body, headers: () => ({}) };
  const answers = [
    await answerOf(resources.ready.url, direct),
    await answerOf(gateways.tsunagu.ready, throughGateway),
    await answerOf(gateways.hive.ready, throughGateway),
  ];
  if (new Set(answers.map((answer) => JSON.stringify(answer))).size !== 1) throw new Error("the subgraph and the gateways answered Q1 differently");
  const hits = (answers[0] as { resources: { edges: unknown[] } }).resources.edges.length;
  await runCase({
    name: "Q1",
    description:
      `resources(text 訪問看護, within 3 km of the city centre, first 20) → ${hits} edges, anonymous; ${resources.ready.inserted} generated resources ` +
      `(seeded in ${resources.ready.seedSeconds.toFixed(1)} s)`,
    targets: targetsOf({ url: resources.ready.url, pid: resources.process.pid! }, gateways, direct, throughGateway),
  });
  for (const child of [gateways.hive, gateways.tsunagu, resources]) {
    await stopChild(child);
    children.splice(children.indexOf(child), 1);
  }
}

/** Q2 and Q3 on the demo city, four subgraphs. */
async function cityCases(secrets: { identity: string; jwt: string }, workDir: string, children: Child<unknown>[]): Promise<void> {
  const city = await startChild<CityServerReady>("scripts/bench/city-server.ts", { IDENTITY_SECRET: secrets.identity }, (line) =>
    line.startsWith("{") ? (JSON.parse(line) as CityServerReady) : undefined,
  );
  children.push(city);
  const { urls, cardCodes } = city.ready;
  const gateways = await startGateways(urls, city.ready.mongoUri, secrets, workDir, children);
  const jwt = { secret: secrets.jwt, ...JWT };
  const subgraphs = (url: string) => ({ url, pid: city.process.pid! });

  const professionalToken = await issueToken(
    { role: "PROFESSIONAL", subject: PROFESSIONAL.subject as string, profession: PROFESSIONAL.profession, expiresIn: "2h" },
    jwt,
  );
  const q2Direct: LoadRequest = {
    body: JSON.stringify({ query: Q2_DIRECT }),
    headers: (sent) => gatewaySignedHeaders(PROFESSIONAL, secrets.identity, "resources", urls.resources, sent),
  };
  const q2Gateway: LoadRequest = { body: JSON.stringify({ query: Q2 }), headers: () => ({ authorization: `Bearer ${professionalToken}` }) };
  const q2Answers = [JSON.stringify(await answerOf(gateways.tsunagu.ready, q2Gateway)), JSON.stringify(await answerOf(gateways.hive.ready, q2Gateway))];
  if (q2Answers[0] !== q2Answers[1]) throw new Error(`the gateways answered Q2 differently:\n${q2Answers.join("\n")}`);
  await answerOf(urls.resources, q2Direct);
  const q2Data = JSON.parse(q2Answers[0]) as { resources: { edges: Array<{ node: { staff: unknown[] | null; hostedEvents: { edges: unknown[] } | null } }> } };
  const staff = q2Data.resources.edges.reduce((total, edge) => total + (edge.node.staff?.length ?? 0), 0);
  const hosted = q2Data.resources.edges.reduce((total, edge) => total + (edge.node.hostedEvents?.edges.length ?? 0), 0);
  await runCase({
    name: "Q2",
    description:
      `resources(formal, first 10) with staff { name profession workContact { phone } } and hostedEvents(first 5) as a professional → ` +
      `${q2Data.resources.edges.length} resources, ${staff} staff, ${hosted} events; direct: the resources subgraph's part only`,
    targets: targetsOf(subgraphs(urls.resources), gateways, q2Direct, q2Gateway),
  });

  const tokens = await crewTokens(jwt);
  const q3Direct = crewLookUps(CREW_DIRECT_QUERY, cardCodes, (crew, body) =>
    gatewaySignedHeaders(crewIdentity(crew), secrets.identity, "emergency", urls.emergency, body),
  );
  const q3Gateway = crewLookUps(CREW_LOOKUP_QUERY, cardCodes, (crew) => ({ authorization: `Bearer ${tokens[crew]}` }));
  const person = (data: unknown) => JSON.stringify((data as { emergencyLookup: { profile: { person: unknown } } }).emergencyLookup.profile.person);
  // The same card code through each gateway, to check that both answer it for the same person.
  const oneLookUp = crewLookUps(CREW_LOOKUP_QUERY, [cardCodes[0]], (crew) => ({ authorization: `Bearer ${tokens[crew]}` }));
  const looked = [await answerOf(gateways.tsunagu.ready, oneLookUp), await answerOf(gateways.hive.ready, oneLookUp)];
  if (person(looked[0]) !== person(looked[1])) throw new Error("the gateways answered the look-up for different people");
  await runCase({
    name: "Q3",
    description:
      `the crew's look-up (emergencyLookup mutation by card code, with the primary hospital's phone from resources and the care manager's from groups), ` +
      `random among ${cardCodes.length} demo residents, from ${CREWS} EMS crews in turn; each writes its audit entry; direct: hospital and care manager as bare references`,
    targets: targetsOf(subgraphs(urls.emergency), gateways, q3Direct, q3Gateway),
  });
}

async function main(): Promise<void> {
  console.log(machineLine());
  const secrets = { identity: randomBytes(32).toString("hex"), jwt: randomBytes(32).toString("hex") };
  console.log(
    `each gateway in its own process (NODE_ENV=production, logs off or at warn), the engine and subgraphs in one, load from this process; ` +
      `Tsunagu's gateway merges identical in-flight subgraph reads of one identity (SUBGRAPH_MERGE_IN_FLIGHT default); Hive Gateway merges identical in-flight ` +
      `subgraph queries (same URL and body) by default, whoever asks, since the identity is signed in after it merged; both verify the caller's JWT and ` +
      `sign each subgraph request with its identity`,
  );
  console.log(
    `${CONNECTIONS} connections (closed loop), every one sending the same query; ${ROUNDS} rounds of ${SECONDS} s per target, the order reversed every other round, ` +
      `after a ${WARMUP_SECONDS} s warm-up each; client and gateways time out after ${TIMEOUT_MS / 1000} s` +
      (PROFILE_DIR === undefined ? "" : `; --cpu-prof of both gateways into ${PROFILE_DIR}`),
  );
  const children: Child<unknown>[] = [];
  const workDir = mkdtempSync(join(tmpdir(), "tsunagu-bench-"));
  try {
    await searchCase(secrets, workDir, children);
    await cityCases(secrets, workDir, children);
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
