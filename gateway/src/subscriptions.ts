// Subscriptions at the gateway over graphql-ws on the HTTP server's /graphql: connection_init authenticated, documents limited and validated, access checked at subscribe time, each event resolved through the gateway as the subscriber, once per distinct authorisation outcome.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  getArgumentValues,
  getVariableValues,
  parse,
  print,
  specifiedRules,
  validate,
  visit,
} from "graphql";
import type {
  DocumentNode,
  ExecutionArgs,
  FieldNode,
  FormattedExecutionResult,
  FragmentDefinitionNode,
  GraphQLSchema,
  OperationDefinitionNode,
  ValidationRule,
} from "graphql";
import { CloseCode } from "graphql-ws";
import type { Context, SubscribePayload } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocket, WebSocketServer } from "ws";
import { IdentityReadLog, REQUEST_ID_HEADER, badUserInput, codedError, forbidden, internalError, rateLimited, requestIdFrom } from "@tsunagu/service-kit";
import type { DomainEvent, Identity, IdentityClaim, Logger, PubSub, RequestContext } from "@tsunagu/service-kit";
import type { Authenticate } from "./auth";
import type { RateLimiter } from "./rate-limit";
import { rateLimitKey } from "./rate-limit";
import { ConcurrencyLimit, EventLookups, EventStream, subscriptionPayload } from "./subscription-events";
import type { LookupOutcome, PendingPayload } from "./subscription-events";
import { SUBSCRIPTION_FIELDS } from "./subscription-fields";
import type { RootLookup, SubscriptionField, SubscriptionSchema } from "./subscription-fields";

/** Runs a GraphQL operation through the gateway (its limits, planning and subgraphs) on someone's behalf. */
export type GatewayExecutor = (
  request: { query: string; variables: Record<string, unknown>; operationName: string },
  context: RequestContext,
) => Promise<FormattedExecutionResult>;

/** Tunables of the subscription server. */
export interface SubscriptionSettings {
  /** Active subscriptions one connection may hold; default 20. */
  maxPerConnection?: number;
  /** Undelivered events one subscription may have waiting; default 100. */
  maxQueuedEvents?: number;
  /** Event lookups and subscribe-time access checks through the gateway running at once (the rest wait); default 32. */
  lookupConcurrency?: number;
  /** WebSocket ping interval; a connection that does not answer within it is dropped. Default 12,000 ms. */
  keepAliveMs?: number;
  /**
   * Resolve each event once per distinct authorisation outcome: subscribers share a lookup when they agree on every
   * identity claim the subgraphs' answer read (see EventLookups). False: once per person. Default true.
   */
  shareLookups?: boolean;
}

export const DEFAULT_SUBSCRIPTION_SETTINGS: Readonly<Required<SubscriptionSettings>> = Object.freeze({
  maxPerConnection: 20,
  maxQueuedEvents: 100,
  lookupConcurrency: 32,
  keepAliveMs: 12_000,
  shareLookups: true,
});

export interface SubscriptionServerOptions {
  httpServer: Server;
  subscriptionSchema: SubscriptionSchema;
  pubsub: PubSub;
  authenticate: Authenticate;
  rateLimiter: RateLimiter;
  /** The client's address as the HTTP endpoint's rate limiting sees it (honouring TRUST_PROXY). */
  clientIp: (request: IncomingMessage) => string | undefined;
  execute: GatewayExecutor;
  /** The gateway's query-limit validation rules and parser token limit. */
  limits: { validationRules: readonly ValidationRule[]; parseOptions: { maxTokens: number } };
  /** Largest accepted WebSocket message, in bytes. */
  maxPayloadBytes: number;
  /** Hides introspection and field suggestions, as the HTTP endpoint does. */
  production: boolean;
  logger: Logger;
  settings?: SubscriptionSettings;
}

/** The running subscription server; `stop()` closes every connection (their subscriptions end) and the WebSocket server. */
export interface SubscriptionServer {
  stop(): Promise<void>;
}

/** What the gateway knows about one graphql-ws connection after connection_init. */
interface Connection {
  identity: Identity;
  /** Carries the connection's request id. */
  logger: Logger;
  ip: string | undefined;
}

/** What onSubscribe hands to graphql-ws's subscribe() as the context value. */
type StartListening = () => EventStream;

/** The alias under which an event's entity is looked up. */
const LOOKUP_ALIAS = "event";
/** How long stop() lets clients answer the close handshake before their sockets are cut. */
const CLOSE_GRACE_MS = 1000;
/** Closes a connection refused by the rate limiter: WebSocket's "Try Again Later", which graphql-ws clients retry after a backoff. */
const TRY_AGAIN_LATER_CLOSE_CODE = 1013;
/** WebSocket close reasons are at most 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

function closeReason(message: string): string {
  let reason = message;
  while (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}

/** A connection_init credential: absent, or a string (`authorization` / `x-api-key`, any letter case). */
function credential(params: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const key = Object.keys(params).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw badUserInput(`connection_init payload ${name} must be a string`, name);
  return value;
}

/** A validation error as clients see it over HTTP: BAD_USER_INPUT, and no "Did you mean" in production. */
function asBadUserInput(error: GraphQLError, production: boolean): GraphQLError {
  const message = production ? error.message.replace(/ ?Did you mean(.+?)\?$/, "") : error.message;
  return new GraphQLError(message, {
    ...(error.nodes === undefined ? {} : { nodes: error.nodes }),
    extensions: { ...error.extensions, code: "BAD_USER_INPUT" },
  });
}

/** The variables and fragments a selection uses, following fragment spreads. */
function usedByField(field: FieldNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>) {
  const variables = new Set<string>();
  const fragmentNames = new Set<string>();
  const pending: Array<FieldNode | FragmentDefinitionNode> = [field];
  while (pending.length > 0) {
    visit(pending.pop() as FieldNode | FragmentDefinitionNode, {
      Variable: (node) => {
        variables.add(node.name.value);
      },
      FragmentSpread: (node) => {
        const fragment = fragments.get(node.name.value);
        if (fragment !== undefined && !fragmentNames.has(node.name.value)) {
          fragmentNames.add(node.name.value);
          pending.push(fragment);
        }
      },
    });
  }
  return { variables, fragmentNames };
}

/** A variable name not taken by the operation. */
function freshVariable(operation: OperationDefinitionNode, base: string): string {
  const taken = new Set((operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value));
  let name = base;
  for (let n = 1; taken.has(name); n++) name = `${base}${n}`;
  return name;
}

/**
 * `query SubscriptionEvent($eventId: ID!, ...) { event: post(id: $eventId) { <the subscriber's selection> } } <its fragments>`,
 * declaring only the subscriber's variables that the selection uses.
 */
function lookupDocument(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  root: FieldNode,
  lookup: RootLookup,
  idType: string,
) {
  const { variables, fragmentNames } = usedByField({ ...root, arguments: [] }, fragments);
  const idVariable = freshVariable(operation, "eventId");
  const idDefinition = parse(`query ($${idVariable}: ${idType}) { __typename }`).definitions[0] as OperationDefinitionNode;
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: { kind: Kind.NAME, value: "SubscriptionEvent" },
        variableDefinitions: [
          ...(idDefinition.variableDefinitions ?? []),
          ...(operation.variableDefinitions ?? []).filter((definition) => variables.has(definition.variable.name.value)),
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              alias: { kind: Kind.NAME, value: LOOKUP_ALIAS },
              name: { kind: Kind.NAME, value: lookup.field },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: "id" },
                  value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: idVariable } },
                },
              ],
              ...(root.selectionSet === undefined ? {} : { selectionSet: root.selectionSet }),
            },
          ],
        },
      },
      ...[...fragmentNames].map((name) => fragments.get(name) as FragmentDefinitionNode),
    ],
  };
  return { query: print(document), idVariable, variableNames: variables };
}

/** A validated subscription, ready to listen. */
interface Prepared {
  document: DocumentNode;
  field: SubscriptionField;
  args: Record<string, unknown>;
  responseKey: string;
  lookupQuery: string;
  idVariable: string;
  /** The subscriber's variables the lookup uses. */
  variables: Record<string, unknown>;
}

/** Parses, limits and validates a subscribe message, or returns the errors to send back. */
function prepare(payload: SubscribePayload, options: SubscriptionServerOptions): Prepared | GraphQLError[] {
  const { schema } = options.subscriptionSchema;
  let document: DocumentNode;
  try {
    document = parse(payload.query, options.limits.parseOptions);
  } catch (error) {
    if (error instanceof GraphQLError) return [asBadUserInput(error, options.production)];
    throw error;
  }
  const rules = [...specifiedRules, ...options.limits.validationRules, ...(options.production ? [NoSchemaIntrospectionCustomRule] : [])];
  const invalid = validate(schema, document, rules);
  if (invalid.length > 0) return invalid.map((error) => asBadUserInput(error, options.production));

  const operations = document.definitions.filter((node): node is OperationDefinitionNode => node.kind === Kind.OPERATION_DEFINITION);
  const operation =
    payload.operationName === undefined || payload.operationName === null
      ? operations.length === 1
        ? operations[0]
        : undefined
      : operations.find((node) => node.name?.value === payload.operationName);
  if (operation === undefined) return [badUserInput("Name the operation to run (operationName) that the document defines")];
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
    return [badUserInput("Only subscriptions are served over WebSocket; send queries and mutations by HTTP POST to /graphql")];
  }
  const [root, ...others] = operation.selectionSet.selections;
  if (root === undefined || others.length > 0 || root.kind !== Kind.FIELD || (root.directives ?? []).length > 0) {
    return [badUserInput("Select exactly one subscription field, directly (no fragment or directive around it)")];
  }
  const field = SUBSCRIPTION_FIELDS[root.name.value];
  const fieldDefinition = schema.getSubscriptionType()?.getFields()[root.name.value];
  const lookupField = field === undefined ? undefined : schema.getQueryType()?.getFields()[field.lookup.field];
  const idArgument = lookupField?.args.find((arg) => arg.name === "id");
  if (field === undefined || fieldDefinition === undefined || idArgument === undefined) {
    return [badUserInput(`Subscription.${root.name.value} is not served`)];
  }

  const variableInputs = payload.variables ?? {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variableInputs, { maxErrors: 20 });
  if (coerced.errors !== undefined) return coerced.errors.map((error) => asBadUserInput(error, options.production));
  const args = getArgumentValues(fieldDefinition, root, coerced.coerced);

  const fragments = new Map(
    document.definitions
      .filter((node): node is FragmentDefinitionNode => node.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const lookup = lookupDocument(operation, fragments, root, field.lookup, String(idArgument.type));
  const variables = Object.fromEntries(Object.entries(variableInputs).filter(([name]) => lookup.variableNames.has(name)));
  return {
    document,
    field,
    args,
    responseKey: root.alias?.value ?? root.name.value,
    lookupQuery: lookup.query,
    idVariable: lookup.idVariable,
    variables,
  };
}

/** The subscribe-time check: the subscriber can read what the field's `readable` names (e.g. the board), else FORBIDDEN. */
async function checkReadable(
  readable: RootLookup,
  args: Readonly<Record<string, unknown>>,
  context: RequestContext,
  { schema, execute }: { schema: GraphQLSchema; execute: GatewayExecutor },
): Promise<GraphQLError | undefined> {
  const checkField = schema.getQueryType()?.getFields()[readable.field];
  const idType = checkField?.args.find((arg) => arg.name === "id")?.type;
  if (checkField === undefined || idType === undefined) return internalError(`Query.${readable.field}(id:) is missing`);
  const id = String(args[readable.idFrom]);
  const what = `${readable.field} ${id}`;
  const result = await execute(
    {
      query: `query SubscriptionAccess($id: ${String(idType)}) { ${LOOKUP_ALIAS}: ${readable.field}(id: $id) { __typename } }`,
      variables: { id },
      operationName: "SubscriptionAccess",
    },
    context,
  );
  const [error] = result.errors ?? [];
  if (error !== undefined) {
    if (error.extensions?.code === "INTERNAL_SERVER_ERROR") {
      return internalError(
        `Could not check access to ${what}; try again`,
        error.extensions.serviceName === undefined ? {} : { serviceName: error.extensions.serviceName },
      );
    }
    return forbidden(`You may not subscribe to ${what}: ${error.message}`);
  }
  if (result.data?.[LOOKUP_ALIAS] === null || result.data?.[LOOKUP_ALIAS] === undefined) {
    return forbidden(`You may not subscribe to ${what}: it does not exist or is not visible to you`);
  }
  return undefined;
}

/** What, besides the entity and the identity, decides a lookup's answer: the lookup document and the variables it uses. */
function selectionKey(prepared: Prepared): string {
  return `${prepared.lookupQuery}\n${JSON.stringify(prepared.variables)}`;
}

/** Starts graphql-ws on `httpServer` at /graphql. */
export function startSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const given = options.settings ?? {};
  const settings: Required<SubscriptionSettings> = {
    maxPerConnection: given.maxPerConnection ?? DEFAULT_SUBSCRIPTION_SETTINGS.maxPerConnection,
    maxQueuedEvents: given.maxQueuedEvents ?? DEFAULT_SUBSCRIPTION_SETTINGS.maxQueuedEvents,
    lookupConcurrency: given.lookupConcurrency ?? DEFAULT_SUBSCRIPTION_SETTINGS.lookupConcurrency,
    keepAliveMs: given.keepAliveMs ?? DEFAULT_SUBSCRIPTION_SETTINGS.keepAliveMs,
    shareLookups: given.shareLookups ?? DEFAULT_SUBSCRIPTION_SETTINGS.shareLookups,
  };
  const { logger, pubsub } = options;
  const connections = new WeakMap<Context, Connection>();
  const lookups = new EventLookups(logger, settings.shareLookups);
  // A burst of subscribers (e.g. everyone reconnecting after a restart) waits here rather than overrunning the subgraphs' timeouts.
  const gatewayCalls = new ConcurrencyLimit(settings.lookupConcurrency);
  const execute: GatewayExecutor = (request, context) => gatewayCalls.run(() => options.execute(request, context));
  const wss = new WebSocketServer({ server: options.httpServer, path: "/graphql", maxPayload: options.maxPayloadBytes });

  /**
   * Listens for the subscription's events; each becomes a lookup through the gateway as the subscriber, or the result of one whose answer the
   * subscriber's identity cannot change, sent as a graphql-ws `next` message whose payload text every subscriber of that outcome shares.
   */
  const listen = (connection: Connection, prepared: Prepared, socket: WebSocket, subscriptionId: string): EventStream => {
    const key = selectionKey(prepared);
    /** The claims this subscription's latest outcome read: the first guess of what decides the next one. */
    let previousReads: readonly IdentityClaim[] = [];
    const { field, args } = prepared;
    const handle = (event: DomainEvent): PendingPayload | undefined => {
      if (event.type !== field.eventType || (field.accepts !== undefined && !field.accepts(args, event.payload))) return undefined;
      const id = event.payload[field.lookup.idFrom];
      if (typeof id !== "string" || id === "") {
        connection.logger.warn({ topic: event.topic, type: event.type, idFrom: field.lookup.idFrom }, "event without an entity id ignored");
        return undefined;
      }
      const run = async (): Promise<LookupOutcome> => {
        const requestId = randomUUID();
        const identityReads = new IdentityReadLog();
        const context: RequestContext & { identityReads: IdentityReadLog } = {
          identity: connection.identity,
          requestId,
          logger: connection.logger.child({ eventRequestId: requestId }),
          identityReads,
        };
        const result = await execute(
          { query: prepared.lookupQuery, variables: { ...prepared.variables, [prepared.idVariable]: id }, operationName: "SubscriptionEvent" },
          context,
        );
        return { result, reads: identityReads.reads() };
      };
      return lookups.lookup(event, key, id, connection.identity, run, previousReads).then(({ result, reads }) => {
        previousReads = reads;
        return subscriptionPayload(result, LOOKUP_ALIAS, prepared.responseKey);
      });
    };
    // graphql-ws's `next` message (its `{ id, type, payload }`) around the shared payload text.
    const envelope = `{"id":${JSON.stringify(subscriptionId)},"type":"next","payload":`;
    const deliver = (payload: string): void => {
      if (socket.readyState === WebSocket.OPEN) socket.send(`${envelope}${payload}}`);
    };
    return new EventStream(pubsub, field.topic(args), handle, deliver, settings.maxQueuedEvents);
  };

  const server = useServer<Record<string, unknown>>(
    {
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]?.toString());
        const connectionLogger = logger.child({ requestId, transport: "ws" });
        let identity: Identity;
        try {
          const params = ctx.connectionParams ?? {};
          const authorization = credential(params, "authorization");
          const apiKey = credential(params, "x-api-key");
          identity = await options.authenticate({
            ...(authorization === undefined ? {} : { authorization }),
            ...(apiKey === undefined ? {} : { apiKey }),
          });
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          connectionLogger.info({ reason: error.message }, "refused a WebSocket connection's credentials");
          socket.close(CloseCode.Forbidden, closeReason(error.message));
          return false;
        }
        const ip = options.clientIp(request);
        const decision = await options.rateLimiter.consume(rateLimitKey(identity, ip));
        if (!decision.allowed) {
          socket.close(TRY_AGAIN_LATER_CLOSE_CODE, closeReason(rateLimited(decision.retryAfterSeconds).message));
          return false;
        }
        connections.set(ctx, { identity, logger: connectionLogger, ip });
        connectionLogger.info({ role: identity.role }, "WebSocket connection acknowledged");
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = connections.get(ctx);
        if (connection === undefined) return [internalError("The connection was not initialised")];
        if (Object.keys(ctx.subscriptions).length > settings.maxPerConnection) {
          return [
            codedError("BAD_USER_INPUT", `At most ${settings.maxPerConnection} subscriptions per connection; complete one first`, {
              limit: "subscriptionsPerConnection",
            }),
          ];
        }
        const decision = await options.rateLimiter.consume(rateLimitKey(connection.identity, connection.ip));
        if (!decision.allowed) return [rateLimited(decision.retryAfterSeconds)];
        const prepared = prepare(payload, options);
        if (Array.isArray(prepared)) return prepared;
        if (prepared.field.readable !== undefined) {
          const context = { identity: connection.identity, requestId: randomUUID(), logger: connection.logger };
          const refusal = await checkReadable(prepared.field.readable, prepared.args, context, { schema: options.subscriptionSchema.schema, execute });
          if (refusal !== undefined) {
            connection.logger.info({ reason: refusal.message }, "subscription refused");
            return [refusal];
          }
        }
        const args: ExecutionArgs = {
          schema: options.subscriptionSchema.schema,
          document: prepared.document,
          ...(payload.operationName === undefined ? {} : { operationName: payload.operationName }),
          variableValues: payload.variables ?? {},
          contextValue: (() => listen(connection, prepared, ctx.extra.socket, id)) satisfies StartListening,
        };
        return args;
      },
      // graphql-ws calls this with onSubscribe's arguments; the context is what starts listening. The stream sends its events itself and
      // ends when the subscription does, whereupon graphql-ws sends `complete`.
      subscribe: (args) => {
        const start = args.contextValue;
        if (typeof start !== "function") throw new Error("onSubscribe did not prepare this subscription");
        return (start as StartListening)();
      },
      onClose: (ctx, code) => {
        const connection = connections.get(ctx);
        connections.delete(ctx);
        connection?.logger.info({ code }, "WebSocket connection closed");
      },
    },
    wss,
    settings.keepAliveMs,
  );

  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        const cut = setTimeout(() => wss.clients.forEach((client) => client.terminate()), CLOSE_GRACE_MS);
        try {
          await server.dispose();
        } finally {
          clearTimeout(cut);
        }
      })()),
  };
}
