// Describes the machine a benchmark ran on, so that figures are read with their context.
import { cpus, totalmem } from "node:os";

export function machineLine(): string {
  const cpu = cpus()[0];
  return `machine: ${cpu?.model ?? "unknown cpu"} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${process.platform}`;
}

/** Runs `task` `count` times with `concurrency` in flight; returns operations per second. */
export async function throughput(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return count / seconds;
}
