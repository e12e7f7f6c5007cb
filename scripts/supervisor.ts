// `npm start`'s supervisor: the embedded engine (unless MONGODB_URI), each subgraph and the gateway in processes of their own (GATEWAY_WORKERS / SUBGRAPH_WORKERS of each with node:cluster),
// demo data seeded from here, domain events relayed between them when there is no Redis, stopped in order by one Ctrl+C, and everything stopped when one of them dies.
import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { join } from "node:path";
import type { Connection } from "mongoose";
import {
  DOMAIN_EVENT_MESSAGE,
  ENGINE_READY_MESSAGE,
  SUPERVISED_VARIABLE,
  ENGINE_PROCESS_FLAGS,
  TYPESCRIPT_LOADER_FLAGS,
  connectMongo,
  deriveSubgraphKeys,
  encodeSubgraphKeys,
  freeLoopbackPorts,
  maskUriCredentials,
  reachableOrigin,
} from "@tsunagu/service-kit";
import type { EngineReady, Logger, MongoHandle } from "@tsunagu/service-kit";
import { SUBGRAPHS, portOf, portVariables } from "./subgraphs";
import type { SeedResult } from "./subgraphs";
import type { SystemConfig, SystemSummary } from "./start";

const ROOT = join(__dirname, "..");
/** How long a process may take to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 20_000;
/** How long a process may take to start (seeding happens after, in the supervisor). */
const START_TIMEOUT_MS = 120_000;

/** One process the supervisor runs: which part of the system, and the cluster worker running it. */
interface Supervised {
  part: string;
  worker: Worker;
}

export interface SupervisorOptions {
  config: SystemConfig;
  /** IDENTITY_SECRET and JWT_SECRET as loadSystemConfig found or generated them (the gateway gets them, each subgraph its own keys). */
  secrets: { identity: string; jwt: string | undefined };
  logger: Logger;
  /** Seeds the demo data over the supervisor's own connection, asking the started subgraphs. */
  seed: (connection: Connection, subgraphUrls: Readonly<Record<string, string>>) => Promise<Record<string, SeedResult>>;
}

export interface SupervisedSystem extends SystemSummary {
  /** The process ids of everything the supervisor runs (engine, subgraph and gateway workers). */
  pids(): number[];
  /** Stops the gateway, then the subgraphs, then the engine; safe to call twice. */
  stop(): Promise<void>;
  /** Resolves once everything has stopped: true after `stop()`, false when a process died and the others were stopped. */
  stopped: Promise<boolean>;
}

/**
 * The gateway's port and each subgraph's, in SUBGRAPHS order: each variable's value, or for those that are 0 a free
 * loopback port (every process must know the others' ports before it starts), all different from one another.
 */
async function chosenPorts(config: SystemConfig): Promise<{ gateway: number; subgraphs: number[] }> {
  const given = portVariables().map((variable) => portOf(config, variable));
  const free = await freeLoopbackPorts(given.filter((port) => port === 0).length, new Set(given));
  const [gateway = 0, ...subgraphs] = given.map((port) => (port === 0 ? (free.shift() ?? 0) : port));
  return { gateway, subgraphs };
}

/**
 * Starts the system in processes of its own: the engine (without MONGODB_URI), each subgraph's workers, the demo
 * seed, then the gateway's workers. A process that exits before it is ready fails the start (what started is stopped);
 * one that dies later is reported and everything else is stopped (`stopped` resolves false): a partial system
 * would answer with errors rather than say it is broken.
 */
export async function superviseSystem({ config, secrets, logger, seed }: SupervisorOptions): Promise<SupervisedSystem> {
  const running: Supervised[] = [];
  let mongo: MongoHandle | undefined;
  let stopping: Promise<void> | undefined;
  let settle: (clean: boolean) => void = () => undefined;
  const stopped = new Promise<boolean>((resolve) => {
    settle = resolve;
  });

  /** SIGTERM to each process of `parts`, waiting for all to exit (SIGKILL after STOP_GRACE_MS). */
  const stopParts = async (parts: (part: string) => boolean): Promise<void> => {
    await Promise.all(
      running
        .filter((supervised) => parts(supervised.part))
        .map(async ({ worker }) => {
          if (worker.isDead()) return;
          const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
          worker.process.kill("SIGTERM");
          const killer = setTimeout(() => worker.process.kill("SIGKILL"), STOP_GRACE_MS);
          await exited;
          clearTimeout(killer);
        }),
    );
  };
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopParts((part) => part === "gateway");
      await stopParts((part) => part !== "gateway" && part !== "engine");
      await mongo?.close();
      await stopParts((part) => part === "engine");
      cluster.off("message", relay);
      cluster.off("exit", onExit);
    })());

  /** Domain events from one process go to every service process (the publisher's own listeners included). */
  const relay = (_from: Worker, message: unknown): void => {
    if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== DOMAIN_EVENT_MESSAGE) return;
    for (const { part, worker } of running) if (part !== "engine" && worker.isConnected()) worker.send(message);
  };
  let started = false;
  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    // While starting, the start itself fails (see `fork`).
    if (!started || stopping !== undefined) return;
    const part = running.find((supervised) => supervised.worker === worker)?.part ?? "unknown";
    process.stderr.write(
      `Tsunagu: the ${part} process (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); stopping the others (npm start does not restart it)\n`,
    );
    void stop().then(() => settle(false));
  };
  cluster.on("message", relay);
  cluster.on("exit", onExit);

  /** Forks `entry` as one cluster worker and resolves once `isReady` accepts what it reported. */
  const fork = <T>(part: string, entry: string, env: Record<string, string>, ready: (worker: Worker) => Promise<T>): Promise<T> => {
    const flags = part === "engine" ? [...ENGINE_PROCESS_FLAGS, ...TYPESCRIPT_LOADER_FLAGS] : TYPESCRIPT_LOADER_FLAGS;
    cluster.setupPrimary({ exec: join(ROOT, entry), execArgv: [...flags], cwd: ROOT });
    const worker = cluster.fork({ ...env, [SUPERVISED_VARIABLE]: "1" });
    running.push({ part, worker });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${part} process was not ready within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const early = (code: number | null, signal: string | null) =>
        reject(new Error(`the ${part} process exited (${signal ?? `code ${code}`}) before it was ready`));
      worker.once("exit", early);
      ready(worker).then(
        (value) => {
          clearTimeout(timer);
          worker.off("exit", early);
          resolve(value);
        },
        (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      );
    });
  };
  const listening = (worker: Worker): Promise<void> => new Promise((resolve) => worker.once("listening", () => resolve()));
  const engineReady = (worker: Worker): Promise<string> =>
    new Promise((resolve) => {
      const onMessage = (message: unknown) => {
        if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== ENGINE_READY_MESSAGE) return;
        worker.off("message", onMessage);
        resolve((message as EngineReady).uri);
      };
      worker.on("message", onMessage);
    });

  try {
    // cluster.fork passes this process's environment on, so the secrets leave it (the configuration holds them) and go only
    // where they are used: IDENTITY_SECRET and JWT_SECRET to the gateway, to each subgraph its own keys, none to the engine.
    for (const secret of ["IDENTITY_SECRET", "JWT_SECRET", "SUBGRAPH_KEYS"]) delete process.env[secret];
    const common: Record<string, string> = {
      NODE_ENV: config.NODE_ENV,
      DATA_DIR: config.DATA_DIR,
      MONGODB_DB: config.MONGODB_DB,
      ...(config.REDIS_URL === undefined ? {} : { REDIS_URL: config.REDIS_URL }),
    };
    const mongoUri = config.MONGODB_URI ?? (await fork("engine", "scripts/engine-process.ts", common, engineReady));
    mongo = await connectMongo({ uri: mongoUri, dbName: config.MONGODB_DB, logger });

    const { gateway: gatewayPort, subgraphs: subgraphPorts } = await chosenPorts(config);
    const publicOrigin = config.PUBLIC_ORIGIN ?? `http://localhost:${gatewayPort}`;
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((subgraph, index) => [subgraph.name, `http://127.0.0.1:${subgraphPorts[index]}/graphql`]));
    const urlList = Object.entries(subgraphUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(",");
    const services = { ...common, MONGODB_URI: mongoUri, SUBGRAPH_URLS: urlList };
    const subgraphStarts: Array<Promise<void>> = [];
    for (const subgraph of SUBGRAPHS) {
      const env = {
        ...services,
        SUBGRAPH_KEYS: encodeSubgraphKeys(deriveSubgraphKeys(secrets.identity, subgraph.name)),
        PORT: new URL(subgraphUrls[subgraph.name] ?? "").port,
        HOST: "127.0.0.1",
        SEED_DEMO_DATA: "false",
        PUBLIC_ORIGIN: publicOrigin,
      };
      for (let index = 0; index < config.SUBGRAPH_WORKERS; index += 1) {
        subgraphStarts.push(fork(subgraph.name, `subgraphs/${subgraph.name}/src/main.ts`, env, listening));
      }
    }
    await Promise.all(subgraphStarts);

    const seeded = await seed(mongo.connection, subgraphUrls);

    const gatewayEnv = {
      ...services,
      IDENTITY_SECRET: secrets.identity,
      ...(secrets.jwt === undefined ? {} : { JWT_SECRET: secrets.jwt }),
      PORT: String(gatewayPort),
      HOST: config.HOST,
    };
    await Promise.all(Array.from({ length: config.GATEWAY_WORKERS }, () => fork("gateway", "gateway/src/main.ts", gatewayEnv, listening)));

    started = true;
    return {
      gatewayUrl: `${reachableOrigin(config.HOST, gatewayPort)}/graphql`,
      subgraphUrls,
      publicOrigin,
      mongoUri: maskUriCredentials(mongoUri),
      embedded: config.MONGODB_URI === undefined,
      seeded,
      workers: { gateway: config.GATEWAY_WORKERS, subgraph: config.SUBGRAPH_WORKERS },
      pids: () => running.map(({ worker }) => worker.process.pid ?? 0),
      stop: () => stop().then(() => settle(true)),
      stopped,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
