// What each gateway subscription listens to and how its events are looked up, and the subscription schema: the supergraph's API schema plus the Subscription fields it can serve.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { GraphQLSchema, Kind, extendSchema, getNamedType, isObjectType, parse } from "graphql";
import type { DocumentNode, GraphQLField, ObjectTypeDefinitionNode } from "graphql";
import { topics } from "@tsunagu/service-kit";
import type { DomainEventType, Logger } from "@tsunagu/service-kit";

/** `schema/subscriptions/gateway.graphql` of this repository. */
export const SUBSCRIPTION_SDL_PATH = resolve(__dirname, "../../schema/subscriptions/gateway.graphql");

/** A root query field taking `id`, which the owning subgraph serves with its own access rules (the contract with the subgraphs). */
export interface RootLookup {
  /** e.g. `post`, queried as `post(id: $id)`. */
  field: string;
  /** The payload key (lookups) or argument (checks) holding the id. */
  idFrom: string;
}

/** How one field of `type Subscription` is served. */
export interface SubscriptionField {
  /** The pub/sub topic, from the field's arguments. */
  topic(args: Readonly<Record<string, unknown>>): string;
  /** The event type delivered (other types on the topic are ignored). */
  eventType: DomainEventType;
  /** Resolves an event's entity with the subscriber's selection. */
  lookup: RootLookup;
  /** Subscribe-time authorisation: the subscriber must be able to read this (e.g. the board). */
  readable?: RootLookup;
  /** Whether an event's payload matches the field's arguments (filters); default every event. */
  accepts?(args: Readonly<Record<string, unknown>>, payload: Readonly<Record<string, unknown>>): boolean;
}

/** A post event on `board:<boardId>`: subscribers must be able to read the board. */
function boardPostEvent(eventType: "postAdded" | "postUpdated"): SubscriptionField {
  return {
    topic: ({ boardId }) => topics.board(String(boardId)),
    eventType,
    lookup: { field: "post", idFrom: "postId" },
    readable: { field: "board", idFrom: "boardId" },
  };
}

/** True when `list` is absent (no filter) or contains `value`. */
function anyOf(list: unknown, value: unknown): boolean {
  return !Array.isArray(list) || list.includes(value);
}

/** Every field of schema/subscriptions/gateway.graphql; a test keeps the two in step. */
export const SUBSCRIPTION_FIELDS: Readonly<Record<string, SubscriptionField>> = Object.freeze({
  postAdded: boardPostEvent("postAdded"),
  postUpdated: boardPostEvent("postUpdated"),
  commentAdded: {
    topic: ({ postId }) => topics.post(String(postId)),
    eventType: "commentAdded",
    lookup: { field: "comment", idFrom: "commentId" },
    readable: { field: "post", idFrom: "postId" },
  },
  availabilityChanged: {
    topic: () => topics.availability(),
    eventType: "availabilityChanged",
    lookup: { field: "resource", idFrom: "resourceId" },
    accepts: ({ categories, districts }, { category, district }) => anyOf(categories, category) && anyOf(districts, district),
  },
  transitionNoticeReceived: {
    topic: ({ recipientId }) => topics.transitionRecipient(String(recipientId)),
    eventType: "transitionNoticeReceived",
    lookup: { field: "transitionNotice", idFrom: "noticeId" },
    readable: { field: "transitionInbox", idFrom: "recipientId" },
  },
  registrationPromoted: {
    topic: ({ eventId }) => topics.event(String(eventId)),
    eventType: "registrationPromoted",
    lookup: { field: "registration", idFrom: "registrationId" },
    readable: { field: "event", idFrom: "eventId" },
  },
});

/** The subscription schema and the fields it serves. */
export interface SubscriptionSchema {
  schema: GraphQLSchema;
  /** Subscription fields kept, in SDL order. */
  fields: readonly string[];
}

/** The Query field `name` when it exists and takes an `id` argument. */
function rootLookupField(apiSchema: GraphQLSchema, name: string): GraphQLField<unknown, unknown> | undefined {
  const field = apiSchema.getQueryType()?.getFields()[name];
  return field?.args.some((arg) => arg.name === "id") ? field : undefined;
}

/** Why `apiSchema` cannot serve a subscription field returning `returnType`, or undefined when it can. */
function missingFor(apiSchema: GraphQLSchema, returnType: string, spec: SubscriptionField): string | undefined {
  if (!isObjectType(apiSchema.getType(returnType))) return `the supergraph has no type ${returnType}`;
  const lookup = rootLookupField(apiSchema, spec.lookup.field);
  if (lookup === undefined || getNamedType(lookup.type).name !== returnType) {
    return `the supergraph has no Query.${spec.lookup.field}(id:) returning ${returnType}`;
  }
  if (spec.readable !== undefined && rootLookupField(apiSchema, spec.readable.field) === undefined) {
    return `the supergraph has no Query.${spec.readable.field}(id:) to check access with`;
  }
  return undefined;
}

function subscriptionDefinition(sdl: DocumentNode): ObjectTypeDefinitionNode {
  const definition = sdl.definitions.find(
    (node): node is ObjectTypeDefinitionNode => node.kind === Kind.OBJECT_TYPE_DEFINITION && node.name.value === "Subscription",
  );
  if (definition === undefined || sdl.definitions.length !== 1) throw new Error("The subscription SDL must define exactly `type Subscription`");
  return definition;
}

/**
 * The API schema extended with the Subscription fields of `sdl` whose return type and lookups exist
 * in it (so posts appear once the groups subgraph is composed in). Without any, the API schema as is.
 * @throws Error when the SDL has a field SUBSCRIPTION_FIELDS does not describe.
 */
export function buildSubscriptionSchema(apiSchema: GraphQLSchema, sdl: string, logger: Logger): SubscriptionSchema {
  const definition = subscriptionDefinition(parse(sdl));
  const kept = (definition.fields ?? []).filter((field) => {
    const name = field.name.value;
    const spec = SUBSCRIPTION_FIELDS[name];
    if (spec === undefined) throw new Error(`Subscription.${name} has no entry in SUBSCRIPTION_FIELDS`);
    let returnType = field.type;
    while (returnType.kind !== Kind.NAMED_TYPE) returnType = returnType.type;
    const missing = missingFor(apiSchema, returnType.name.value, spec);
    if (missing !== undefined) logger.info({ field: name, reason: missing }, "subscription field not served");
    return missing === undefined;
  });
  if (kept.length === 0) return { schema: apiSchema, fields: [] };
  const extended = extendSchema(apiSchema, { kind: Kind.DOCUMENT, definitions: [{ ...definition, fields: kept }] });
  const subscription = extended.getType("Subscription");
  if (!isObjectType(subscription)) throw new Error("extendSchema lost the Subscription type");
  return { schema: new GraphQLSchema({ ...extended.toConfig(), subscription }), fields: kept.map((field) => field.name.value) };
}

/** The repository's subscription SDL. */
export function readSubscriptionSdl(path: string = SUBSCRIPTION_SDL_PATH): string {
  return readFileSync(path, "utf8");
}
