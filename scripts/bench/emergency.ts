// `npm run bench:emergency`: the crew's look-up (CREW_LOOKUP_QUERY) on 100,000 emergency profiles from 50 concurrent crews, through the gateway and sent directly to the emergency subgraph, with p50/p99, throughput, ratios and the payload size.
// Three processes: this file with `--serve` runs the engine and the resources, groups and emergency subgraphs; the gateway runs its production entry point; the load comes from here.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { connectMongo, createLogger, createPubSub, deriveSubgraphKeys, gatewaySignedHeaders } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import { CREW_LOOKUP_QUERY, emergencyModels, seedDemoEmergencyProfiles, startEmergencySubgraph } from "@tsunagu/emergency";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { groupsModels, seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import { issueToken } from "@tsunagu/gateway";
import { composeSupergraph, readSubgraphSources } from "../compose";
import { machineLine } from "./machine";

const PROFILES = Number(process.env.BENCH_PROFILES ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const CREWS = 50;
/** Card codes the crews draw from (a sample of the seeded profiles). */
const SAMPLED_CODES = 5000;
const ROOT = join(__dirname, "..", "..");
const JWT = { issuer: "tsunagu-bench", audience: "tsunagu-bench" };

/** The crew's view as the emergency subgraph alone can answer it: the other subgraphs' entities as bare references. */
const DIRECT_QUERY = CREW_LOOKUP_QUERY.replace("primaryHospital { names { official } contact { phone } }", "primaryHospital { id }").replace(
  "careManager { name workContact { phone } }",
  "careManager { id }",
);

/** What the serving child prints once it answers requests. */
interface Served {
  urls: Record<string, string>;
  mongoUri: string;
  inserted: number;
  seedSeconds: number;
  cardCodes: string[];
}

const crewIdentity = (crew: number): Identity => ({ role: "EMS", authMethod: "jwt", subject: `bench-crew-${crew}`, scopes: [] });

/** The serving child: engine in memory, demo resources and groups, PROFILES emergency profiles, three subgraphs on loopback. */
async function serve(): Promise<void> {
  const signingSecret = process.env.IDENTITY_SECRET ?? "";
  const logger = createLogger({ name: "bench-emergency", level: "warn" });
  const mongo = await connectMongo({ dbName: "bench", logger });
  const pubsub = await createPubSub({ logger });
  const now = new Date();
  await seedDemoResources(mongo.connection, { now });
  await seedDemoGroups(mongo.connection, { now });
  const resources = await startResourcesSubgraph({ connection: mongo.connection, keys: deriveSubgraphKeys(signingSecret, "resources"), logger });
  const groups = await startGroupsSubgraph({ connection: mongo.connection, keys: deriveSubgraphKeys(signingSecret, "groups"), logger, pubsub });
  const coordinator: Identity = { role: "COORDINATOR", authMethod: "jwt", subject: "bench-seed", scopes: [] };
  const hospitalsQuery = JSON.stringify({ query: `{ resources(filter: { categories: ["hospital"] }, first: 50) { edges { node { id } } } }` });
  const hospitals = await fetch(resources.url, {
    method: "POST",
    headers: gatewaySignedHeaders(coordinator, signingSecret, "resources", resources.url, hospitalsQuery),
    body: hospitalsQuery,
  });
  const hospitalIds = [...JSON.stringify(await hospitals.json()).matchAll(/"id":"([0-9a-f]{24})"/g)].map((match) => match[1]);
  // The demo members have no affiliation here, so they are not in the contact directory: take the care managers' ids from the groups demo data.
  const careManagers = await groupsModels(mongo.connection).Member.find({ profession: "CARE_MANAGER" }, { _id: 1 }).lean();
  const careManagerIds = careManagers.map((member) => member._id.toHexString());
  const started = performance.now();
  const { inserted } = await seedDemoEmergencyProfiles(mongo.connection, { now, count: PROFILES, hospitalIds, careManagerIds });
  const seedSeconds = (performance.now() - started) / 1000;
  // The per-user look-up limit (20 per 10 minutes) is raised for the run: each crew sends thousands of look-ups.
  const emergency = await startEmergencySubgraph({
    connection: mongo.connection,
    keys: deriveSubgraphKeys(signingSecret, "emergency"),
    logger,
    lookupRateLimit: { max: 1_000_000_000, windowSeconds: 60 },
  });
  const sampled = await emergencyModels(mongo.connection).Profile.find({}, { cardCode: 1 }).limit(SAMPLED_CODES).lean();
  const served: Served = {
    urls: { resources: resources.url, groups: groups.url, emergency: emergency.url },
    mongoUri: mongo.uri,
    inserted,
    seedSeconds,
    cardCodes: sampled.map((profile) => profile.cardCode),
  };
  process.stdout.write(`${JSON.stringify(served)}\n`);
  process.once("SIGTERM", () => {
    void (async () => {
      for (const service of [emergency, groups, resources]) await service.stop();
      await pubsub.close();
      await mongo.close();
    })();
  });
}

/** A child process running a TypeScript entry point, and what its first matching stdout line said. */
async function startChild<T>(
  args: string[],
  env: Record<string, string>,
  readyFrom: (line: string) => T | undefined,
): Promise<{ process: ChildProcess; ready: T }> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<T>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with code ${String(code)} before it was ready`)));
    (async () => {
      for await (const line of lines) {
        const value = readyFrom(line);
        if (value !== undefined) return value;
      }
      throw new Error(`${args.join(" ")} closed its output before it was ready`);
    })().then(resolve, reject);
  });
  lines.close();
  child.stdout.resume();
  return { process: child, ready };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, GraphQL errors, look-ups that did not match, connection errors and timeouts. */
  failures: number;
}

/** CREWS connections for `seconds`; each connection is one crew (its own identity), each request a random sampled card code. */
async function load(
  url: string,
  query: string,
  headersFor: (crew: number, body: string) => Record<string, string>,
  codes: readonly string[],
  seconds: number,
): Promise<LoadResult> {
  let failed = 0;
  let nextCrew = 0;
  const result = await autocannon({
    url,
    method: "POST",
    connections: CREWS,
    duration: seconds,
    initialContext: {},
    requests: [
      {
        setupRequest: (request, context: { crew?: number }) => {
          context.crew ??= nextCrew++ % CREWS;
          const code = codes[Math.floor(Math.random() * codes.length)];
          const variables = { input: { cardCode: code, reason: "ベンチマーク（救急隊の照会）", incidentNumber: `BENCH-${context.crew}` } };
          const body = JSON.stringify({ query, variables });
          return { ...request, headers: { ...request.headers, "content-type": "application/json", ...headersFor(context.crew, body) }, body };
        },
        onResponse: (status, body) => {
          if (status === 200 && (body.includes('"errors"') || !body.includes('"outcome":"ALLOWED"'))) failed += 1;
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts + failed,
  };
}

function row(label: string, values: readonly string[]): string {
  return `${label.padEnd(22)}${values.map((value) => value.padStart(11)).join("")}`;
}

/** POSTs one look-up and returns the raw answer text. */
async function lookUpOnce(url: string, query: string, headersFor: (body: string) => Record<string, string>, code: string): Promise<string> {
  const variables = { input: { cardCode: code, reason: "ベンチマーク（確認）", incidentNumber: "BENCH-CHECK" } };
  const body = JSON.stringify({ query, variables });
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headersFor(body) }, body });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"') || !text.includes('"outcome":"ALLOWED"'))
    throw new Error(`${url} answered HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

async function main(): Promise<void> {
  if (DIRECT_QUERY === CREW_LOOKUP_QUERY) throw new Error("CREW_LOOKUP_QUERY changed: update DIRECT_QUERY's replacements");
  console.log(machineLine());
  const identitySecret = randomBytes(32).toString("hex");
  const jwtSecret = randomBytes(32).toString("hex");
  const server = await startChild<Served>([join(__filename), "--serve"], { BENCH_PROFILES: String(PROFILES), IDENTITY_SECRET: identitySecret }, (line) =>
    line.startsWith("{") ? (JSON.parse(line) as Served) : undefined,
  );
  const children = [server.process];
  const workDir = mkdtempSync(join(tmpdir(), "tsunagu-bench-"));
  try {
    const { urls, cardCodes } = server.ready;
    const supergraphPath = join(workDir, "supergraph.graphql");
    writeFileSync(supergraphPath, composeSupergraph(readSubgraphSources(join(ROOT, "schema")).filter((source) => source.name in urls)));
    const gateway = await startChild<string>(
      ["gateway/src/main.ts"],
      {
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        HOST: "127.0.0.1",
        PORT: "0",
        MONGODB_URI: server.ready.mongoUri,
        MONGODB_DB: "bench",
        SUPERGRAPH_PATH: supergraphPath,
        SUBGRAPH_URLS: Object.entries(urls)
          .map(([name, url]) => `${name}=${url}`)
          .join(","),
        IDENTITY_SECRET: identitySecret,
        JWT_SECRET: jwtSecret,
        JWT_ISSUER: JWT.issuer,
        JWT_AUDIENCE: JWT.audience,
        RATE_LIMIT_BURST: "1000000",
        RATE_LIMIT_PER_SECOND: "1000000",
      },
      (line) => /^Tsunagu gateway: (\S+)$/.exec(line)?.[1],
    );
    children.push(gateway.process);

    const tokens = await Promise.all(
      Array.from({ length: CREWS }, (_, crew) =>
        issueToken({ role: "EMS", subject: crewIdentity(crew).subject as string, expiresIn: "1h" }, { secret: jwtSecret, ...JWT }),
      ),
    );
    const throughGateway = (crew: number) => ({ authorization: `Bearer ${tokens[crew]}` });
    const direct = (crew: number, body: string) => gatewaySignedHeaders(crewIdentity(crew), identitySecret, "emergency", urls.emergency, body);

    const code = cardCodes[0];
    const gatewayText = await lookUpOnce(gateway.ready, CREW_LOOKUP_QUERY, () => throughGateway(0), code);
    const directText = await lookUpOnce(urls.emergency, DIRECT_QUERY, (body) => direct(0, body), code);
    const person = (text: string) =>
      JSON.stringify((JSON.parse(text) as { data: { emergencyLookup: { profile: { person: unknown } } } }).data.emergencyLookup.profile.person);
    if (person(gatewayText) !== person(directText)) throw new Error("the gateway and the subgraph answered the look-up for different people");
    const joined = JSON.parse(gatewayText) as { data: { emergencyLookup: { profile: { primaryHospital: unknown; careManager: unknown } } } };

    console.log(
      `${server.ready.inserted} profiles seeded in ${server.ready.seedSeconds.toFixed(1)} s (in-memory engine, with the demo city's resources and groups, in the subgraphs' process); ` +
        `gateway in its own process (NODE_ENV=production); load from this process; logs at warn`,
    );
    console.log(
      `look-up: emergencyLookup by card code (random among ${cardCodes.length} codes), reason and incident number; each look-up reads the profile and writes its access log entry (which opens the access window) in one transaction`,
    );
    console.log(
      `${CREWS} concurrent crews (one connection and one EMS identity each), ${SECONDS} s per run after a ${WARMUP_SECONDS} s warm-up; per-user look-up limit raised for the run`,
    );
    console.log(
      `through the gateway: CREW_LOOKUP_QUERY (emergency + primaryHospital from resources + careManager from groups): ${Buffer.byteLength(gatewayText)} bytes`,
    );
    console.log(
      `  e.g. primaryHospital ${JSON.stringify(joined.data.emergencyLookup.profile.primaryHospital)}, careManager ${JSON.stringify(joined.data.emergencyLookup.profile.careManager)}`,
    );
    console.log(
      `direct to the subgraph: the same look-up with hospital and care manager as bare references, identity header signed per request: ${Buffer.byteLength(directText)} bytes`,
    );

    await load(urls.emergency, DIRECT_QUERY, direct, cardCodes, WARMUP_SECONDS);
    const directResult = await load(urls.emergency, DIRECT_QUERY, direct, cardCodes, SECONDS);
    await load(gateway.ready, CREW_LOOKUP_QUERY, throughGateway, cardCodes, WARMUP_SECONDS);
    const gatewayResult = await load(gateway.ready, CREW_LOOKUP_QUERY, throughGateway, cardCodes, SECONDS);

    console.log(row("", ["req/s", "p50 ms", "p99 ms", "requests", "failures"]));
    for (const [label, result] of [
      ["direct to subgraph", directResult],
      ["through gateway", gatewayResult],
    ] as const) {
      console.log(
        row(label, [result.requestsPerSecond.toFixed(1), result.p50.toFixed(1), result.p99.toFixed(1), String(result.requests), String(result.failures)]),
      );
    }
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    console.log(
      row("gateway / direct", [
        ratio(gatewayResult.requestsPerSecond, directResult.requestsPerSecond),
        ratio(gatewayResult.p50, directResult.p50),
        ratio(gatewayResult.p99, directResult.p99),
      ]),
    );
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--serve")) {
  serve().catch((error: Error) => {
    process.stderr.write(`bench emergency server: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: Error) => {
    console.error(error);
    process.exit(1);
  });
}
