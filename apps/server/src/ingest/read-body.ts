import type { IncomingMessage } from "node:http";
import type { Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";

/** An error with the HTTP status it should be answered with; `extra` goes into the JSON error object. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** The body (raw or decompressed) passed the byte limit. Answer it with status 413 and `Connection: close`. */
export class BodyTooLargeError extends HttpError {
  constructor(readonly maxBytes: number, detail: string) {
    super(413, `request body ${detail} (limit ${maxBytes} bytes, LIVEDASH_MAX_BODY_BYTES)`, { maxBytes });
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a request body as UTF-8 text, refusing more than `maxBytes`:
 * - a Content-Length over the limit is refused before a byte is read;
 * - otherwise reading stops at the first chunk that passes the limit, so a client that lies about
 *   (or omits) the length cannot make the server buffer more than maxBytes + one chunk;
 * - `Content-Encoding: gzip | deflate | br` bodies (Telegraf can send gzip) are decompressed and the
 *   limit applies to the decompressed size too, so a zip bomb stops at maxBytes.
 * Rejects with HttpError (400 aborted/corrupt, 413 too large, 415 unknown encoding).
 *
 * After a 413 the rest of the body is unread: answer with `Connection: close` (sendJsonError does)
 * so Node closes the socket instead of draining an arbitrarily large upload.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return (await readBodyBytes(req, maxBytes)).toString("utf8");
}

/**
 * readBody's bytes. `decodeContent: false` leaves Content-Encoding to the caller (remote_write's
 * `snappy` is a block format no stream decoder here knows); the byte limit then bounds the raw body.
 */
export function readBodyBytes(req: IncomingMessage, maxBytes: number, options: { decodeContent?: boolean } = {}): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new BodyTooLargeError(maxBytes, `is ${declared} bytes`));
      return;
    }
    const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
    let decoder: Transform | null;
    try {
      decoder = options.decodeContent === false ? null : createDecoder(encoding);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }

    const chunks: Buffer[] = [];
    let rawBytes = 0;
    let decodedBytes = 0;
    let settled = false;
    const source = decoder ?? req;

    // The 'error' listeners stay attached after settling (finish() ignores late calls): an
    // 'error' emitted with no listener would crash the process.
    const cleanup = () => {
      req.off("data", onRawData);
      req.off("end", onRawEnd);
      req.off("close", onClose);
      source.off("data", onDecodedData);
      source.off("end", onEnd);
      if (decoder) {
        req.unpipe(decoder);
        decoder.destroy();
      }
    };
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (error) {
        // Stop pulling bytes off the socket; the caller answers and closes.
        req.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, decodedBytes));
      }
    };
    function onRawData(chunk: Buffer) {
      rawBytes += chunk.length;
      if (rawBytes > maxBytes) finish(new BodyTooLargeError(maxBytes, "is larger than allowed"));
    }
    function onDecodedData(chunk: Buffer) {
      if (settled) return;
      decodedBytes += chunk.length;
      if (decodedBytes > maxBytes) {
        finish(new BodyTooLargeError(maxBytes, decoder ? `decompresses to more than allowed` : "is larger than allowed"));
        return;
      }
      chunks.push(chunk);
    }
    function onEnd() {
      finish(null);
    }
    function onRawEnd() {
      // With a decoder, the body is complete only when the decoder ends; nothing to do here.
    }
    function onError(error: Error) {
      finish(new HttpError(400, `request body could not be read (${error.message})`));
    }
    function onDecodeError(error: Error) {
      finish(new HttpError(400, `request body is not valid ${encoding} (${error.message})`));
    }
    function onClose() {
      // 'close' before the body ended: the client went away mid-upload.
      if (!req.complete) finish(new HttpError(400, "request body was not completely received (client aborted)"));
    }

    req.on("data", onRawData);
    req.on("end", onRawEnd);
    req.on("error", onError);
    req.on("close", onClose);
    if (decoder) {
      decoder.on("error", onDecodeError);
      req.pipe(decoder);
    }
    source.on("data", onDecodedData);
    source.on("end", onEnd);
  });
}

function createDecoder(encoding: string): Transform | null {
  switch (encoding) {
    case "":
    case "identity":
      return null;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      throw new HttpError(415, `Content-Encoding '${encoding}' is not supported (use gzip, deflate, br or identity)`, {
        field: "content-encoding",
      });
  }
}
