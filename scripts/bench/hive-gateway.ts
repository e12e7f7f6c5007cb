// Child process of `npm run bench:gateway`: Hive Gateway with the Rust query planner (@graphql-hive/router-runtime) over the supergraph at SUPERGRAPH_PATH,
// authenticating callers and signing every subgraph request with the caller's identity exactly as Tsunagu's gateway does; prints "Hive gateway: <url>".
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import type { GatewayPlugin } from "@graphql-hive/gateway-runtime";
import { unifiedGraphHandler } from "@graphql-hive/router-runtime";
import httpTransport from "@graphql-mesh/transport-http";
import { IDENTITY_HEADER, PUBLIC_IDENTITY, bodyDigest, connectMongo, createLogger, signSubgraphRequest, subgraphSigningKey } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import { createAuthenticator, mongoApiKeyStore, resolveSubgraphEndpoints } from "@tsunagu/gateway";

/** Reads a required setting (bench:gateway sets them all). */
function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is set by bench:gateway`);
  return value;
}

async function main(): Promise<void> {
  const supergraph = readFileSync(setting("SUPERGRAPH_PATH"), "utf8");
  const identitySecret = setting("IDENTITY_SECRET");
  const logger = createLogger({ name: "bench-hive", level: "warn" });
  const mongo = await connectMongo({ uri: setting("MONGODB_URI"), dbName: "bench", logger });
  const authenticate = await createAuthenticator({
    jwt: { algorithm: "HS256", secret: setting("JWT_SECRET"), issuer: setting("JWT_ISSUER"), audience: setting("JWT_AUDIENCE") },
    apiKeys: await mongoApiKeyStore(mongo.connection),
  });
  // Each subgraph has a port of its own in the benchmark, so a request's origin names the subgraph it goes to (and its signing key).
  const keysByOrigin = new Map(
    resolveSubgraphEndpoints(supergraph, {}).map(({ name, url }) => [new URL(url).origin, { name, key: subgraphSigningKey(identitySecret, name) }]),
  );

  const identities = new WeakMap<object, Identity>();
  const tsunaguIdentity: GatewayPlugin = {
    // The same verification as Tsunagu's gateway (JWT or API key, else PUBLIC), once per client request.
    onContextBuilding: async ({ context }) => {
      const { request } = context as { request: Request };
      const authorization = request.headers.get("authorization");
      const apiKey = request.headers.get("x-api-key");
      identities.set(context, await authenticate({ ...(authorization === null ? {} : { authorization }), ...(apiKey === null ? {} : { apiKey }) }));
    },
    // The same signature as Tsunagu's gateway adds: identity, subgraph, method, path, body digest, time and a one-time nonce.
    onFetch: (fetch) => {
      const { url, options, context } = fetch;
      const target = new URL(url);
      const subgraph = keysByOrigin.get(target.origin);
      if (subgraph === undefined) throw new Error(`Hive Gateway fetched ${url}, which is no subgraph of the supergraph`);
      const identity = identities.get(context) ?? PUBLIC_IDENTITY;
      const body = typeof options.body === "string" ? options.body : "";
      const signature = signSubgraphRequest(identity, subgraph.key, {
        subgraph: subgraph.name,
        method: options.method ?? "GET",
        path: `${target.pathname}${target.search}`,
        bodyDigest: bodyDigest(body),
      });
      fetch.setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), [IDENTITY_HEADER]: signature } });
    },
  };

  const gateway = createGatewayRuntime({
    supergraph,
    unifiedGraphHandler,
    transports: { http: httpTransport },
    plugins: () => [tsunaguIdentity],
    logging: false,
    landingPage: false,
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.stdout.write(`Hive gateway: http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql\n`);
  process.once("SIGTERM", () => {
    server.close();
    void (async () => {
      await gateway.dispose();
      await mongo.close();
    })();
  });
}

main().catch((error: Error) => {
  process.stderr.write(`bench hive gateway: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
