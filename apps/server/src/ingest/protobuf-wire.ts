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

/** int64 as a number, without the Long object protobufjs' int64() allocates. Exact for |v| < 2^53. */
export function readInt64(r: protobuf.Reader): number {
  const { buf, len } = r;
  const start = r.pos;
  let pos = start;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= len) throw new MalformedProtobuf("varint runs past the end of the message");
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) {
      r.pos = pos;
      if (i < 9) return value;
      // A negative int64 is a 10-byte two's complement varint: rare (and refused), so exact via BigInt.
      let big = 0n;
      for (let j = pos - 1; j >= start; j--) big = (big << 7n) | BigInt(buf[j]! & 0x7f);
      return Number(BigInt.asIntN(64, big));
    }
  }
  throw new MalformedProtobuf("varint longer than 10 bytes");
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
