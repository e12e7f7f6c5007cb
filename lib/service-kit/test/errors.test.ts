// Coded error constructors, formatError (what a client sees in development and elsewhere), and the level each error is logged at.
import { GraphQLError } from "graphql";
import type { GraphQLFormattedError } from "graphql";
import { createLogger } from "../src/logger";
import {
  ERROR_CODES,
  badUserInput,
  conflict,
  createFormatError,
  forbidden,
  errorLoggingPlugin,
  internalError,
  isClientError,
  isErrorCode,
  notFound,
  rateLimited,
  unauthenticated,
} from "../src/errors";

/** What Apollo hands formatError: the enriched JSON (code defaulted, stack trace when asked) and the error. */
function asApollo(error: GraphQLError): [GraphQLFormattedError, GraphQLError] {
  const json = error.toJSON();
  const extensions = { ...json.extensions, code: json.extensions?.code ?? "INTERNAL_SERVER_ERROR", stacktrace: ["Error: at x"] };
  return [{ ...json, extensions }, error];
}

const production = createFormatError({ development: false });
const development = createFormatError({ development: true });

describe("constructors", () => {
  test("each carries its code, and the offending field where given", () => {
    expect(badUserInput("Latitude must be between -90 and 90", "filter.near.latitude").toJSON()).toEqual({
      message: "Latitude must be between -90 and 90",
      extensions: { code: "BAD_USER_INPUT", field: "filter.near.latitude" },
    });
    expect(badUserInput("No field").extensions).toEqual({ code: "BAD_USER_INPUT" });
    expect(notFound("Resource", "65f0").toJSON()).toEqual({
      message: "Resource 65f0 was not found",
      extensions: { code: "NOT_FOUND", what: "Resource", id: "65f0" },
    });
    expect(rateLimited(30).toJSON()).toEqual({
      message: "Too many requests; retry after 30 s",
      extensions: { code: "RATE_LIMITED", retryAfterSeconds: 30 },
    });
    expect(conflict("Idempotency key reused with other input", "idempotencyKey").extensions).toEqual({
      code: "CONFLICT",
      field: "idempotencyKey",
    });
    expect(unauthenticated("Sign in").extensions.code).toBe("UNAUTHENTICATED");
    expect(forbidden("Coordinators only").extensions.code).toBe("FORBIDDEN");
    expect(internalError("The x service is unavailable", { serviceName: "x" }).extensions).toEqual({
      code: "INTERNAL_SERVER_ERROR",
      serviceName: "x",
    });
  });

  test("the registry holds exactly the seven codes", () => {
    expect([...ERROR_CODES].sort()).toEqual([
      "BAD_USER_INPUT",
      "CONFLICT",
      "FORBIDDEN",
      "INTERNAL_SERVER_ERROR",
      "NOT_FOUND",
      "RATE_LIMITED",
      "UNAUTHENTICATED",
    ]);
    expect(isErrorCode("NOT_FOUND")).toBe(true);
    expect(isErrorCode("GRAPHQL_VALIDATION_FAILED")).toBe(false);
  });
});

describe("formatError", () => {
  test("a coded error keeps its message, code and field, without a stack trace outside development", () => {
    expect(production(...asApollo(badUserInput("Page size is at most 100", "first")))).toEqual({
      message: "Page size is at most 100",
      extensions: { code: "BAD_USER_INPUT", field: "first" },
    });
    expect(development(...asApollo(badUserInput("Page size is at most 100", "first"))).extensions?.stacktrace).toEqual(["Error: at x"]);
  });

  test("an unexpected error is masked outside development, keeping location and path", () => {
    const thrown = new GraphQLError("connect ECONNREFUSED 10.0.0.5:27017", {
      originalError: new Error("connect ECONNREFUSED 10.0.0.5:27017"),
      path: ["resource", "name"],
    });
    expect(production(...asApollo(thrown))).toEqual({
      message: "Internal server error",
      path: ["resource", "name"],
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    expect(development(...asApollo(thrown))).toEqual({
      message: "connect ECONNREFUSED 10.0.0.5:27017",
      path: ["resource", "name"],
      extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["Error: at x"] },
    });
  });

  test("a GraphQLError without a code, or with a code outside the registry, is masked but keeps serviceName", () => {
    const uncoded = new GraphQLError("Cannot return null for non-nullable field Resource.name.");
    expect(production(...asApollo(uncoded))).toEqual({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    const foreign = new GraphQLError("socket hang up", { extensions: { code: "DOWNSTREAM_SERVICE_ERROR", serviceName: "events" } });
    expect(production(...asApollo(foreign))).toEqual({
      message: "Internal server error",
      extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "events" },
    });
  });

  test("a deliberate internal error (e.g. a subgraph that did not answer) keeps its message", () => {
    expect(production(...asApollo(internalError("The events service is unavailable", { serviceName: "events" })))).toEqual({
      message: "The events service is unavailable",
      extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "events" },
    });
  });

  test.each(["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST", "PERSISTED_QUERY_NOT_SUPPORTED"])(
    "Apollo's %s becomes BAD_USER_INPUT with its message",
    (code) => {
      const apollo = new GraphQLError('Cannot query field "nme" on type "Resource".', { extensions: { code } });
      expect(production(...asApollo(apollo))).toEqual({
        message: 'Cannot query field "nme" on type "Resource".',
        extensions: { code: "BAD_USER_INPUT" },
      });
    },
  );
});

describe("errorLoggingPlugin", () => {
  /** The level and message of every line the plugin writes for `errors`. */
  async function logged(errors: GraphQLError[]): Promise<Array<[string, string]>> {
    const lines: string[] = [];
    const logger = createLogger({ name: "errors-test", level: "info", destination: { write: (line: string) => lines.push(line) } });
    const listener = await errorLoggingPlugin<{ logger: typeof logger }>().requestDidStart?.({ contextValue: { logger } } as never);
    await listener?.didEncounterErrors?.({ errors, contextValue: { logger }, operationName: "Op" } as never);
    return lines.map((line) => JSON.parse(line) as { level: string; msg: string }).map(({ level, msg }) => [level, msg]);
  }

  test("a client's mistakes are logged at info, a coded internal error and an unexpected one at error", async () => {
    const clientMistakes = [badUserInput("bad"), unauthenticated("who"), forbidden("no"), notFound("Resource", "r1"), conflict("again"), rateLimited(3)];
    expect(clientMistakes.every(isClientError)).toBe(true);
    expect(await logged(clientMistakes)).toEqual(clientMistakes.map((error) => ["info", `GraphQL error: ${error.message}`]));
    const apollo = new GraphQLError("Syntax Error", { extensions: { code: "GRAPHQL_PARSE_FAILED" } });
    expect(await logged([apollo])).toEqual([["info", "GraphQL error: Syntax Error"]]);
    expect(await logged([internalError("The events service is unavailable", { serviceName: "events" })])).toEqual([
      ["error", "GraphQL error: The events service is unavailable"],
    ]);
    expect(await logged([new GraphQLError("boom", { originalError: new TypeError("x is undefined") })])).toEqual([["error", "unexpected error"]]);
  });

  test("nothing is built or written when the level is off", async () => {
    const write = jest.fn();
    const logger = createLogger({ name: "errors-test", level: "warn", destination: { write } });
    const listener = await errorLoggingPlugin<{ logger: typeof logger }>().requestDidStart?.({ contextValue: { logger } } as never);
    await listener?.didEncounterErrors?.({ errors: [badUserInput("bad")], contextValue: { logger }, operationName: "Op" } as never);
    expect(write).not.toHaveBeenCalled();
  });
});
