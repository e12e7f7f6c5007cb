// Secrets generated into DATA_DIR on first use (mode 0600, reused after), never in production; the checks every secret passes.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../src/config";
import { GENERATED_SECRETS_FILE, requireSecret, secretProblem, withGeneratedSecrets } from "../src/secrets";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "tsunagu-secrets-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

test("the first use generates two strong, distinct secrets into DATA_DIR (0600); later uses read the same ones", () => {
  const first = withGeneratedSecrets({ DATA_DIR: dataDir });
  const path = join(dataDir, GENERATED_SECRETS_FILE);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(first.IDENTITY_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(first.JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(first.IDENTITY_SECRET).not.toBe(first.JWT_SECRET);
  expect([secretProblem(first.IDENTITY_SECRET as string), secretProblem(first.JWT_SECRET as string)]).toEqual([undefined, undefined]);
  expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ IDENTITY_SECRET: first.IDENTITY_SECRET, JWT_SECRET: first.JWT_SECRET });

  const second = withGeneratedSecrets({ DATA_DIR: dataDir, NODE_ENV: "test" });
  expect([second.IDENTITY_SECRET, second.JWT_SECRET]).toEqual([first.IDENTITY_SECRET, first.JWT_SECRET]);
});

test("a secret set in the environment wins over the generated one", () => {
  const given = "Zx8Kq2Wm5Rt9Vn3Bp7Lc1Hd4Jf6Gs0Ya";
  expect(withGeneratedSecrets({ DATA_DIR: dataDir, JWT_SECRET: given }).JWT_SECRET).toBe(given);
});

test("production neither generates nor reads secrets: a missing one is refused naming the variable", () => {
  const env = withGeneratedSecrets({ DATA_DIR: dataDir, NODE_ENV: "production" });
  expect(env.IDENTITY_SECRET).toBeUndefined();
  expect(() => statSync(join(dataDir, GENERATED_SECRETS_FILE))).toThrow();
  expect(() => requireSecret(env, "IDENTITY_SECRET")).toThrow(
    new ConfigError([{ variable: "IDENTITY_SECRET", problem: "required: set it (openssl rand -hex 32)" }]),
  );
});

test("a secrets file other users can read is refused", () => {
  withGeneratedSecrets({ DATA_DIR: dataDir });
  chmodSync(join(dataDir, GENERATED_SECRETS_FILE), 0o644);
  expect(() => withGeneratedSecrets({ DATA_DIR: dataDir })).toThrow(/DATA_DIR: .*secrets\.json is readable by other users/);
});

test.each([
  ["a".repeat(32), /too weak/],
  ["0123456789".repeat(2), /at least 32 characters/],
  ["tsunagu-development-jwt-secret-not-for-production", /published/],
])("secretProblem(%p)", (value, problem) => {
  expect(secretProblem(value)).toMatch(problem);
});
