// freeLoopbackPorts: as many different free loopback ports as asked, none already taken, each free to listen on afterwards.
import { once } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { freeLoopbackPorts } from "../src/ports";

test("asked for many at once, every port differs, none is in `taken`, and each can be listened on", async () => {
  const holder = createServer();
  holder.listen(0, "127.0.0.1");
  await once(holder, "listening");
  const held = (holder.address() as AddressInfo).port;
  try {
    // Ports asked one by one after each probe closes repeat now and then; all held open until chosen, they never do.
    for (let round = 0; round < 50; round += 1) {
      const ports = await freeLoopbackPorts(12, new Set([held]));
      expect(ports).toHaveLength(12);
      expect(new Set(ports).size).toBe(12);
      expect(ports).not.toContain(held);
    }
    const [port] = await freeLoopbackPorts(1);
    const server = createServer();
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    server.close();
    await once(server, "close");
  } finally {
    holder.close();
    await once(holder, "close");
  }
});
