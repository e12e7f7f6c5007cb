// `npm run bench:emergency`: the crew's look-up (CREW_LOOKUP_QUERY) on 100,000 emergency profiles at a steady 20 look-ups per second (open loop: each sent on
// time whatever earlier ones do), sent directly to the emergency subgraph and through the gateway in alternating rounds (ABAB), beside the gateway's second hop alone (resources and groups `_entities`), with p50/p99, errors,
// timeouts, CPU ms per look-up and the load average each round. Four processes: the engine in its own process, as `npm start` runs it (its command
// line, in memory); this file with BENCH_SERVE=1 runs the resources, groups and emergency subgraphs over it; the gateway runs its production entry
// point; the load comes from here. BENCH_ENGINE=in-process runs the engine inside the subgraphs' process instead (the earlier topology, for comparison).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectMongo, createLogger, createPubSub, deriveSubgraphKeys, gatewaySignedHeaders } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import { CREW_LOOKUP_QUERY, emergencyModels, seedDemoEmergencyProfiles, startEmergencySubgraph } from "@tsunagu/emergency";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { groupsModels, seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import { composeSupergraph, readSubgraphSources } from "../compose";
import { machineLine } from "./machine";
import { answerText, cpuCell, loadLine, openLoop, summarise, table } from "./load";
import type { LoadRequest, LoadRun, Summary } from "./load";
import { CREWS, CREW_DIRECT_QUERY, randomOf, crewIdentity, crewLookUps, crewTokens, fromCrewsInTurn } from "./crew-lookups";
import { ROOT, cpuProfileFlags, residentBytes, startBenchGateway, startChild, startCpuProfile, startEngineProcess, stopChild } from "./processes";
import type { Child } from "./processes";

const PROFILES = Number(process.env.BENCH_PROFILES ?? 100_000);
/** Look-ups per second, sent on schedule. */
const RATE = Number(process.env.BENCH_RATE ?? 20);
/** Seconds of each measured run, and rounds (each: direct, then gateway). */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const WARMUP_SECONDS = 3;
/** A look-up with no complete answer within this long counts as a timeout (the gateway's crews' lane has 10 s). */
const TIMEOUT_MS = 10_000;
/** Card codes the crews draw from (a sample of the seeded profiles). */
const SAMPLED_CODES = 5000;
/** p99 through the gateway may be at most this many times direct (issue 14). */
const TARGET_P99_RATIO = 1.3;
/** A directory for a CPU profile of the subgraphs' process from the end of seeding to its stop; unset: no profile. */
const PROFILE_DIR = process.env.BENCH_SUBGRAPHS_PROFILE_DIR;
/** A directory for a CPU profile of the gateway's process (node's --cpu-prof, from its start to its stop); unset: no profile. */
const GATEWAY_PROFILE_DIR = process.env.BENCH_GATEWAY_PROFILE_DIR;
/** "process" (default, as npm start) or "in-process" (the engine inside the subgraphs' process). */
const ENGINE = process.env.BENCH_ENGINE ?? "process";
if (ENGINE !== "process" && ENGINE !== "in-process") throw new Error(`BENCH_ENGINE: "process" or "in-process", not ${ENGINE}`);
const JWT = { issuer: "tsunagu-bench", audience: "tsunagu-bench" };

/** What the serving child prints once it answers requests. */
interface Served {
  urls: Record<string, string>;
  mongoUri: string;
  inserted: number;
  seedSeconds: number;
  cardCodes: string[];
  /** The seeded profiles' hospitals and care managers: the entities the gateway's second hop asks for. */
  hospitalIds: string[];
  careManagerIds: string[];
}

/** The serving child: over the engine at MONGODB_URI (else one in memory in this process), demo resources and groups, PROFILES emergency profiles, three subgraphs on loopback. */
async function serve(): Promise<void> {
  const signingSecret = process.env.IDENTITY_SECRET ?? "";
  const logger = createLogger({ name: "bench-emergency", level: "warn" });
  const mongo = await connectMongo({ uri: process.env.MONGODB_URI, dbName: "bench", logger });
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
    hospitalIds,
    careManagerIds,
  };
  const stopProfile = PROFILE_DIR === undefined ? undefined : await startCpuProfile(PROFILE_DIR, "subgraphs");
  process.stdout.write(`${JSON.stringify(served)}\n`);
  process.once("SIGTERM", () => {
    void (async () => {
      await stopProfile?.();
      for (const service of [emergency, groups, resources]) await service.stop();
      await pubsub.close();
      await mongo.close();
    })();
  });
}

/**
 * The gateway's second hop alone: the `_entities` question it asks `subgraph` for one of `ids` after the emergency answer,
 * signed for the next crew as the gateway signs it. Measured beside the two look-ups to show what the extra hop costs.
 */
function secondHop(subgraph: string, url: string, typename: string, selection: string, ids: readonly string[], identitySecret: string): LoadRequest {
  const query = `query Hop($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;
  return fromCrewsInTurn(
    () => JSON.stringify({ query, variables: { representations: [{ __typename: typename, id: randomOf(ids) }] } }),
    (crew, body) => gatewaySignedHeaders(crewIdentity(crew), identitySecret, subgraph, url, body),
    (text) => !text.includes('"errors"') && text.includes(`"phone"`),
  );
}

/** One line of a round: a target's p50/p99, errors, timeouts and CPU per look-up. */
function roundCells(label: string, run: LoadRun): string {
  const summary = summarise([run]);
  return (
    `${label} p50 ${summary.p50.toFixed(0)} ms, p99 ${summary.p99.toFixed(0)} ms, ${summary.requests} answered, ${run.errors} errors (${run.timeouts} timeouts), ` +
    `CPU ms/look-up ${cpuCell(summary)}${run.firstError === undefined ? "" : `; e.g. ${run.firstError.slice(0, 160)}`}`
  );
}

function summaryRow(label: string, summary: Summary): string[] {
  return [
    label,
    summary.requestsPerSecond.toFixed(1),
    summary.p50.toFixed(1),
    summary.p99.toFixed(1),
    String(summary.requests),
    String(summary.errors),
    String(summary.timeouts),
    cpuCell(summary),
  ];
}

async function main(): Promise<void> {
  console.log(machineLine());
  const identitySecret = randomBytes(32).toString("hex");
  const jwtSecret = randomBytes(32).toString("hex");
  const children: Child<unknown>[] = [];
  const workDir = mkdtempSync(join(tmpdir(), "tsunagu-bench-"));
  try {
    const engine = ENGINE === "process" ? await startEngineProcess(["--in-memory"]) : undefined;
    if (engine !== undefined) children.push(engine);
    const server = await startChild<Served>(
      "scripts/bench/emergency.ts",
      {
        BENCH_SERVE: "1",
        BENCH_PROFILES: String(PROFILES),
        IDENTITY_SECRET: identitySecret,
        ...(engine === undefined ? {} : { MONGODB_URI: engine.connectionString("bench") }),
      },
      (line) => (line.startsWith("{") ? (JSON.parse(line) as Served) : undefined),
    );
    children.push(server);
    const { urls, cardCodes } = server.ready;
    const supergraphPath = join(workDir, "supergraph.graphql");
    writeFileSync(supergraphPath, composeSupergraph(readSubgraphSources(join(ROOT, "schema")).filter((source) => source.name in urls)));
    const gateway = await startBenchGateway(
      server.ready.mongoUri,
      urls,
      {
        SUPERGRAPH_PATH: supergraphPath,
        IDENTITY_SECRET: identitySecret,
        JWT_SECRET: jwtSecret,
        JWT_ISSUER: JWT.issuer,
        JWT_AUDIENCE: JWT.audience,
      },
      cpuProfileFlags(GATEWAY_PROFILE_DIR, "gateway"),
    );
    children.push(gateway);

    const tokens = await crewTokens({ secret: jwtSecret, ...JWT });
    const throughGateway = (crew: number) => ({ authorization: `Bearer ${tokens[crew]}` });
    const direct = (crew: number, body: string) => gatewaySignedHeaders(crewIdentity(crew), identitySecret, "emergency", urls.emergency, body);

    const code = cardCodes[0];
    // One look-up of the same card code each way, from crew 0, to check that both answer it for the same person.
    const gatewayText = await answerText(gateway.ready, crewLookUps(CREW_LOOKUP_QUERY, [code], throughGateway));
    const directText = await answerText(urls.emergency, crewLookUps(CREW_DIRECT_QUERY, [code], direct));
    const person = (text: string) =>
      JSON.stringify((JSON.parse(text) as { data: { emergencyLookup: { profile: { person: unknown } } } }).data.emergencyLookup.profile.person);
    if (person(gatewayText) !== person(directText)) throw new Error("the gateway and the subgraph answered the look-up for different people");
    const joined = JSON.parse(gatewayText) as { data: { emergencyLookup: { profile: { primaryHospital: unknown; careManager: unknown } } } };

    console.log(
      `${server.ready.inserted} profiles seeded in ${server.ready.seedSeconds.toFixed(1)} s (in-memory engine, with the demo city's resources and groups, ` +
        `${engine === undefined ? "in the subgraphs' process (BENCH_ENGINE=in-process)" : "in its own process as npm start runs it"}); ` +
        `gateway in its own process (NODE_ENV=production); load from this process; logs at warn`,
    );
    console.log(
      `look-up: emergencyLookup by card code (random among ${cardCodes.length} codes), reason and incident number; each look-up reads the profile and writes its access log entry (which opens the access window) in one transaction`,
    );
    console.log(
      `open loop: ${RATE} look-ups/s sent on schedule whatever earlier ones do (latency counted from when each was due), from ${CREWS} crews in turn (one EMS identity each); ` +
        `${ROUNDS} rounds of ${SECONDS} s per target in the order direct, gateway, then each second hop alone (ABAB) after a ${WARMUP_SECONDS} s warm-up each; a look-up unanswered after ${TIMEOUT_MS / 1000} s is a timeout; per-user look-up limit raised for the run` +
        (PROFILE_DIR === undefined ? "" : `; CPU profile of the subgraphs' process into ${PROFILE_DIR}`) +
        (GATEWAY_PROFILE_DIR === undefined ? "" : `; CPU profile of the gateway's process into ${GATEWAY_PROFILE_DIR}`),
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

    const watched: Record<string, number> = { gateway: gateway.process.pid!, subgraphs: server.process.pid! };
    if (engine !== undefined) watched.engine = engine.process.pid!;
    const memoryLine = (): string =>
      `resident memory: ${Object.entries(watched)
        .map(([label, pid]) => `${label} ${(residentBytes(pid) / 2 ** 20).toFixed(0)} MB`)
        .join(", ")}`;
    console.log(memoryLine());
    const targets = {
      direct: { label: "direct ", url: urls.emergency, request: crewLookUps(CREW_DIRECT_QUERY, cardCodes, direct), runs: [] as LoadRun[] },
      gateway: {
        label: "gateway",
        url: gateway.ready,
        request: crewLookUps(CREW_LOOKUP_QUERY, cardCodes, (crew) => throughGateway(crew)),
        runs: [] as LoadRun[],
      },
      resourcesHop: {
        label: "hop: resources",
        url: urls.resources,
        request: secondHop("resources", urls.resources, "Resource", "names { official } contact { phone }", server.ready.hospitalIds, identitySecret),
        runs: [] as LoadRun[],
      },
      groupsHop: {
        label: "hop: groups",
        url: urls.groups,
        request: secondHop("groups", urls.groups, "Member", "name workContact { phone }", server.ready.careManagerIds, identitySecret),
        runs: [] as LoadRun[],
      },
    };
    for (const target of Object.values(targets)) await openLoop(target.url, target.request, RATE, WARMUP_SECONDS, watched, TIMEOUT_MS);
    for (let round = 0; round < ROUNDS; round += 1) {
      console.log(`round ${round + 1} (${loadLine()})`);
      for (const target of Object.values(targets)) {
        const run = await openLoop(target.url, target.request, RATE, SECONDS, watched, TIMEOUT_MS);
        target.runs.push(run);
        console.log(`  ${roundCells(target.label, run)} (${loadLine()})`);
      }
    }

    const directSummary = summarise(targets.direct.runs);
    const gatewaySummary = summarise(targets.gateway.runs);
    const resourcesHop = summarise(targets.resourcesHop.runs);
    const groupsHop = summarise(targets.groupsHop.runs);
    console.log(
      table(
        ["", "look-ups/s", "p50 ms", "p99 ms", "answered", "errors", "timeouts", "CPU ms/look-up"],
        [
          summaryRow("direct to subgraph", directSummary),
          summaryRow("through gateway", gatewaySummary),
          summaryRow("second hop: resources", resourcesHop),
          summaryRow("second hop: groups", groupsHop),
        ],
      ),
    );
    const p99Ratio = gatewaySummary.p99 / directSummary.p99;
    const met = p99Ratio <= TARGET_P99_RATIO && directSummary.errors === 0 && gatewaySummary.errors === 0;
    console.log(
      `gateway / direct: p50 ${(gatewaySummary.p50 / directSummary.p50).toFixed(2)}x, p99 ${p99Ratio.toFixed(2)}x; ` +
        `target p99 ≤ ${TARGET_P99_RATIO}x and no error: ${met ? "met" : "NOT met"} (${loadLine()})`,
    );
    // What the target leaves the gateway's extra work: the second hop (resources and groups in parallel) and the gateway's own.
    const slowerHop = Math.max(resourcesHop.p50, groupsHop.p50);
    console.log(
      `second hop alone (the gateway asks resources and groups in parallel after the emergency answer): p50 ${slowerHop.toFixed(1)} ms, ` +
        `${((100 * slowerHop) / directSummary.p50).toFixed(0)}% of the direct look-up's p50; direct p50 + second hop p50 = ${(directSummary.p50 + slowerHop).toFixed(1)} ms ` +
        `against ${gatewaySummary.p50.toFixed(1)} ms through the gateway (its own work: ${(gatewaySummary.p50 - directSummary.p50 - slowerHop).toFixed(1)} ms); ` +
        `the target allows ${((TARGET_P99_RATIO - 1) * 100).toFixed(0)}% of direct at p99`,
    );
    console.log(memoryLine());
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.env.BENCH_SERVE === "1") {
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
