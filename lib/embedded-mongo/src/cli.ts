// Command line: `npm run mongo -- --data-dir ./data --port 27017` starts the engine and prints its URI and where its credentials are.
import { parseArgs } from "node:util";
import { join } from "node:path";
import { CREDENTIALS_FILE } from "./auth";
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
  // EMBEDDED_MONGO_PASSWORD (never an argument, which other users can see) chooses the password of user `tsunagu`.
  const password = process.env.EMBEDDED_MONGO_PASSWORD;
  const credentials = password === undefined || password === "" ? undefined : { username: "tsunagu", password };
  const engine = await startEmbeddedMongo({ dataDir, port, host: values.host, credentials });
  const where =
    credentials !== undefined
      ? "password from EMBEDDED_MONGO_PASSWORD"
      : dataDir
        ? `password in ${join(dataDir, CREDENTIALS_FILE)}`
        : "random password: set EMBEDDED_MONGO_PASSWORD to choose one";
  process.stdout.write(`${engine.uri} (user ${engine.credentials.username}, authSource=admin, ${where})\n`);
  const shutdown = (): void => void engine.stop().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: Error) => {
  process.stderr.write(`embedded-mongo: ${error.message}\n`);
  process.exit(1);
});
