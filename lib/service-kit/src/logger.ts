// Structured logging with pino: JSON lines (readable lines in development), secrets redacted, request ids carried by child loggers.
import { pino, stdTimeFunctions } from "pino";
import { PinoPretty } from "pino-pretty";
import type { DestinationStream, LevelWithSilent, Logger as PinoLogger } from "pino";

/** The logger every Tsunagu module receives; `logger.child({ requestId })` scopes it to a request. */
export type Logger = PinoLogger;

/** A pino level or `silent`. */
export type LogLevel = LevelWithSilent;

/** What a redacted value is replaced with in a log line. */
export const REDACTED = "[REDACTED]";

/** Property names whose values never reach a log line, at any of the first four levels of nesting. */
const SECRET_KEYS = [
  "authorization",
  "Authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "token",
  "accessToken",
  "refreshToken",
  "password",
  "secret",
  "clientSecret",
  "apiKey",
  "signature",
];
const REDACT_DEPTH = 4;

const REDACT_PATHS = SECRET_KEYS.flatMap((key) =>
  Array.from({ length: REDACT_DEPTH }, (_, depth) => {
    const wildcards = "*.".repeat(depth);
    return /^\w+$/.test(key) ? `${wildcards}${key}` : `${wildcards.slice(0, -1)}["${key}"]`;
  }),
);

export interface LoggerOptions {
  /** The service or module, written as `name` on every line. */
  name: string;
  /** Default: `silent` when NODE_ENV=test (quiet jest output), otherwise `info`. */
  level?: LogLevel;
  /** Where lines go; default stdout. Tests pass their own stream to read the lines back. */
  destination?: DestinationStream;
  /** `json` (default): one JSON object per line; `pretty`: a readable line per event, for a person at a terminal. */
  format?: LogFormat;
}

export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What a process's configuration says about logging (see baseConfigSchema). */
export interface LoggingConfig {
  NODE_ENV: "development" | "test" | "production";
  LOG_LEVEL?: LogLevel;
  LOG_FORMAT?: LogFormat;
}

/** LOG_FORMAT, or else readable lines in development and JSON otherwise. */
export function logFormatOf(config: LoggingConfig): LogFormat {
  return config.LOG_FORMAT ?? (config.NODE_ENV === "development" ? "pretty" : "json");
}

/** The logger of a process: its LOG_LEVEL and logFormatOf(config). */
export function processLogger(name: string, config: LoggingConfig): Logger {
  return createLogger({ name, level: config.LOG_LEVEL, format: logFormatOf(config) });
}

/** A pino logger writing one JSON line per event with ISO-8601 UTC times and secrets redacted. */
export function createLogger({ name, level, destination, format = "json" }: LoggerOptions): Logger {
  const pretty =
    format === "pretty" ? PinoPretty({ sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", destination: destination ?? 1 }) : undefined;
  return pino(
    {
      name,
      level: level ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pretty ?? destination,
  );
}

/** `mongodb://user:pass@host/db` → `mongodb://***@host/db`, for logs and error messages. */
export function maskUriCredentials(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@");
}
