import protobuf from "protobufjs/minimal.js";
import { opentelemetry, google } from "./generated/otlp-metrics.js";
import type { OtlpExportRequest } from "./model";
import { decodeExportRequest } from "./decode-reader";
import { isWireError } from "../protobuf-wire";

const { ExportMetricsServiceRequest, ExportMetricsServiceResponse } = opentelemetry.proto.collector.metrics.v1;

const TWO_POW_32 = 4294967296;

type LongOrNumber = number | { toNumber(): number };

function toNumber(value: LongOrNumber): number {
  return typeof value === "number" ? value : value.toNumber();
}

/** protobufjs' BufferReader as this file uses it: its 64-bit readers are typed Long, ours answer numbers. */
interface BufferReaderShape {
  buf: Buffer;
  pos: number;
  len: number;
  int64(): LongOrNumber;
  uint64(): LongOrNumber;
  sint64(): LongOrNumber;
}
const BufferReader = protobuf.BufferReader as unknown as new (buffer: Buffer) => BufferReaderShape;

/**
 * protobufjs decodes 64-bit fields as `Long` objects whenever the `long` package is loaded (it is a
 * dependency of protobufjs, so always), and `--force-number` only changes the generated types. This
 * reader answers numbers instead, per instance, without touching protobufjs' global `util.Long` (other
 * code in the process may want Longs). The fixed64 fields (every timestamp, count and bucket count)
 * are read straight off the buffer: no object per value on the hot path.
 */
class NumberReader extends BufferReader {
  fixed64(): number {
    const pos = this.pos;
    if (pos + 8 > this.len) throw new RangeError(`index out of range: ${pos} + 8 > ${this.len}`);
    this.pos = pos + 8;
    return this.buf.readUInt32LE(pos + 4) * TWO_POW_32 + this.buf.readUInt32LE(pos);
  }

  sfixed64(): number {
    const pos = this.pos;
    if (pos + 8 > this.len) throw new RangeError(`index out of range: ${pos} + 8 > ${this.len}`);
    this.pos = pos + 8;
    return this.buf.readInt32LE(pos + 4) * TWO_POW_32 + this.buf.readUInt32LE(pos);
  }

  // Varint 64-bit fields (AnyValue.int_value, exponential bucket counts) are rare: convert the Long.
  override int64(): number {
    return toNumber(super.int64());
  }

  override uint64(): number {
    return toNumber(super.uint64());
  }

  override sint64(): number {
    return toNumber(super.sint64());
  }
}

/** Why a protobuf body could not be decoded; answered 400. */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OtlpDecodeError";
  }
}

/**
 * Decodes an `application/x-protobuf` ExportMetricsServiceRequest (unknown fields are skipped) with
 * the Reader-based decoder: no generated message objects, attributes decoded only on a label-tail
 * cache miss. PointLimitPassed, without reading further, past `maxDataPoints`.
 */
export function decodeProtobufRequest(body: Buffer, maxDataPoints = Infinity): OtlpExportRequest {
  return decodingLazily(() => decodeExportRequest(body, maxDataPoints));
}

/**
 * Runs `read` with the bytes it finds malformed thrown as OtlpDecodeError (answered 400): the decoding,
 * and the mapping of what it decoded, which reads the gauge and sum data points the decoder only noted.
 */
export function decodingLazily<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!isWireError(error)) throw error;
    throw new OtlpDecodeError(`body: not a valid protobuf ExportMetricsServiceRequest (${error.message})`);
  }
}

/** The same with the protobufjs-generated decoder: the reference the Reader-based one is tested against. */
export function decodeWithGeneratedCode(body: Buffer): OtlpExportRequest {
  try {
    // The generated message classes hold exactly the model's fields (with numbers for 64-bit ones, see
    // NumberReader), defaults on their prototypes: [] for repeated, null for unset oneofs and messages.
    return ExportMetricsServiceRequest.decode(new NumberReader(body) as unknown as protobuf.Reader) as unknown as OtlpExportRequest;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError(`body: not a valid protobuf ExportMetricsServiceRequest (${detail})`);
  }
}

/** An ExportMetricsServiceResponse, with partial_success only when something was rejected or needs saying. */
export function encodeProtobufResponse(partial: { rejectedDataPoints: number; errorMessage: string } | null): Uint8Array {
  return ExportMetricsServiceResponse.encode(partial ? { partialSuccess: partial } : {}).finish();
}

/** google.rpc.Status, the body OTLP/HTTP gives every 4xx and 5xx answer. */
export function encodeProtobufStatus(code: number, message: string): Uint8Array {
  return google.rpc.Status.encode({ code, message }).finish();
}
