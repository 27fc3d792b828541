import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startPeer } from "@livedash/test-support";
import type { PeerProcess } from "@livedash/test-support";

export interface PrometheusPeer extends PeerProcess {
  /** `127.0.0.1:<port>`, its own scrape target's `instance`. */
  readonly address: string;
  readonly url: string;
}

/**
 * Debian's `prometheus` in the foreground on a free loopback port: it scrapes itself every second
 * and, with `remoteWriteUrl`, remote-writes to it with the given bearer token (as a user's
 * prometheus.yml would, docs/ingest.md). TSDB in a temp dir removed at stop().
 */
export async function startPrometheus(options: { remoteWriteUrl?: string; bearerToken?: string } = {}): Promise<PrometheusPeer> {
  const dir = await mkdtemp(join(tmpdir(), "livedash-prometheus-"));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const remoteWrite = options.remoteWriteUrl
    ? [
        "remote_write:",
        `  - url: ${JSON.stringify(options.remoteWriteUrl)}`,
        ...(options.bearerToken ? ["    authorization:", `      credentials: ${JSON.stringify(options.bearerToken)}`] : []),
        // Send within a fraction of a second instead of the default 5 s batching deadline.
        "    queue_config:",
        "      batch_send_deadline: 200ms",
        "      min_backoff: 100ms",
        // Metadata (TYPE/HELP/UNIT) every second instead of every minute.
        "    metadata_config:",
        "      send_interval: 1s",
      ]
    : [];
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    "scrape_configs:",
    "  - job_name: prometheus",
    "    static_configs:",
    `      - targets: [${JSON.stringify(address)}]`,
    ...remoteWrite,
    "",
  ].join("\n");
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, config);
  const peer = await startPeer({
    command: "prometheus",
    aptPackage: "prometheus",
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${address}`,
      "--log.level=warn",
    ],
    readyUrl: `http://${address}/-/ready`,
    cwd: dir,
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    ...peer,
    address,
    url: `http://${address}`,
    async stop() {
      await peer.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's `prometheus-node-exporter` on a free loopback port. */
export async function startNodeExporter(): Promise<PeerProcess & { address: string; url: string }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const peer = await startPeer({
    command: "prometheus-node-exporter",
    aptPackage: "prometheus-node-exporter",
    args: [`--web.listen-address=${address}`, "--log.level=warn"],
    readyUrl: `http://${address}/metrics`,
  });
  return { ...peer, address, url: `http://${address}` };
}
