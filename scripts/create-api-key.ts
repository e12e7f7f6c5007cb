// `npm run create-api-key -- --owner "Vendor K.K." --scopes resources:read,resources:write [--org id]`: creates a vendor API key, stores its hash, prints the key once (also --list, --revoke <id>).
import { parseArgs } from "node:util";
import { connectMongo, createLogger, exitOnConfigError, loadConfig } from "@tsunagu/service-kit";
import { ApiKeyInputError, createApiKey, gatewayConfigSchema, mongoApiKeyStore } from "@tsunagu/gateway";
import type { ApiKeyStore } from "@tsunagu/gateway";

const USAGE =
  'usage: npm run create-api-key -- --owner "Vendor K.K." --scopes resources:read,resources:write [--org <id>]\n' +
  "       npm run create-api-key -- --list\n" +
  "       npm run create-api-key -- --revoke <id>\n";

type Options = { owner?: string; scopes?: string; org?: string; list?: boolean; revoke?: string };

async function run(store: ApiKeyStore, values: Options): Promise<number> {
  if (values.list === true) {
    for (const key of await store.list()) {
      const state = key.revokedAt === undefined ? "active" : `revoked ${key.revokedAt.toISOString()}`;
      process.stdout.write(`${key.id}  ${key.prefix}…  ${key.owner}  [${key.scopes.join(",")}]  ${key.createdAt.toISOString()}  ${state}\n`);
    }
    return 0;
  }
  if (values.revoke !== undefined) {
    const revoked = await store.revoke(values.revoke);
    process.stdout.write(revoked ? `revoked ${values.revoke}\n` : `no active key ${values.revoke}\n`);
    return revoked ? 0 : 1;
  }
  if (values.owner === undefined || values.scopes === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  const scopes = values.scopes
    .split(",")
    .map((scope) => scope.trim())
    .filter((scope) => scope !== "");
  const { key, record } = await createApiKey(store, {
    owner: values.owner,
    scopes,
    ...(values.org === undefined ? {} : { organizationId: values.org }),
  });
  process.stderr.write(`# API key ${record.id} (${record.prefix}…) for ${record.owner} [${record.scopes.join(",")}]\n`);
  process.stderr.write("# It is shown only this once; send it as the X-Api-Key header.\n");
  process.stdout.write(`${key}\n`);
  return 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      owner: { type: "string" },
      scopes: { type: "string" },
      org: { type: "string" },
      list: { type: "boolean" },
      revoke: { type: "string" },
    },
  });
  const config = loadConfig(gatewayConfigSchema);
  const logger = createLogger({ name: "create-api-key", level: "warn" });
  const mongo = await connectMongo({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, dbName: config.MONGODB_DB, logger });
  try {
    process.exitCode = await run(await mongoApiKeyStore(mongo.connection), values);
  } catch (error) {
    if (!(error instanceof ApiKeyInputError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  } finally {
    await mongo.close();
  }
}

main().catch(exitOnConfigError);
