// A process run by `npm start`'s supervisor: it stops on the supervisor's SIGTERM (Ctrl+C is the supervisor's to order), and without Redis its domain events travel through the supervisor.

/** Set by the supervisor (scripts/supervisor.ts) in the environment of every process it starts. */
export const SUPERVISED_VARIABLE = "TSUNAGU_SUPERVISED";

/**
 * How the supervisor (and the benchmarks, which start processes as it does) runs each process's TypeScript: tsx's
 * CommonJS hook alone. `--import tsx` adds tsx's ESM loader, a thread of its own that costs about 22 MB of resident
 * memory per process (an empty engine process: 68 MB instead of 90 MB); ESM-only dependencies load through Node's require(esm).
 */
export const TYPESCRIPT_LOADER_FLAGS: readonly string[] = ["--require", "tsx/cjs"];

/**
 * V8 flags of the embedded engine's process: semi-spaces of 32 MB instead of 16 MB. The engine holds every document (a
 * prefecture's: gigabytes of heap) and each query allocates short-lived objects; with the default a scavenge ran every
 * 70 ms and took about 10 ms at 300,000 resources. 64 MB did no better on bench:search and cost 100 MB of resident memory.
 */
export const ENGINE_PROCESS_FLAGS: readonly string[] = ["--max-semi-space-size=32"];

/** The IPC message carrying one domain event between a supervised process and the supervisor. */
export const DOMAIN_EVENT_MESSAGE = "tsunagu:domain-event";

/** The IPC message the engine process (scripts/engine-process.ts) sends once it serves. */
export const ENGINE_READY_MESSAGE = "tsunagu:engine-ready";

export interface EngineReady {
  type: typeof ENGINE_READY_MESSAGE;
  /** The MongoDB URI with the engine's credentials and database (never printed). */
  uri: string;
}

/** True in a process the supervisor started (with an IPC channel to it). */
export function isSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SUPERVISED_VARIABLE] === "1" && process.send !== undefined;
}

/**
 * Calls `stop` once on the first stop signal. Alone, that is SIGINT or SIGTERM. Under the supervisor it is SIGTERM
 * only, and SIGINT is ignored: Ctrl+C reaches every process of the terminal's group at once, and the supervisor
 * stops them in order (gateway, subgraphs, engine) so that none loses the process it still needs. Once stopped, a
 * supervised process closes its channel to the supervisor, which would otherwise keep it running.
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const once = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    stop(signal).then(
      () => {
        if (process.connected) process.disconnect();
      },
      (error: unknown) => {
        process.stderr.write(`stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  if (isSupervised()) {
    process.on("SIGINT", () => undefined);
    process.on("SIGTERM", once);
  } else {
    process.on("SIGINT", once);
    process.on("SIGTERM", once);
  }
}
