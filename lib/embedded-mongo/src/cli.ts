// Command line: `npm run mongo -- --data-dir ./data --port 27017` starts the engine and prints its URI.
import { parseArgs } from "node:util";
import { startEmbeddedMongo } from "./index";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string" },
      port: { type: "string", default: "27017" },
      host: { type: "string", default: "127.0.0.1" },
      "in-memory": { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${values.port}`);
  const dataDir = values["in-memory"] ? undefined : (values["data-dir"] ?? "./data/mongo");
  const engine = await startEmbeddedMongo({ dataDir, port, host: values.host });
  process.stdout.write(`${engine.uri}\n`);
  const shutdown = (): void => void engine.stop().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: Error) => {
  process.stderr.write(`embedded-mongo: ${error.message}\n`);
  process.exit(1);
});
