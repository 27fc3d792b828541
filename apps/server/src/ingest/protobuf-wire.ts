import type protobuf from "protobufjs/minimal.js";

/*
 * Wire-level helpers for the decoders written against protobufjs' Reader (remote_write, OTLP): they
 * read protobuf in place, with no object per message or per 64-bit value.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** Thrown for bytes that are not the expected message; the receivers answer 400. */
export class MalformedProtobuf extends Error {}

/**
 * Whether `error` says the bytes are not protobuf: ours, protobufjs' RangeError past its buffer, or its
 * plain Errors for a varint over 5 bytes (`invalid varint encoding`) and a bad wire type in skipType.
 */
export function isWireError(error: unknown): error is Error {
  return error instanceof MalformedProtobuf || error instanceof RangeError || (error instanceof Error && /^invalid (varint encoding|wire type)/.test(error.message));
}

/**
 * uint64 as a number, without protobufjs' Long: exact below 2^53, the nearest double above (a count of
 * 2^63 stays 2^63, never the negative an int64 read of the same 10 bytes gives). As protobufjs does,
 * the 10th byte gives bit 63 alone.
 */
export function readUint64(r: protobuf.Reader): number {
  const { buf, len } = r;
  let pos = r.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= len) throw new MalformedProtobuf("varint runs past the end of the message");
    const byte = buf[pos++]!;
    value += (i === 9 ? byte & 1 : byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) {
      r.pos = pos;
      return value;
    }
  }
  throw new MalformedProtobuf("varint longer than 10 bytes");
}

const TWO_POW_63 = 2 ** 63;

/** int64 as a number, without the Long object protobufjs' int64() allocates. Exact for |v| < 2^53. */
export function readInt64(r: protobuf.Reader): number {
  const start = r.pos;
  const unsigned = readUint64(r);
  if (unsigned < TWO_POW_63) return unsigned;
  // A negative int64 is a 10-byte two's complement varint: rare (and refused), so exact via BigInt.
  let big = 0n;
  for (let j = r.pos - 1; j >= start; j--) big = (big << 7n) | BigInt(r.buf[j]! & 0x7f);
  return Number(BigInt.asIntN(64, big));
}

/** The end offset of a length-delimited field that starts at r.pos, checked against its parent. */
export function subEnd(r: protobuf.Reader, parentEnd: number): number {
  const length = r.uint32();
  const end = r.pos + length;
  if (end > parentEnd) throw new MalformedProtobuf("a field runs past the end of its message");
  return end;
}

/** Skips an unknown field (proto3 forward compatibility); groups and unknown wire types are malformed. */
export function skip(r: protobuf.Reader, tag: number, end: number): void {
  const wire = tag & 7;
  if (wire === WIRE_LEN) r.pos = subEnd(r, end);
  else if (wire === WIRE_VARINT || wire === WIRE_FIXED64 || wire === WIRE_FIXED32) r.skipType(wire);
  else throw new MalformedProtobuf(`wire type ${wire} at offset ${r.pos}`);
}
