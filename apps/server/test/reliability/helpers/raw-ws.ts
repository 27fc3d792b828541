import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import type { Socket } from "node:net";

/**
 * A WebSocket client by hand, over a plain TCP socket: for peers the `ws` library refuses to be
 * (one that never reads nor pongs, one that sends malformed frames or lies about a frame's length).
 */

export interface RawPeer {
  readonly socket: Socket;
  /** Bytes that arrived after the 101 response (the start of the server's first frames, if any). */
  readonly rest: Buffer;
}

/** Opens a TCP connection and performs the upgrade; resolves once the server answered 101. */
export function rawUpgrade(baseUrl: string, path = "/trpc", timeoutMs = 10_000): Promise<RawPeer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no 101 within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once("error", fail);
    socket.once("connect", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.off("error", fail);
      clearTimeout(timer);
      const status = head.subarray(0, head.indexOf("\r\n")).toString();
      if (!status.startsWith("HTTP/1.1 101")) {
        socket.destroy();
        return reject(new Error(`upgrade refused: ${status}`));
      }
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on("data", onData);
  });
}

export interface FrameSpec {
  opcode: number;
  payload: Buffer;
  /** @default true */
  fin?: boolean;
  /** RSV1..3 bits (0..7); anything but 0 is a protocol error without an extension. @default 0 */
  rsv?: number;
  /** Clients must mask (RFC 6455 §5.3); false sends an illegal unmasked frame. @default true */
  mask?: boolean;
  /** Length written in the header when it should lie about the payload that follows. */
  declaredLength?: number;
}

/** Encodes one client-to-server frame (RFC 6455 §5.2). */
export function clientFrame(spec: FrameSpec): Buffer {
  const { opcode, payload } = spec;
  const mask = spec.mask ?? true;
  const length = spec.declaredLength ?? payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (opcode & 0x0f);
  header[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) {
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (!mask) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  key.copy(header, 2 + lengthBytes);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([header, masked]);
}

export const textFrame = (text: string) => clientFrame({ opcode: 1, payload: Buffer.from(text) });

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/**
 * Splits the server's byte stream into frames (server frames are never masked). Feed it every chunk;
 * it calls back once per complete frame.
 */
export function serverFrameReader(onFrame: (frame: ServerFrame) => void) {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    // Bounded by the bytes received: every pass consumes one whole frame or stops.
    for (;;) {
      if (buffered.length < 2) return;
      let length = buffered[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = buffered.readUInt32BE(2) * 2 ** 32 + buffered.readUInt32BE(6);
        offset = 10;
      }
      if (buffered.length < offset + length) return;
      onFrame({ opcode: buffered[0]! & 0x0f, payload: buffered.subarray(offset, offset + length) });
      buffered = buffered.subarray(offset + length);
    }
  };
}

/** The status code of a close frame's payload (1005 when the payload carries none). */
export const closeCodeOf = (payload: Buffer) => (payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
