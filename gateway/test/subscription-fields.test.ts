// The subscription fields: the SDL and SUBSCRIPTION_FIELDS in step, topics and filters, the schema built from whichever types the supergraph has, and the configuration variables.
import { randomBytes } from "node:crypto";
import { Kind, buildSchema, parse, printType } from "graphql";
import type { GraphQLObjectType } from "graphql";
import { createLogger, loadConfig } from "@tsunagu/service-kit";
import { gatewayConfigSchema, gatewayOptionsOf } from "../src/config";
import { SUBSCRIPTION_FIELDS, buildSubscriptionSchema, readSubscriptionSdl } from "../src/subscription-fields";

/** A logger writing into an array of parsed records. */
function capture() {
  const records: Array<Record<string, unknown>> = [];
  const logger = createLogger({ name: "subscriptions-test", level: "info", destination: { write: (line: string) => records.push(JSON.parse(line)) } });
  return { logger, records };
}

const RESOURCES_ONLY = `
  type Resource { id: ID! name: String! }
  type Query { resource(id: ID!): Resource }
`;
const WITH_GROUPS = `${RESOURCES_ONLY}
  type Board { id: ID! }
  type Post { id: ID! title: String! }
  type Comment { id: ID! body: String! }
  extend type Query { board(id: ID!): Board post(id: ID!): Post comment(id: ID!): Comment }
`;

test("schema/subscriptions/gateway.graphql and SUBSCRIPTION_FIELDS describe the same fields, each with a description", () => {
  const [definition] = parse(readSubscriptionSdl()).definitions;
  expect(definition?.kind).toBe(Kind.OBJECT_TYPE_DEFINITION);
  const fields = definition?.kind === Kind.OBJECT_TYPE_DEFINITION ? (definition.fields ?? []) : [];
  expect(fields.map((field) => field.name.value)).toEqual(Object.keys(SUBSCRIPTION_FIELDS));
  for (const field of fields) {
    expect(field.description?.value).toMatch(/[぀-ヿ一-鿿].*\(.+\)/s);
    for (const argument of field.arguments ?? []) expect(argument.description?.value).toMatch(/[぀-ヿ一-鿿].*\(.+\)/s);
  }
});

test("topics and filters", () => {
  const { postAdded, postUpdated, commentAdded, availabilityChanged } = SUBSCRIPTION_FIELDS;
  expect([postAdded?.topic({ boardId: "b1" }), postUpdated?.topic({ boardId: "b1" }), commentAdded?.topic({ postId: "p1" })]).toEqual([
    "board:b1",
    "board:b1",
    "post:p1",
  ]);
  expect([postAdded?.eventType, postUpdated?.eventType, commentAdded?.eventType]).toEqual(["postAdded", "postUpdated", "commentAdded"]);
  const accepts = (args: Record<string, unknown>) => availabilityChanged?.accepts?.(args, { resourceId: "r1", category: "salon", district: "東部" });
  expect(availabilityChanged?.topic({})).toBe("availability");
  expect([
    accepts({}),
    accepts({ categories: null, districts: null }),
    accepts({ categories: ["salon", "home-nursing"] }),
    accepts({ categories: ["home-nursing"] }),
    accepts({ districts: ["東部"] }),
    accepts({ districts: ["中央"] }),
    accepts({ categories: ["salon"], districts: ["中央"] }),
    accepts({ categories: [], districts: [] }),
  ]).toEqual([true, true, true, false, true, false, false, false]);
});

test("with only the resources subgraph composed, only availabilityChanged is served, and why the others are not is logged", () => {
  const { logger, records } = capture();
  const { schema, fields } = buildSubscriptionSchema(buildSchema(RESOURCES_ONLY), readSubscriptionSdl(), logger);
  expect(fields).toEqual(["availabilityChanged"]);
  expect(printType(schema.getSubscriptionType() as GraphQLObjectType)).toMatch(/^""".*"""\ntype Subscription \{\n {2}""".*"""\n {2}availabilityChanged\(\n/s);
  expect(records.map((record) => [record.field, record.reason])).toEqual([
    ["postAdded", "the supergraph has no type Post"],
    ["postUpdated", "the supergraph has no type Post"],
    ["commentAdded", "the supergraph has no type Comment"],
    ["transitionNoticeReceived", "the supergraph has no type TransitionNotice"],
    ["registrationPromoted", "the supergraph has no type Registration"],
  ]);
});

test("once groups is composed in, every field is served", () => {
  const { schema, fields } = buildSubscriptionSchema(buildSchema(WITH_GROUPS), readSubscriptionSdl(), capture().logger);
  expect(fields).toEqual(["postAdded", "postUpdated", "commentAdded", "availabilityChanged"]);
  expect(Object.keys(schema.getSubscriptionType()?.getFields() ?? {})).toEqual(fields);
  expect(schema.getQueryType()?.getFields().post?.type.toString()).toBe("Post");
});

test("a field whose lookup or access check is missing from the supergraph is not served", () => {
  const { logger, records } = capture();
  const api = buildSchema(
    `${RESOURCES_ONLY} type Post { id: ID! } type Comment { id: ID! } extend type Query { post(id: ID!): Post comment(postId: ID!): Comment }`,
  );
  expect(buildSubscriptionSchema(api, readSubscriptionSdl(), logger).fields).toEqual(["availabilityChanged"]);
  expect(records.map((record) => record.reason)).toEqual([
    "the supergraph has no Query.board(id:) to check access with",
    "the supergraph has no Query.board(id:) to check access with",
    "the supergraph has no Query.comment(id:) returning Comment",
    "the supergraph has no type TransitionNotice",
    "the supergraph has no type Registration",
  ]);
});

test("a supergraph without any of the types gets no Subscription type; an unknown SDL field is refused", () => {
  const api = buildSchema("type Query { hello: String }");
  expect(buildSubscriptionSchema(api, readSubscriptionSdl(), capture().logger)).toEqual({ schema: api, fields: [] });
  expect(() => buildSubscriptionSchema(api, '"x" type Subscription { somethingElse: String }', capture().logger)).toThrow(
    "Subscription.somethingElse has no entry in SUBSCRIPTION_FIELDS",
  );
  expect(() => buildSubscriptionSchema(api, "type Subscription { a: String } type Other { b: String }", capture().logger)).toThrow(
    "The subscription SDL must define exactly `type Subscription`",
  );
});

test("REDIS_URL and LIMIT_SUBSCRIPTIONS_PER_CONNECTION configure the gateway's pub/sub and subscription limit", () => {
  const SECRETS = { IDENTITY_SECRET: randomBytes(32).toString("hex"), JWT_SECRET: randomBytes(32).toString("hex") };
  const defaults = gatewayOptionsOf(loadConfig(gatewayConfigSchema, SECRETS));
  expect([defaults.redisUrl, defaults.subscriptions]).toEqual([undefined, { maxPerConnection: 20 }]);
  const configured = gatewayOptionsOf(
    loadConfig(gatewayConfigSchema, { ...SECRETS, REDIS_URL: "redis://redis:6379/0", LIMIT_SUBSCRIPTIONS_PER_CONNECTION: "5" }),
  );
  expect([configured.redisUrl, configured.subscriptions]).toEqual(["redis://redis:6379/0", { maxPerConnection: 5 }]);
  expect(() => loadConfig(gatewayConfigSchema, { REDIS_URL: "http://redis:6379" })).toThrow(
    'Invalid configuration: REDIS_URL: expected a redis:// or rediss:// URL, got "http://redis:6379"',
  );
  expect(() => loadConfig(gatewayConfigSchema, { REDIS_URL: "rediss://user:secret@redis.example" })).not.toThrow();
});
