// Production answers as an attacker probing the schema meets them: no "Did you mean" suggestions anywhere (validation, variables, enums, arguments), and 400 with a clear message for ambiguous or unknown operations and subscriptions over POST.
import { readFileSync } from "node:fs";
import { connectMongo } from "@tsunagu/service-kit";
import type { MongoHandle, RunningService } from "@tsunagu/service-kit";
import { startResourcesSubgraph } from "@tsunagu/resources";
import { mongoApiKeyStore } from "../src/api-keys";
import { DEFAULT_SUPERGRAPH_PATH } from "../src/config";
import { postGraphQL, testSubgraphKeys, silentLogger, startTestGateway } from "./helpers";

let mongo: MongoHandle;
let resources: RunningService;
let gateway: RunningService;

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "hygiene-test", logger: silentLogger });
  resources = await startResourcesSubgraph({ connection: mongo.connection, keys: testSubgraphKeys("resources"), logger: silentLogger });
  gateway = await startTestGateway(
    { resources: resources.url },
    { apiKeys: await mongoApiKeyStore(mongo.connection), supergraphSdl: readFileSync(DEFAULT_SUPERGRAPH_PATH, "utf8"), environment: "production" },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await resources?.stop();
  await mongo?.close();
});

const post = (body: unknown) => postGraphQL(gateway.url, body);

test.each([
  ["a misspelt field", { query: "{ resourcez(first: 1) { totalCount } }" }],
  ["a misspelt argument", { query: "{ resources(firts: 1) { totalCount } }" }],
  ["a misspelt enum literal", { query: "{ resources(filter: { kinds: [MEDICA] }, first: 1) { totalCount } }" }],
  [
    "a misspelt enum in variables",
    { query: "query ($f: ResourceFilter) { resources(filter: $f, first: 1) { totalCount } }", variables: { f: { kinds: ["MEDICA"] } } },
  ],
  [
    "a misspelt input field in variables",
    { query: "query ($f: ResourceFilter) { resources(filter: $f, first: 1) { totalCount } }", variables: { f: { kindz: ["MEDICAL"] } } },
  ],
  ["a misspelt variable type", { query: "query ($f: ResourceFiltr) { resources(filter: $f, first: 1) { totalCount } }", variables: {} }],
])("%s gets no suggestion in production", async (_case, body) => {
  const answer = await post(body);
  expect(answer.status).toBe(400);
  expect(answer.body.errors?.length).toBeGreaterThan(0);
  expect(answer.body.errors?.every((error) => error.extensions?.code === "BAD_USER_INPUT")).toBe(true);
  expect(JSON.stringify(answer.body)).not.toMatch(/did you mean/i);
});

test.each([
  ["two operations without operationName", { query: "query A { resourceCategories { code } } query B { resourceCategories { code } }" }, /operation name/i],
  ["an unknown operationName", { query: "query A { resourceCategories { code } }", operationName: "Nope" }, /Unknown operation named "Nope"/],
  ["a subscription over POST", { query: "subscription { availabilityChanged { id } }" }, /subscriptions? .*(graphql-ws|WebSocket)/i],
])("%s is answered 400 with a clear message", async (_case, body, message) => {
  const answer = await post(body);
  expect(answer.status).toBe(400);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors?.[0]?.message).toMatch(message);
  expect(answer.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
});
