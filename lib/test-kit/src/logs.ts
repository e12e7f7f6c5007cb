// Loggers for tests: one that writes nothing, and one that keeps every line so a test can read what reached the logs.
import { Writable } from "node:stream";
import { createLogger } from "@tsunagu/service-kit";
import type { Logger } from "@tsunagu/service-kit";

export const silentLogger: Logger = createLogger({ name: "test", level: "silent" });

/** A logger at level debug pushing each JSON line it writes onto `lines`. */
export function capturingLogger(name: string, lines: string[]): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((line) => line !== ""),
      );
      done();
    },
  });
  return createLogger({ name, level: "debug", destination });
}
