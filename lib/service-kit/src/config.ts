// Service configuration from environment variables, validated with zod once at start.
import { z } from "zod";
import { LOG_FORMATS, maskUriCredentials } from "./logger";

/** Environment variables as handed to a process (`process.env` or a test's own object). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** One variable that failed validation and why, e.g. `{ variable: "PORT", problem: "expected ..." }`. */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

/** Thrown by `loadConfig` when variables are missing or malformed; the message names every one. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.problem}`).join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Log levels pino understands, plus `silent`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A variable that must be one of `values`, with a message listing them. */
export function envEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` });
}

/** A variable holding a whole number in [min, max] (ports, sizes, timeouts), parsed to a number. */
export function envInteger({ min, max }: { min: number; max: number }) {
  const expected = `expected an integer between ${min} and ${max}`;
  return z.string({ error: expected }).transform((raw, ctx) => {
    const text = raw.trim();
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || value < min || value > max) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return value;
  });
}

/** Variables every Tsunagu service reads; services `.extend()` it with their own. */
export const baseConfigSchema = z.object({
  NODE_ENV: envEnum(["development", "test", "production"]).default("development"),
  /** Unset: `info`, or `silent` under NODE_ENV=test (decided by `createLogger`). */
  LOG_LEVEL: envEnum(LOG_LEVELS).optional(),
  /** Unset: `pretty` under NODE_ENV=development, `json` otherwise (decided by `processLogger`). */
  LOG_FORMAT: envEnum(LOG_FORMATS).optional(),
  /** Unset: the embedded engine is started in-process. */
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, { error: "expected a mongodb:// or mongodb+srv:// URI" })
    .optional(),
  /** Where the embedded engine keeps its files. */
  DATA_DIR: z.string().default("./data"),
  MONGODB_DB: z
    .string()
    .regex(/^[^/\\. "$*<>:|?]{1,63}$/, {
      error: 'expected a database name of 1-63 characters without spaces or any of / \\ . " $ * < > : | ?',
    })
    .default("tsunagu"),
});

/** The configuration every service has after `loadConfig(baseConfigSchema)`. */
export type BaseConfig = z.output<typeof baseConfigSchema>;

const SECRET_NAME = /SECRET|PASSWORD|TOKEN|KEY|SIGNATURE/i;

/** How a bad value is quoted in an error: never the value of a secret, never URI credentials. */
function describeValue(variable: string, raw: string): string {
  if (SECRET_NAME.test(variable)) return `a value of ${raw.length} characters`;
  return JSON.stringify(maskUriCredentials(raw));
}

/**
 * Parses `env` with `schema` and returns the typed configuration.
 * Empty values count as unset, so `VAR=` in a .env file falls back to the default.
 * @throws ConfigError naming every missing or malformed variable.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Environment = process.env): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(present);
  if (result.success) return result.data;

  const lines = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const issue of result.error.issues) {
    const variable = issue.path.length > 0 ? issue.path.map(String).join(".") : "(configuration)";
    const raw = present[String(issue.path[0])];
    const problem =
      issue.path.length === 0 ? issue.message : raw === undefined ? "required but not set" : `${issue.message}, got ${describeValue(variable, raw)}`;
    const line = `${variable}: ${problem}`;
    if (lines.has(line)) continue;
    lines.add(line);
    problems.push({ variable, problem });
  }
  throw new ConfigError(problems);
}

/**
 * For entry points: a ConfigError stops the process with its one-line message on stderr and exit
 * code 1 (no stack trace); any other error is rethrown unchanged.
 */
export function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  return process.exit(1);
}

/** PUBLIC_ORIGIN: the gateway's origin as users reach it (e.g. https://tsunagu.example.jp), for links handed to them; the origin alone is kept. */
export const publicOriginSchema = z
  .url({ protocol: /^https?$/, error: "expected an http(s) origin such as https://tsunagu.example.jp" })
  .transform((url) => new URL(url).origin);

const SUBGRAPH_NAME = /^[a-z][a-z0-9_-]*$/;

/**
 * SUBGRAPH_URLS, where each subgraph is (for the gateway, and for subgraphs asking their peers):
 * `resources=http://resources:4001/graphql,groups=http://groups:4002/graphql` → `{ resources: "...", groups: "..." }`.
 */
export const subgraphUrlsSchema = z.string().transform((raw, ctx) => {
  const urls: Record<string, string> = {};
  for (const entry of raw
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")) {
    const separator = entry.indexOf("=");
    const name = entry.slice(0, separator).trim();
    const url = entry.slice(separator + 1).trim();
    if (separator < 1 || !SUBGRAPH_NAME.test(name) || !URL.canParse(url) || !/^https?:/.test(url)) {
      ctx.addIssue({ code: "custom", message: `expected name=http(s)://host:port/graphql pairs separated by commas, not "${entry}"` });
      return z.NEVER;
    }
    urls[name] = url;
  }
  return urls;
});
