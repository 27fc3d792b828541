import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A port that was free on 127.0.0.1 a moment ago. For a child process that must be told its port up
 * front (or restarted on the same one); an in-process server listens on port 0 instead.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
