// Tests for logger.ts: the written JSON lines, readable lines in development, secret redaction, request ids, default levels, URI masking.
import { Writable } from "node:stream";
import { REDACTED, createLogger, logFormatOf, maskUriCredentials } from "../src/logger";
import type { LogLevel } from "../src/logger";

/** A logger writing into an array of raw lines. */
function capture(level: LogLevel | undefined) {
  const lines: string[] = [];
  const logger = createLogger({ name: "test-service", level, destination: { write: (line: string) => lines.push(line) } });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("createLogger", () => {
  it("writes one JSON line with name, level label, ISO time and message", () => {
    const { logger, records } = capture("info");
    logger.info({ facility: "北見訪問看護ステーション" }, "resource created");
    const [record] = records();
    expect(record).toMatchObject({
      name: "test-service",
      level: "info",
      facility: "北見訪問看護ステーション",
      msg: "resource created",
    });
    expect(new Date(String(record?.time)).toISOString()).toBe(record?.time);
  });

  it("removes secrets from the written line at every nesting level", () => {
    const { logger, lines, records } = capture("trace");
    logger.info(
      {
        req: {
          method: "POST",
          headers: {
            authorization: "Bearer eyJhbGciOi.secret-jwt",
            cookie: "session=cookie-secret",
            "x-api-key": "vendor-key-secret",
            "content-type": "application/json",
          },
        },
        token: "top-token-secret",
        user: { id: "u1", password: "password-secret", profile: { apiKey: "apikey-secret" } },
        identity: { payload: "EMS", signature: "hmac-signature-secret" },
        vendor: { credentials: { oauth: { secret: "deep-secret" } } },
      },
      "request received",
    );
    const raw = lines.join("");
    for (const secret of [
      "secret-jwt",
      "cookie-secret",
      "vendor-key-secret",
      "top-token-secret",
      "password-secret",
      "apikey-secret",
      "hmac-signature-secret",
      "deep-secret",
    ]) {
      expect(raw).not.toContain(secret);
    }
    expect(records()[0]).toMatchObject({
      req: {
        method: "POST",
        headers: { authorization: REDACTED, cookie: REDACTED, "x-api-key": REDACTED, "content-type": "application/json" },
      },
      token: REDACTED,
      user: { id: "u1", password: REDACTED, profile: { apiKey: REDACTED } },
      identity: { payload: "EMS", signature: REDACTED },
      vendor: { credentials: { oauth: { secret: REDACTED } } },
    });
  });

  it("carries the request id on every line of a child logger and still redacts there", () => {
    const { logger, records } = capture("trace");
    const requestLogger = logger.child({ requestId: "req-42" });
    requestLogger.info({ token: "child-token" }, "first");
    requestLogger.warn("second");
    logger.info("outside the request");
    expect(records().map((r) => [r.msg, r.requestId, r.token])).toEqual([
      ["first", "req-42", REDACTED],
      ["second", "req-42", undefined],
      ["outside the request", undefined, undefined],
    ]);
  });

  it("writes nothing below the configured level", () => {
    const { logger, records } = capture("warn");
    logger.info("hidden");
    logger.warn("shown");
    expect(records().map((r) => r.msg)).toEqual(["shown"]);
  });

  it.each([
    ["test", 0],
    ["production", 1],
  ])("without a level, under NODE_ENV=%s, writes %i line(s) for an info event", (nodeEnv, count) => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = nodeEnv;
    try {
      const { logger, lines } = capture(undefined);
      logger.info("hello");
      logger.debug("never at the default level");
      expect(lines).toHaveLength(count);
    } finally {
      process.env.NODE_ENV = saved;
    }
  });
});

describe("pretty format", () => {
  it("writes a readable line (level, name, message, fields), secrets still redacted", async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString("utf8"));
        done();
      },
    });
    const logger = createLogger({ name: "gateway", level: "info", format: "pretty", destination });
    logger.warn({ bucket: "ip:127.0.0.1", token: "secret-token" }, "rate limited");
    const text = chunks.join("");
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN \(gateway\): rate limited\n/);
    expect(text).toContain('bucket: "ip:127.0.0.1"');
    expect(text).not.toContain("secret-token");
    expect(() => JSON.parse(text)).toThrow();
  });

  it.each([
    [{ NODE_ENV: "development" as const }, "pretty"],
    [{ NODE_ENV: "test" as const }, "json"],
    [{ NODE_ENV: "production" as const }, "json"],
    [{ NODE_ENV: "development" as const, LOG_FORMAT: "json" as const }, "json"],
    [{ NODE_ENV: "production" as const, LOG_FORMAT: "pretty" as const }, "pretty"],
  ])("a process under %j logs %s", (config, format) => {
    expect(logFormatOf(config)).toBe(format);
  });
});

describe("maskUriCredentials", () => {
  it.each([
    ["mongodb://admin:s3cret@db.example.jp:27017/tsunagu", "mongodb://***@db.example.jp:27017/tsunagu"],
    ["mongodb+srv://user:p@ss@cluster0.example.net/?retryWrites=true", "mongodb+srv://***@cluster0.example.net/?retryWrites=true"],
    ["mongodb://reader@h1:27017,h2:27017/db?replicaSet=rs0", "mongodb://***@h1:27017,h2:27017/db?replicaSet=rs0"],
    ["mongodb://127.0.0.1:27017/tsunagu", "mongodb://127.0.0.1:27017/tsunagu"],
    ["redis://:redispass@cache:6379", "redis://***@cache:6379"],
  ])("%s → %s", (uri, masked) => {
    expect(maskUriCredentials(uri)).toBe(masked);
  });
});
