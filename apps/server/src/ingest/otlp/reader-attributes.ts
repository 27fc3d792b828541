import protobuf from "protobufjs/minimal.js";
import { MalformedProtobuf, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, readInt64, skip, subEnd } from "../protobuf-wire";
import type { OtlpAnyValue, OtlpKeyValue } from "./model";
import { double, message, string, wireIs, type Reader } from "./reader-wire";

/** Nesting of attribute values (arrays and key-value lists), as the JSON decoder allows. */
const MAX_ANY_VALUE_DEPTH = 32;

export function anyValue(r: Reader, end: number, depth: number): OtlpAnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new MalformedProtobuf(`attribute values nest deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  const out: OtlpAnyValue = {};
  // A oneof: the last member on the wire wins, as in the generated code.
  const only = (set: (o: OtlpAnyValue) => void) => {
    for (const key of Object.keys(out)) delete out[key as keyof OtlpAnyValue];
    set(out);
  };
  message(r, end, (tag, stop) => {
    switch (tag >>> 3) {
      case 1: {
        wireIs(tag, WIRE_LEN);
        const v = string(r, stop);
        only((o) => (o.stringValue = v));
        return true;
      }
      case 2: {
        wireIs(tag, WIRE_VARINT);
        const v = r.bool();
        only((o) => (o.boolValue = v));
        return true;
      }
      case 3: {
        wireIs(tag, WIRE_VARINT);
        const v = readInt64(r);
        only((o) => (o.intValue = v));
        return true;
      }
      case 4: {
        wireIs(tag, WIRE_FIXED64);
        const v = double(r);
        only((o) => (o.doubleValue = v));
        return true;
      }
      case 5:
      case 6: {
        wireIs(tag, WIRE_LEN);
        const listEnd = subEnd(r, stop);
        const kv = tag >>> 3 === 6;
        const values: (OtlpAnyValue | OtlpKeyValue)[] = [];
        message(r, listEnd, (inner, innerEnd) => {
          if (inner >>> 3 !== 1) return false;
          wireIs(inner, WIRE_LEN);
          const itemEnd = subEnd(r, innerEnd);
          values.push(kv ? keyValue(r, itemEnd, depth + 1) : anyValue(r, itemEnd, depth + 1));
          return true;
        });
        if (kv) only((o) => (o.kvlistValue = { values: values as OtlpKeyValue[] }));
        else only((o) => (o.arrayValue = { values: values as OtlpAnyValue[] }));
        return true;
      }
      case 7: {
        wireIs(tag, WIRE_LEN);
        const stopAt = subEnd(r, stop);
        const v = r.buf.slice(r.pos, stopAt);
        r.pos = stopAt;
        only((o) => (o.bytesValue = v));
        return true;
      }
    }
    return false;
  });
  return out;
}

export function keyValue(r: Reader, end: number, depth: number): OtlpKeyValue {
  let key = "";
  let value: OtlpAnyValue | null = null;
  message(r, end, (tag, stop) => {
    if (tag >>> 3 === 1) {
      wireIs(tag, WIRE_LEN);
      key = string(r, stop);
      return true;
    }
    if (tag >>> 3 === 2) {
      wireIs(tag, WIRE_LEN);
      value = anyValue(r, subEnd(r, stop), depth);
      return true;
    }
    return false;
  });
  return { key, value };
}

/**
 * Decodes the KeyValue fields (number `field`) of a message body between start and end; `each` is
 * called before each one is read (a budget that may stop the decoding).
 */
export function attributesIn(buf: Uint8Array, start: number, end: number, field: number, each?: () => void): OtlpKeyValue[] {
  const r = protobuf.Reader.create(buf);
  r.pos = start;
  const out: OtlpKeyValue[] = [];
  message(r, end, (tag, stop) => {
    if (tag >>> 3 !== field) return false;
    wireIs(tag, WIRE_LEN);
    each?.();
    out.push(keyValue(r, subEnd(r, stop), 0));
    return true;
  });
  return out;
}

/**
 * Checks one KeyValue's bytes (r.pos to `end`) the way keyValue() would read them, building nothing:
 * a data point's attributes are decoded only when the label-tail cache misses, and bytes that could
 * not be decoded must fail the request here (400), not later in the mapping.
 */
export function checkKeyValue(r: Reader, end: number, depth: number): void {
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) {
      wireIs(tag, WIRE_LEN);
      r.pos = subEnd(r, end);
    } else if (field === 2) {
      wireIs(tag, WIRE_LEN);
      checkAnyValue(r, subEnd(r, end), depth);
    } else skip(r, tag, end);
  }
  if (r.pos !== end) throw new MalformedProtobuf("a field runs past the end of its message");
}

export function checkAnyValue(r: Reader, end: number, depth: number): void {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new MalformedProtobuf(`attribute values nest deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
      case 7:
        wireIs(tag, WIRE_LEN);
        r.pos = subEnd(r, end);
        break;
      case 2:
      case 3:
        wireIs(tag, WIRE_VARINT);
        readInt64(r);
        break;
      case 4:
        wireIs(tag, WIRE_FIXED64);
        double(r);
        break;
      case 5:
      case 6: {
        wireIs(tag, WIRE_LEN);
        const listEnd = subEnd(r, end);
        while (r.pos < listEnd) {
          const inner = r.uint32();
          if (inner >>> 3 !== 1) {
            skip(r, inner, listEnd);
            continue;
          }
          wireIs(inner, WIRE_LEN);
          const itemEnd = subEnd(r, listEnd);
          if (tag >>> 3 === 6) checkKeyValue(r, itemEnd, depth + 1);
          else checkAnyValue(r, itemEnd, depth + 1);
        }
        if (r.pos !== listEnd) throw new MalformedProtobuf("a field runs past the end of its message");
        break;
      }
      default:
        skip(r, tag, end);
    }
  }
  if (r.pos !== end) throw new MalformedProtobuf("a field runs past the end of its message");
}
