import type protobuf from "protobufjs/minimal.js";
import { MalformedProtobuf, WIRE_LEN, skip, subEnd } from "../protobuf-wire";

/* Reading helpers of the Reader-based OTLP decoder (decode-reader.ts). */

export type Reader = protobuf.Reader;

const TWO_POW_32 = 4294967296;

export function fixed64(r: Reader): number {
  const pos = r.pos;
  if (pos + 8 > r.len) throw new MalformedProtobuf("fixed64 runs past the end of the message");
  r.pos = pos + 8;
  const b = r.buf;
  const lo = (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0;
  const hi = (b[pos + 4]! | (b[pos + 5]! << 8) | (b[pos + 6]! << 16) | (b[pos + 7]! << 24)) >>> 0;
  return hi * TWO_POW_32 + lo;
}

export function sfixed64(r: Reader): number {
  const pos = r.pos;
  if (pos + 8 > r.len) throw new MalformedProtobuf("sfixed64 runs past the end of the message");
  r.pos = pos + 8;
  const b = r.buf;
  const lo = (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16) | (b[pos + 3]! << 24)) >>> 0;
  const hi = b[pos + 4]! | (b[pos + 5]! << 8) | (b[pos + 6]! << 16) | (b[pos + 7]! << 24);
  return hi * TWO_POW_32 + lo;
}

export function double(r: Reader): number {
  if (r.pos + 8 > r.len) throw new MalformedProtobuf("double runs past the end of the message");
  return r.double();
}

/** UTF-8 text as the generated decoder reads it from a Buffer (malformed bytes become U+FFFD). */
export function string(r: Reader, end: number): string {
  const stop = subEnd(r, end);
  const value = stop === r.pos ? "" : (r.buf as Buffer).toString("utf8", r.pos, stop);
  r.pos = stop;
  return value;
}

/** A field of a known number must have its wire type (what the generated code reads it as). */
export function wireIs(tag: number, wire: number): void {
  if ((tag & 7) !== wire) throw new MalformedProtobuf(`field ${tag >>> 3} has wire type ${tag & 7}, expected ${wire}`);
}

/** A repeated scalar: packed (one length-delimited run) or one value per tag, as proto3 allows both. */
export function repeated(r: Reader, tag: number, end: number, scalarWire: number, read: (r: Reader) => number, out: number[]): void {
  if ((tag & 7) === WIRE_LEN) {
    const stop = subEnd(r, end);
    while (r.pos < stop) out.push(read(r));
    if (r.pos !== stop) throw new MalformedProtobuf("a packed field runs past its end");
    return;
  }
  wireIs(tag, scalarWire);
  out.push(read(r));
}

/** Walks a message to its end: each field through `field`, unknown ones skipped. */
export function message(r: Reader, end: number, field: (tag: number, end: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (!field(tag, end)) skip(r, tag, end);
  }
  if (r.pos !== end) throw new MalformedProtobuf("a field runs past the end of its message");
}
