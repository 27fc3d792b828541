import { request as httpRequest } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";

/**
 * - "pass": forwards HTTP (streaming) and WebSocket upgrades untouched.
 * - "refuse-ws": answers every `Upgrade: websocket` with 403, streams the rest (a proxy without WS support).
 * - "buffer": holds every response body until it ends, and refuses upgrades (a buffering proxy).
 * - "hang-ws": never answers an upgrade (a black hole for WebSocket); HTTP streams through.
 * - "cut-ws": lets the 101 handshake through, then cuts the socket before any message arrives.
 */
export type ProxyMode = "pass" | "refuse-ws" | "buffer" | "hang-ws" | "cut-ws";

export interface TestProxy {
  readonly url: string;
  /** Applies to requests that start after the call; open connections keep their behaviour. */
  setMode(mode: ProxyMode): void;
  /** Sends new connections to another server (a load balancer failing over); open ones stay. */
  retarget(targetUrl: string): void;
  /** Counts requests seen, by kind, so tests can tell what the client tried. */
  readonly stats: { upgrades: number; refusedUpgrades: number; requests: number };
  /** Destroys every open connection through the proxy, as a flaky network or a load balancer would. */
  dropConnections(): void;
  /** Stops moving bytes on every open connection but keeps the sockets open (a half-open path). */
  freeze(): void;
  close(): Promise<void>;
}

/** A real HTTP proxy on a loopback port in front of `targetUrl`. */
export async function startProxy(targetUrl: string, initialMode: ProxyMode): Promise<TestProxy> {
  let target = new URL(targetUrl);
  let mode = initialMode;
  const stats = { upgrades: 0, refusedUpgrades: 0, requests: 0 };
  const sockets = new Set<Socket>();
  /** Client connections open when freeze() ran: nothing is ever answered on them again. */
  const frozen = new WeakSet<Socket>();
  /** Every live pipe, so freeze() can stop them all. */
  const pipes = new Set<{ from: NodeJS.ReadableStream; to: NodeJS.WritableStream }>();
  const pipe = (from: NodeJS.ReadableStream, to: NodeJS.WritableStream) => {
    const entry = { from, to };
    pipes.add(entry);
    from.pipe(to);
    to.on("close", () => pipes.delete(entry));
  };

  const server: Server = createServer((req, res) => {
    stats.requests++;
    forward(req, res, mode === "buffer");
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    stats.upgrades++;
    if (mode === "hang-ws") {
      sockets.add(socket);
      return;
    }
    if (mode !== "pass" && mode !== "cut-ws") {
      stats.refusedUpgrades++;
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const upgradeMode = mode;
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      if (upgradeMode === "cut-ws") {
        // Forward the handshake answer only, then cut: the client sees "open" and no message.
        let seen = Buffer.alloc(0);
        upstream.on("data", (chunk: Buffer) => {
          seen = Buffer.concat([seen, chunk]);
          const end = seen.indexOf("\r\n\r\n");
          if (end === -1) return;
          socket.write(seen.subarray(0, end + 4), () => {
            socket.destroy();
            upstream.destroy();
          });
        });
        return;
      }
      pipe(upstream, socket);
      pipe(socket, upstream);
    });
    sockets.add(upstream);
    const end = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on("error", end);
    upstream.on("close", end);
    socket.on("error", end);
    socket.on("close", end);
  });

  function forward(req: IncomingMessage, res: ServerResponse, buffer: boolean): void {
    const upstream = httpRequest(
      { host: target.hostname, port: Number(target.port), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (frozen.has(req.socket)) {
          up.resume(); // swallow the answer: the client waits on a silent connection
          return;
        }
        if (buffer) {
          const chunks: Buffer[] = [];
          up.on("data", (chunk: Buffer) => chunks.push(chunk));
          up.on("end", () => {
            const body = Buffer.concat(chunks);
            const headers = { ...up.headers };
            delete headers["transfer-encoding"];
            headers["content-length"] = String(body.length);
            res.writeHead(up.statusCode ?? 502, headers);
            res.end(body);
          });
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.flushHeaders();
        pipe(up, res);
      },
    );
    upstream.on("socket", (socket) => {
      // Keep-alive sockets come back for many requests: listen once per socket.
      if (sockets.has(socket)) return;
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("upstream error");
    });
    // The client went away (e.g. closed its EventSource): drop the upstream request too.
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    retarget: (next) => {
      target = new URL(next);
    },
    setMode: (next) => {
      mode = next;
    },
    freeze: () => {
      for (const socket of sockets) frozen.add(socket);
      for (const { from, to } of pipes) {
        from.unpipe(to);
        from.pause();
      }
      pipes.clear();
    },
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
