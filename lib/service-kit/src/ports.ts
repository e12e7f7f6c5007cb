// A loopback port that was free a moment ago, for a process that must be told its port before it starts (a lost race shows as EADDRINUSE).
import { once } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

/** A port on 127.0.0.1 that nothing listened on when asked. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
