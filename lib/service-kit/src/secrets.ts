// Deployment secrets (IDENTITY_SECRET, JWT_SECRET): generated once into DATA_DIR for local runs, and refused when missing, published, weak or shared.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config";
import type { Environment } from "./config";

/** The secrets every deployment needs, as environment variable names. */
export const SECRET_VARIABLES = ["IDENTITY_SECRET", "JWT_SECRET"] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/** The file under DATA_DIR holding the generated secrets (mode 0600). */
export const GENERATED_SECRETS_FILE = "secrets.json";

/** Fewest characters and distinct characters a secret must have. */
export const MIN_SECRET_LENGTH = 32;
export const MIN_SECRET_DISTINCT_CHARACTERS = 10;

/**
 * SHA-256 digests of every secret value ever published in this repository (development defaults,
 * test fixtures): anyone can read them, so no process accepts them. Only digests are kept here.
 */
const PUBLISHED_SECRET_DIGESTS = new Set([
  "f7dfc3bc73f681323ec460bec2d550427b3a772d8a02416117f3e20a27c605c1",
  "ce40900c5be9f020cac615dca8bf34196e3b604b6580d7370e19110ee5da06c0",
  "b27a6c47b26af0ff96c8d55bc75ac4a77a3391fb2148e59ec7e9d08cf87e8460",
  "11b49510a455d59f23ae0093778d47201045b1b1e96fe3091fbfd8369b1ae841",
  "7f79eafde1c689578538ed542e2e27df1d33b6c68c41949fc83244c14aac018b",
  "cd8acfab4926b4ce77dcc0aea9e1e0845e26a7c55dc74753ea92890e5f599bb2",
  "02ab133529608891e50c8f50537f794c434ab5690e372e8fd5a3ea320d180298",
  "504193dbff44a7d9e2c79dfd6716864ea64b115340e3a5f80a24037aad5b65ee",
]);

/** A new secret: 32 random bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Why `value` may not be used as a secret, or undefined when it may. */
export function secretProblem(value: string): string | undefined {
  if (PUBLISHED_SECRET_DIGESTS.has(createHash("sha256").update(value, "utf8").digest("hex"))) {
    return "is a value published in Tsunagu's source; generate your own (openssl rand -hex 32)";
  }
  if (value.length < MIN_SECRET_LENGTH) return `expected at least ${MIN_SECRET_LENGTH} characters, got ${value.length}`;
  if (new Set(value).size < MIN_SECRET_DISTINCT_CHARACTERS) {
    return `is too weak (fewer than ${MIN_SECRET_DISTINCT_CHARACTERS} distinct characters); generate one with openssl rand -hex 32`;
  }
  return undefined;
}

/**
 * The secret in `config[variable]`, checked.
 * @throws ConfigError naming the variable when it is missing, published or weak.
 */
export function requireSecret(config: Partial<Record<string, unknown>>, variable: SecretVariable): string {
  const value = config[variable];
  if (typeof value !== "string" || value === "") {
    const hint = config.NODE_ENV === "production" ? "set it (openssl rand -hex 32)" : "set it, or let `npm start` generate it into DATA_DIR";
    throw new ConfigError([{ variable, problem: `required: ${hint}` }]);
  }
  const problem = secretProblem(value);
  if (problem !== undefined) throw new ConfigError([{ variable, problem }]);
  return value;
}

/** @throws ConfigError naming JWT_SECRET when it equals IDENTITY_SECRET (one leak must not give both powers). */
export function requireDistinctSecrets(identitySecret: string, jwtSecret: string): void {
  if (identitySecret === jwtSecret) {
    throw new ConfigError([{ variable: "JWT_SECRET", problem: "must differ from IDENTITY_SECRET" }]);
  }
}

/** Reads the generated secrets file, refusing one that others could read. */
function readGeneratedSecrets(path: string): Partial<Record<SecretVariable, string>> {
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new ConfigError([{ variable: "DATA_DIR", problem: `${path} is readable by other users; run chmod 600 on it` }]);
  }
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  const secrets: Partial<Record<SecretVariable, string>> = {};
  for (const variable of SECRET_VARIABLES) {
    const value = (parsed as Record<string, unknown>)[variable];
    if (typeof value === "string") secrets[variable] = value;
  }
  return secrets;
}

/** Creates the secrets file with fresh secrets, only if it does not exist yet (mode 0600 from the start). */
function writeGeneratedSecrets(dataDir: string, path: string): void {
  mkdirSync(dataDir, { recursive: true });
  const secrets = Object.fromEntries(SECRET_VARIABLES.map((variable) => [variable, generateSecret()]));
  try {
    writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { flag: "wx", mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/**
 * `env` with IDENTITY_SECRET and JWT_SECRET filled in from `DATA_DIR/secrets.json` where unset; outside
 * production the file is created with fresh random secrets (mode 0600) on first use. With NODE_ENV=production
 * nothing is generated or read: a deployment sets its own secrets.
 */
export function withGeneratedSecrets(env: Environment = process.env): Environment {
  if (env.NODE_ENV === "production") return env;
  if (SECRET_VARIABLES.every((variable) => (env[variable] ?? "") !== "")) return env;
  const dataDir = env.DATA_DIR !== undefined && env.DATA_DIR !== "" ? env.DATA_DIR : "./data";
  const path = join(dataDir, GENERATED_SECRETS_FILE);
  writeGeneratedSecrets(dataDir, path);
  const generated = readGeneratedSecrets(path);
  const filled: Record<string, string | undefined> = { ...env };
  for (const variable of SECRET_VARIABLES) {
    if ((env[variable] ?? "") === "") filled[variable] = generated[variable];
  }
  return filled;
}
