// The embedded engine as a process of `npm start`'s supervisor: serves DATA_DIR on a loopback port and tells the supervisor, over IPC only, the URI with its credentials.
import { startEmbeddedMongo } from "@tsunagu/embedded-mongo";
import { ENGINE_READY_MESSAGE, onStopSignal } from "@tsunagu/service-kit";
import type { EngineReady } from "@tsunagu/service-kit";

async function main(): Promise<void> {
  const dataDir = process.env.DATA_DIR;
  const database = process.env.MONGODB_DB;
  if (dataDir === undefined || database === undefined || process.send === undefined) {
    throw new Error("scripts/engine-process.ts is started by npm start (DATA_DIR, MONGODB_DB and an IPC channel)");
  }
  const engine = await startEmbeddedMongo({ dataDir, port: 0, host: "127.0.0.1" });
  onStopSignal(() => engine.stop());
  const ready: EngineReady = { type: ENGINE_READY_MESSAGE, uri: engine.connectionString(database) };
  process.send(ready);
}

main().catch((error: unknown) => {
  process.stderr.write(`Tsunagu engine did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
