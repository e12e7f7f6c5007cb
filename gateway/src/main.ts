// Entry point of the gateway process: configuration from the environment, MongoDB for API keys, then the server until SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import { connectMongo, exitOnConfigError, loadConfig, mongoReadinessCheck, onStopSignal, processLogger, withGeneratedSecrets } from "@tsunagu/service-kit";
import { mongoApiKeyStore } from "./api-keys";
import { gatewayConfigSchema, gatewayOptionsOf } from "./config";
import { createGateway } from "./server";

async function main(): Promise<void> {
  const config = loadConfig(gatewayConfigSchema, withGeneratedSecrets(process.env));
  const options = gatewayOptionsOf(config);
  const logger = processLogger("gateway", config);
  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, "utf8");
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  const gateway = await createGateway({
    ...options,
    supergraphSdl,
    apiKeys: await mongoApiKeyStore(mongo.connection),
    logger,
    readinessChecks: { mongo: mongoReadinessCheck(mongo.connection) },
  });
  process.stdout.write(`Tsunagu gateway: ${gateway.url}\n`);

  onStopSignal(async (signal) => {
    logger.info({ signal }, "shutting down");
    await gateway.stop();
    await mongo.close();
  });
}

main().catch(exitOnConfigError);
