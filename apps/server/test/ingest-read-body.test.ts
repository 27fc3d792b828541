import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BodyTooLargeError, HttpError, readBody } from "../src/ingest/read-body";
import { sendJsonError } from "../src/transport/http-errors";

const MAX_BYTES = 1024;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let port: number;
const serverErrors: unknown[] = [];
let requestsStarted = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/retry") {
      sendJsonError(res, 429, "slow down", { code: "TOO_MANY_REQUESTS" }, 1500);
      return;
    }
    requestsStarted += 1;
    readBody(req, MAX_BYTES).then(
      (body) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ body }));
      },
      (error: unknown) => {
        serverErrors.push(error);
        if (error instanceof HttpError) sendJsonError(res, error.status, error.message, error.extra);
        else sendJsonError(res, 500, "unexpected");
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends a request; `write` decides what goes in the body and whether it ends. */
function send(headers: Record<string, string>, write: (req: ReturnType<typeof request>) => void, path = "/"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    // The server may close while we are still writing (that is the point of a 413); ignore EPIPE/ECONNRESET.
    req.on("error", () => undefined);
    write(req);
  });
}

describe("readBody", () => {
  it("reads a UTF-8 body split across chunks", async () => {
    const text = "héllo ✓ wörld";
    const bytes = Buffer.from(text, "utf8");
    const answer = await send({ "content-type": "text/plain" }, (req) => {
      // Split inside the multi-byte ✓ so decoding must happen after concatenation.
      req.write(bytes.subarray(0, 9));
      req.end(bytes.subarray(9));
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ body: text });
  });

  it("accepts a body of exactly maxBytes", async () => {
    const answer = await send({}, (req) => req.end("x".repeat(MAX_BYTES)));
    expect(answer.status).toBe(200);
  });

  it("refuses a Content-Length over the limit before reading any of it", async () => {
    // Only the headers are sent; the answer must come without the body ever arriving.
    const answer = await send({ "content-length": String(MAX_BYTES * 100) }, (req) => req.flushHeaders());
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe("close");
    expect(JSON.parse(answer.body)).toEqual({
      error: { maxBytes: MAX_BYTES, message: `request body is ${MAX_BYTES * 100} bytes (limit ${MAX_BYTES} bytes, LIVEDASH_MAX_BODY_BYTES)` },
    });
  });

  it("stops at the first chunk past the limit on a chunked body that never ends", async () => {
    const answer = await send({ "transfer-encoding": "chunked" }, (req) => {
      req.write("x".repeat(MAX_BYTES / 2));
      req.write("x".repeat(MAX_BYTES)); // passes the limit; the request is never ended
    });
    expect(answer.status).toBe(413);
    expect(serverErrors.at(-1)).toBeInstanceOf(BodyTooLargeError);
    expect(JSON.parse(answer.body).error.message).toBe(`request body is larger than allowed (limit ${MAX_BYTES} bytes, LIVEDASH_MAX_BODY_BYTES)`);
  });

  it("closes the connection after a 413 instead of draining an endless upload", async () => {
    const closed = new Promise<void>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", headers: { "transfer-encoding": "chunked" }, agent: false });
      req.on("error", () => undefined);
      req.on("response", (res) => {
        expect(res.statusCode).toBe(413);
        expect(res.headers.connection).toBe("close");
        res.resume();
      });
      req.on("socket", (socket) => socket.on("close", () => resolve()));
      req.on("timeout", () => reject(new Error("socket stayed open")));
      req.setTimeout(5000);
      req.write("x".repeat(MAX_BYTES * 2)); // over the limit, and the request is never ended
    });
    await closed;
  });

  it("decompresses gzip and applies the limit to the decompressed size (zip bomb)", async () => {
    const ok = await send({ "content-encoding": "gzip" }, (req) => req.end(gzipSync("m v=1\n")));
    expect(JSON.parse(ok.body)).toEqual({ body: "m v=1\n" });

    const bomb = gzipSync(Buffer.alloc(MAX_BYTES * 200));
    expect(bomb.length).toBeLessThan(MAX_BYTES);
    const answer = await send({ "content-encoding": "gzip" }, (req) => req.end(bomb));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.message).toMatch(/decompresses to more than allowed/);
  });

  it("answers corrupt gzip with 400 and an unknown encoding with 415", async () => {
    const corrupt = await send({ "content-encoding": "gzip" }, (req) => req.end("not gzip at all"));
    expect(corrupt.status).toBe(400);
    expect(JSON.parse(corrupt.body).error.message).toMatch(/^request body is not valid gzip/);

    const unknown = await send({ "content-encoding": "zstd" }, (req) => req.end("x"));
    expect(unknown.status).toBe(415);
    expect(JSON.parse(unknown.body).error).toEqual({
      field: "content-encoding",
      message: "Content-Encoding 'zstd' is not supported (use gzip, deflate, br or identity)",
    });
  });

  it("rejects with 400 when the client aborts mid-body", async () => {
    const before = serverErrors.length;
    const startedBefore = requestsStarted;
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", headers: { "content-length": "500" }, agent: false });
    req.on("error", () => undefined);
    req.write("x".repeat(100));
    // Abort only once the server is reading this request, so the abort happens mid-body.
    await vi.waitFor(() => expect(requestsStarted).toBe(startedBefore + 1), { timeout: 5000 });
    req.destroy();
    await vi.waitFor(() => expect(serverErrors.length).toBe(before + 1), { timeout: 5000 });
    const error = serverErrors.at(-1) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/not completely received|could not be read/);
  });
});

describe("sendJsonError", () => {
  it("writes the error object and Retry-After in whole seconds", async () => {
    const answer = await send({}, (req) => req.end(), "/retry");
    expect(answer.status).toBe(429);
    expect(answer.headers["retry-after"]).toBe("2");
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.body)).toEqual({ error: { code: "TOO_MANY_REQUESTS", message: "slow down", retryAfterMs: 1500 } });
  });
});
