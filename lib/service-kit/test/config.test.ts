// Tests for config.ts: defaults, typed parsing, and errors that name each bad variable.
import { z } from "zod";
import { ConfigError, baseConfigSchema, envInteger, exitOnConfigError, loadConfig } from "../src/config";

const serviceSchema = baseConfigSchema.extend({
  PORT: envInteger({ min: 1, max: 65535 }).default(4001),
  IDENTITY_SECRET: z.string().min(32, { error: "expected at least 32 characters" }),
});

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("applies the defaults of the base schema", () => {
    expect(loadConfig(baseConfigSchema, {})).toEqual({
      NODE_ENV: "development",
      DATA_DIR: "./data",
      MONGODB_DB: "tsunagu",
    });
  });

  it("parses given values into typed fields and ignores unrelated variables", () => {
    const config = loadConfig(serviceSchema, {
      NODE_ENV: "production",
      LOG_LEVEL: "debug",
      MONGODB_URI: "mongodb+srv://cluster0.example.net",
      DATA_DIR: "/var/lib/tsunagu",
      MONGODB_DB: "kitami",
      PORT: " 8080 ",
      IDENTITY_SECRET: "x".repeat(32),
      PATH: "/usr/bin",
    });
    expect(config).toEqual({
      NODE_ENV: "production",
      LOG_LEVEL: "debug",
      MONGODB_URI: "mongodb+srv://cluster0.example.net",
      DATA_DIR: "/var/lib/tsunagu",
      MONGODB_DB: "kitami",
      PORT: 8080,
      IDENTITY_SECRET: "x".repeat(32),
    });
  });

  it("treats an empty value as unset so the default applies", () => {
    const config = loadConfig(serviceSchema, { PORT: "", MONGODB_URI: "", IDENTITY_SECRET: "s".repeat(40) });
    expect(config.PORT).toBe(4001);
    expect(config.MONGODB_URI).toBeUndefined();
  });

  it("names the variable, the expectation and the value it got", () => {
    const error = configError(() => loadConfig(serviceSchema, { PORT: "abc", IDENTITY_SECRET: "s".repeat(40) }));
    expect(error.message).toBe('Invalid configuration: PORT: expected an integer between 1 and 65535, got "abc"');
    expect(error.problems).toEqual([{ variable: "PORT", problem: 'expected an integer between 1 and 65535, got "abc"' }]);
  });

  it.each(["0", "65536", "80.5", "1e3", "-1"])("rejects PORT=%s", (port) => {
    const error = configError(() => loadConfig(serviceSchema, { PORT: port, IDENTITY_SECRET: "s".repeat(40) }));
    expect(error.problems.map((p) => p.variable)).toEqual(["PORT"]);
  });

  it("reports every bad variable at once, including missing required ones", () => {
    const error = configError(() =>
      loadConfig(serviceSchema, {
        NODE_ENV: "prod",
        LOG_LEVEL: "verbose",
        MONGODB_URI: "localhost:27017",
        MONGODB_DB: "my.db",
      }),
    );
    expect(error.problems).toEqual([
      { variable: "NODE_ENV", problem: 'expected one of development, test, production, got "prod"' },
      { variable: "LOG_LEVEL", problem: 'expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"' },
      { variable: "MONGODB_URI", problem: 'expected a mongodb:// or mongodb+srv:// URI, got "localhost:27017"' },
      {
        variable: "MONGODB_DB",
        problem: 'expected a database name of 1-63 characters without spaces or any of / \\ . " $ * < > : | ?, got "my.db"',
      },
      { variable: "IDENTITY_SECRET", problem: "required but not set" },
    ]);
  });

  it("never repeats a secret's value or a URI's credentials in the message", () => {
    const error = configError(() => loadConfig(serviceSchema, { IDENTITY_SECRET: "too-short-secret", MONGODB_URI: "postgres://admin:hunter2@db:5432" }));
    expect(error.message).toContain("IDENTITY_SECRET: expected at least 32 characters, got a value of 16 characters");
    expect(error.message).toContain('MONGODB_URI: expected a mongodb:// or mongodb+srv:// URI, got "postgres://***@db:5432"');
    expect(error.message).not.toContain("too-short-secret");
    expect(error.message).not.toContain("hunter2");
  });
});

describe("exitOnConfigError", () => {
  it("prints the one-line message and exits with code 1", () => {
    const writes: string[] = [];
    const write = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const exit = jest.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    try {
      const error = configError(() => loadConfig(serviceSchema, { PORT: "abc", IDENTITY_SECRET: "s".repeat(40) }));
      expect(() => exitOnConfigError(error)).toThrow("exit 1");
      expect(writes).toEqual(['Invalid configuration: PORT: expected an integer between 1 and 65535, got "abc"\n']);
    } finally {
      write.mockRestore();
      exit.mockRestore();
    }
  });

  it("rethrows anything that is not a ConfigError", () => {
    const bug = new TypeError("not a config problem");
    expect(() => exitOnConfigError(bug)).toThrow(bug);
  });
});
