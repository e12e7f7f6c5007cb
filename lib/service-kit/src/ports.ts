// Loopback ports that were free a moment ago, for processes that must be told their ports before they start (a lost race shows as EADDRINUSE).
import { once } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";

/**
 * `count` different ports on 127.0.0.1 that nothing listened on when asked, none of them in `taken`. Every probe stays
 * open until all are chosen, so the system never hands out one port twice: under node:cluster two parts given the
 * same port would share one listening handle and answer each other's requests instead of failing.
 */
export async function freeLoopbackPorts(count: number, taken: ReadonlySet<number> = new Set()): Promise<number[]> {
  const probes: Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const probe = createServer();
      probe.listen(0, "127.0.0.1");
      await once(probe, "listening");
      probes.push(probe);
      const { port } = probe.address() as AddressInfo;
      if (!taken.has(port)) ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(
      probes.map(async (probe) => {
        probe.close();
        await once(probe, "close");
      }),
    );
  }
}
