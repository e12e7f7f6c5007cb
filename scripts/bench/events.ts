// `npm run bench:events`: a query for 100 events with organisers, venue and registration counts, through the gateway: database round trips with and without DataLoader (commands counted by the driver, for 10, 50 and 100 events), then latency and throughput of both, with ratios.
// One process runs the engine, the resources subgraph, two events subgraphs (batched and unbatched) on one database, a gateway over each, and the load generator.
import { randomBytes, randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { Types } from "mongoose";
import type { CommandStartedEvent } from "mongodb";
import { connectMongo, createLogger, deriveSubgraphKeys, withUriOptions } from "@tsunagu/service-kit";
import type { RunningService } from "@tsunagu/service-kit";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { openEventModels, startEventsSubgraph } from "@tsunagu/events";
import { createGateway, issueToken, mongoApiKeyStore } from "@tsunagu/gateway";
import { generousRateLimiter } from "@tsunagu/test-kit";
import { composeSupergraph, readSubgraphSources } from "../compose";
import { machineLine } from "./machine";

const EVENTS = 100;
const GROUPS = 25;
const REGISTRATIONS_PER_EVENT = 30;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const JWT = { secret: randomBytes(32).toString("hex"), issuer: "tsunagu-bench", audience: "tsunagu-bench" };

const query = (first: number) => `{
  events(first: ${first}) {
    edges { node { title organisers { id events(first: 3) { edges { node { id } } } } coHosts { id } venue { names { official } } registrationCounts { registered waitlisted remaining } } }
  }
}`;

interface Target {
  name: string;
  gateway: RunningService;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ events: { edges: unknown[] } }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const parsed = (await response.json()) as { data?: { events: { edges: unknown[] } }; errors?: unknown[] };
  if (parsed.errors !== undefined || parsed.data === undefined) throw new Error(`${url}: ${JSON.stringify(parsed.errors).slice(0, 500)}`);
  return parsed.data;
}

function load(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ requestsPerSecond: number; p50: number; p99: number; requests: number; failures: number }> {
  return new Promise((resolve, reject) => {
    let graphqlErrors = 0;
    autocannon(
      {
        url,
        method: "POST",
        connections: CONNECTIONS,
        duration: SECONDS,
        headers: { "content-type": "application/json", ...headers },
        body,
        requests: [{ onResponse: (status, responseBody) => void (status === 200 && responseBody.includes('"errors"') && (graphqlErrors += 1)) }],
      },
      (error, result) => {
        if (error !== null) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({
          requestsPerSecond: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          requests: result.requests.total,
          failures: result.non2xx + result.errors + result.timeouts + graphqlErrors,
        });
      },
    );
  });
}

const row = (label: string, values: readonly string[]) => `${label.padEnd(30)}${values.map((value) => value.padStart(12)).join("")}`;

async function main(): Promise<void> {
  console.log(machineLine());
  const logger = createLogger({ name: "bench-events", level: "warn" });
  const identitySecret = randomBytes(32).toString("hex");
  const engine = await connectMongo({ dbName: "bench", logger });
  const monitored = await connectMongo({ uri: withUriOptions(engine.uri, { monitorCommands: "true" }), dbName: "bench", logger });
  const resourcesDb = await connectMongo({ uri: withUriOptions(engine.uri, { monitorCommands: "true" }), dbName: "bench", logger });
  const running: { stop(): Promise<void> }[] = [];
  try {
    await seedDemoResources(resourcesDb.connection, { count: 200 });
    const resources = await startResourcesSubgraph({ connection: resourcesDb.connection, keys: deriveSubgraphKeys(identitySecret, "resources"), logger });
    running.push(resources);
    const sources = readSubgraphSources(`${__dirname}/../../schema`).filter((source) => ["resources", "events"].includes(source.name));
    const supergraphSdl = composeSupergraph(sources);
    const apiKeys = await mongoApiKeyStore(engine.connection);
    const targets: Target[] = [];
    for (const batchLoads of [true, false]) {
      const events = await startEventsSubgraph({ connection: monitored.connection, keys: deriveSubgraphKeys(identitySecret, "events"), logger, batchLoads });
      running.push(events);
      const gateway = await createGateway({
        supergraphSdl,
        subgraphUrls: { resources: resources.url, events: events.url },
        port: 0,
        environment: "production",
        identitySecret,
        jwt: { algorithm: "HS256", ...JWT },
        apiKeys,
        logger,
        rateLimiter: generousRateLimiter(),
        // The default cost limit (5000) refuses this query; see the events report.
        limits: { maxCost: 50_000 },
        subgraphTimeoutMs: 60_000,
      });
      running.push(gateway);
      targets.push({ name: batchLoads ? "with DataLoader" : "without DataLoader", gateway });
    }
    const headers = { authorization: `Bearer ${await issueToken({ role: "COORDINATOR", subject: "bench" }, JWT)}` };

    // 100 events two weeks ahead, each organised by one of 25 groups and co-hosted by the next, at one of 20 venues, with 30 registrations.
    const listed = await post(targets[0].gateway.url, JSON.stringify({ query: "{ resources(first: 20) { edges { node { id } } } }" }), headers);
    const venueIds = (listed as unknown as { resources: { edges: { node: { id: string } }[] } }).resources.edges.map((edge) => edge.node.id);
    const groups = Array.from({ length: GROUPS }, () => new Types.ObjectId().toHexString());
    const create = `mutation ($input: CreateEventInput!, $key: String!) { createEvent(input: $input, idempotencyKey: $key) { id } }`;
    const eventIds: string[] = [];
    for (let n = 0; n < EVENTS; n += 1) {
      const start = new Date(Date.now() + (14 + n / 10) * 24 * 60 * 60 * 1000);
      const input = {
        type: "TRAINING",
        title: `多職種連携研修会 第${n + 1}回`,
        organiserIds: [groups[n % GROUPS]],
        coHostIds: [groups[(n + 1) % GROUPS]],
        venueId: venueIds[n % venueIds.length],
        format: "IN_PERSON",
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 90 * 60 * 1000).toISOString(),
        visibility: "PROFESSIONALS",
        capacity: 150,
      };
      const response = await fetch(targets[0].gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query: create, variables: { input, key: randomUUID() } }),
      });
      eventIds.push(((await response.json()) as { data: { createEvent: { id: string } } }).data.createEvent.id);
    }
    const models = await openEventModels(engine.connection);
    await models.Registration.collection.insertMany(
      eventIds.flatMap((eventId, n) =>
        Array.from({ length: REGISTRATIONS_PER_EVENT }, (_, k) => ({
          eventId: new Types.ObjectId(eventId),
          status: "REGISTERED",
          personKey: `contact:bench-${n}-${k}@example.jp`,
          active: true,
          name: `参加者 ${k}`,
          profession: "NURSE",
          eventStartsAt: new Date(),
          eventSeriesEndsAt: null,
          registeredAt: new Date(),
          createdBy: "jwt:bench",
        })),
      ),
    );
    await models.Event.collection.updateMany(
      { _id: { $in: eventIds.map((id) => new Types.ObjectId(id)) } },
      { $set: { "seats.registered": REGISTRATIONS_PER_EVENT } },
    );
    console.log(
      `${EVENTS} events (${GROUPS} organising groups, ${venueIds.length} venues, ${REGISTRATIONS_PER_EVENT} registrations each) on the in-memory engine; everything in this process; gateway NODE_ENV=production`,
    );

    const commands: { events: CommandStartedEvent[]; resources: CommandStartedEvent[] } = { events: [], resources: [] };
    monitored.connection.getClient().on("commandStarted", (event) => commands.events.push(event));
    resourcesDb.connection.getClient().on("commandStarted", (event) => commands.resources.push(event));
    const reads = (list: CommandStartedEvent[]) => list.filter((event) => ["find", "aggregate"].includes(event.commandName)).length;
    console.log("database round trips for one query (find/aggregate commands the driver sent), events subgraph + resources subgraph:");
    console.log(
      row(
        "",
        [10, 50, 100].map((first) => `${first} events`),
      ),
    );
    const measured = new Map<string, number[]>();
    for (const target of targets) {
      const counts: number[] = [];
      for (const first of [10, 50, 100]) {
        const body = JSON.stringify({ query: query(first) });
        await post(target.gateway.url, body, headers);
        commands.events.length = 0;
        commands.resources.length = 0;
        const data = await post(target.gateway.url, body, headers);
        if (data.events.edges.length !== first) throw new Error(`expected ${first} events, got ${data.events.edges.length}`);
        counts.push(reads(commands.events) + reads(commands.resources));
      }
      measured.set(target.name, counts);
      console.log(row(target.name, counts.map(String)));
    }
    const withLoader = measured.get("with DataLoader") ?? [];
    const without = measured.get("without DataLoader") ?? [];
    console.log(
      row(
        "without / with",
        without.map((count, index) => `${(count / (withLoader[index] ?? 1)).toFixed(1)}x`),
      ),
    );

    const body = JSON.stringify({ query: query(EVENTS) });
    console.log(`latency through the gateway, ${EVENTS} events per query, ${CONNECTIONS} connections, ${SECONDS} s per run, order A B B A:`);
    const results = new Map<string, Awaited<ReturnType<typeof load>>[]>();
    for (const target of [targets[0], targets[1], targets[1], targets[0]] as Target[]) {
      results.set(target.name, [...(results.get(target.name) ?? []), await load(target.gateway.url, body, headers)]);
    }
    console.log(row("", ["req/s", "p50 ms", "p99 ms", "requests", "failures"]));
    const summary = new Map<string, { requestsPerSecond: number; p50: number; p99: number }>();
    for (const [name, runs] of results) {
      const merged = {
        requestsPerSecond: runs.reduce((sum, run) => sum + run.requestsPerSecond, 0) / runs.length,
        p50: runs.reduce((sum, run) => sum + run.p50, 0) / runs.length,
        p99: Math.max(...runs.map((run) => run.p99)),
      };
      summary.set(name, merged);
      const requests = runs.reduce((sum, run) => sum + run.requests, 0);
      const failures = runs.reduce((sum, run) => sum + run.failures, 0);
      console.log(row(name, [merged.requestsPerSecond.toFixed(1), merged.p50.toFixed(1), merged.p99.toFixed(1), String(requests), String(failures)]));
    }
    const a = summary.get("with DataLoader");
    const b = summary.get("without DataLoader");
    if (a !== undefined && b !== undefined) {
      console.log(
        row("without / with", [
          `${(b.requestsPerSecond / a.requestsPerSecond).toFixed(2)}x`,
          `${(b.p50 / a.p50).toFixed(2)}x`,
          `${(b.p99 / a.p99).toFixed(2)}x`,
        ]),
      );
    }
  } finally {
    for (const service of running.reverse()) await service.stop();
    await resourcesDb.close();
    await monitored.close();
    await engine.close();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
