// The one registry of error codes, constructors for coded GraphQLErrors, and how errors leave a service (formatError, HTTP error bodies).
import { GraphQLError } from "graphql";
import type { GraphQLErrorExtensions, GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import type { ApolloServerPlugin } from "@apollo/server";
import type { ErrorRequestHandler, Response } from "express";
import { trackingOf } from "./identity";
import type { Logger } from "./logger";

/** Every `extensions.code` a Tsunagu client can see (DESIGN.md "Conventions"). */
export const ERROR_CODES = ["BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "RATE_LIMITED", "INTERNAL_SERVER_ERROR"] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (ERROR_CODES as readonly string[]).includes(value);
}

/** Apollo Server's own codes for a request the client got wrong; clients see them as BAD_USER_INPUT. */
const APOLLO_CLIENT_ERROR_CODES: ReadonlySet<unknown> = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/** graphql-js's "Did you mean ...?" hints (validation, variable and enum coercion), which tell a prober the schema. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** The message every unexpected error is replaced with outside development. */
/** A client's mistake: logged at info, never at error level. */
export function isClientError(error: GraphQLError): boolean {
  const { code } = error.extensions;
  return (isErrorCode(code) && code !== "INTERNAL_SERVER_ERROR") || APOLLO_CLIENT_ERROR_CODES.has(code);
}

export const INTERNAL_ERROR_MESSAGE = "Internal server error";

/** A GraphQLError carrying `code` (and any further extensions, e.g. `field`). */
export function codedError(code: ErrorCode, message: string, extensions: GraphQLErrorExtensions = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** The input was wrong; `field` names the offending input field (e.g. `input.location.latitude`). */
export function badUserInput(message: string, field?: string): GraphQLError {
  return codedError("BAD_USER_INPUT", message, field === undefined ? {} : { field });
}

export function unauthenticated(message: string): GraphQLError {
  return codedError("UNAUTHENTICATED", message);
}

export function forbidden(message: string): GraphQLError {
  return codedError("FORBIDDEN", message);
}

/** `notFound("Resource", id)` → "Resource 65f… was not found". */
export function notFound(what: string, id: string): GraphQLError {
  return codedError("NOT_FOUND", `${what} ${id} was not found`, { what, id });
}

export function conflict(message: string, field?: string): GraphQLError {
  return codedError("CONFLICT", message, field === undefined ? {} : { field });
}

export function rateLimited(retryAfterSeconds: number): GraphQLError {
  return codedError("RATE_LIMITED", `Too many requests; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
}

/** A deliberate internal error whose message is safe to show (e.g. a subgraph that did not answer). */
export function internalError(message: string, extensions: GraphQLErrorExtensions = {}): GraphQLError {
  return codedError("INTERNAL_SERVER_ERROR", message, extensions);
}

/**
 * True when the error was raised on purpose with a code (a coded GraphQLError, or one of Apollo's
 * client-error codes); false for anything unexpected (a thrown Error, a GraphQLError without a code).
 */
export function isExpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  return original instanceof GraphQLError && original.extensions.code !== undefined;
}

export interface FormatErrorOptions {
  /** Keep messages and stack traces of unexpected errors (NODE_ENV=development only). */
  development: boolean;
}

/**
 * Apollo `formatError`: every error leaves with a code from ERROR_CODES; Apollo's parse, validation
 * and request errors become BAD_USER_INPUT (outside development without graphql-js's "Did you mean" hints); outside development unexpected errors become
 * "Internal server error" with only `code` (and `serviceName` when known), and no stack trace.
 * Pair it with `errorLoggingPlugin`, which logs the originals with the request id.
 */
export function createFormatError({ development }: FormatErrorOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const { stacktrace, ...extensions } = formatted.extensions ?? {};
    const code = extensions.code;
    const kept = development && stacktrace !== undefined ? { stacktrace } : {};
    if (APOLLO_CLIENT_ERROR_CODES.has(code) || code === "BAD_USER_INPUT") {
      // Apollo's client errors, graphql-js's variable coercion errors (coded BAD_USER_INPUT by Apollo) and our own.
      const message = development ? formatted.message : formatted.message.replace(SUGGESTION, "");
      return { ...formatted, message, extensions: { ...extensions, ...kept, code: "BAD_USER_INPUT" } };
    }
    if (isErrorCode(code) && isExpectedError(error)) {
      return { ...formatted, extensions: { ...extensions, ...kept } };
    }
    const serviceName = typeof extensions.serviceName === "string" ? { serviceName: extensions.serviceName } : {};
    const masked = { code: "INTERNAL_SERVER_ERROR", ...serviceName };
    if (development) return { ...formatted, extensions: { ...extensions, ...masked, ...kept } };
    return {
      message: INTERNAL_ERROR_MESSAGE,
      ...(formatted.locations === undefined ? {} : { locations: formatted.locations }),
      ...(formatted.path === undefined ? {} : { path: formatted.path }),
      extensions: masked,
    };
  };
}

/**
 * Logs each error of an operation with the request's logger (which carries the request id): a client's mistake
 * (BAD_USER_INPUT, FORBIDDEN, ...) at info, a coded INTERNAL_SERVER_ERROR (e.g. a subgraph that did not answer) and
 * anything unexpected at error.
 */
export function errorLoggingPlugin<TContext extends { logger: Logger }>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          const { logger } = contextValue;
          for (const error of errors) {
            if (isExpectedError(error)) {
              const level = isClientError(error) ? "info" : "error";
              if (!logger.isLevelEnabled(level)) continue;
              logger[level](
                { code: error.extensions.code, serviceName: error.extensions.serviceName, path: error.path, operationName },
                `GraphQL error: ${error.message}`,
              );
            } else {
              const original = unwrapResolverError(error);
              logger.error({ err: original, path: error.path, operationName }, "unexpected error");
            }
          }
        },
      };
    },
  };
}

/** Answers an HTTP request with a GraphQL-shaped body `{ errors: [{ message, extensions }] }`. */
export function sendErrorResponse(res: Response, status: number, error: GraphQLError, headers: Readonly<Record<string, string>> = {}): void {
  res
    .status(status)
    .set(headers)
    .type("application/json")
    .send(JSON.stringify({ errors: [error.toJSON()] }));
}

interface HttpError {
  status: number;
  type?: string;
  limit?: number;
}

function isHttpError(value: unknown): value is HttpError {
  return typeof value === "object" && value !== null && typeof (value as { status?: unknown }).status === "number";
}

/**
 * Express error handler for what happens before GraphQL: an oversized body (413), a body that is not
 * JSON (400), anything else (500, logged). Every answer is GraphQL-shaped and coded.
 */
export function httpErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (isHttpError(error) && error.status === 413) {
      const limit = error.limit === undefined ? "" : ` of ${error.limit} bytes`;
      sendErrorResponse(res, 413, badUserInput(`Request body is larger than the limit${limit}`));
    } else if (isHttpError(error) && error.status >= 400 && error.status < 500) {
      const what = error.type === "entity.parse.failed" ? "Request body is not valid JSON" : "Request body was refused";
      sendErrorResponse(res, error.status, badUserInput(what));
    } else {
      const requestLogger = res.locals.tracking === undefined ? logger : trackingOf(res).logger;
      requestLogger.error({ err: error }, "unhandled HTTP error");
      sendErrorResponse(res, 500, internalError(INTERNAL_ERROR_MESSAGE));
    }
  };
}
