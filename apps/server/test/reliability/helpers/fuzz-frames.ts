import type { Random } from "./seeded-random";
import { clientFrame } from "./raw-ws";

/** One fuzzed WebSocket message, sent through a real `ws` client (so the framing itself is valid). */
export interface FuzzMessage {
  kind: string;
  data: string | Buffer;
  /** Binary frame (opcode 2) instead of text; a text frame with a Buffer may carry invalid UTF-8. */
  binary: boolean;
}

const PATTERNS = ["*", "fuzz.*", "fuzz.a", "fuzz.**", "host.cpu.*", "a*b*c*d", "fuzz.?", "x".repeat(200)];

/** A well-formed wsLink request of one of the kinds the server serves. */
function validRequest(rng: Random): Record<string, unknown> {
  const id = rng.int(1, 1_000);
  const series = Array.from({ length: rng.int(1, 4) }, () => rng.pick(PATTERNS));
  switch (rng.int(0, 8)) {
    case 0:
      return { id, method: "subscription", params: { path: "metrics.live", input: { series } } };
    case 1:
      return { id, method: "subscription", params: { path: "metrics.live", input: { series }, lastEventId: rng.pick(["0-0", "zz-1", "garbage", `${Date.now().toString(36)}-5`]) } };
    case 2:
      return { id, method: "subscription.stop" };
    case 3:
      return { id, method: "query", params: { path: "metrics.catalog" } };
    case 4:
      return { id, method: "query", params: { path: "metrics.history", input: { series: ["fuzz.a"], maxPoints: rng.int(1, 50) } } };
    case 5:
      // Short waits only: a long-poll answers at waitMs at the latest, and the suite stays bounded.
      return { id, method: "query", params: { path: "metrics.poll", input: { series, waitMs: rng.int(0, 300) } } };
    case 6:
      return { id, method: "mutation", params: { path: "metrics.ingest", input: { points: [{ series: `fuzz.${rng.pick(["a", "b", "c"])}`, value: rng.int(-1e6, 1e6) }] } } };
    case 7:
      return { id, method: "query", params: { path: "system.info" } };
    default:
      return { id, method: "mutation", params: { path: "auth.ticket" } };
  }
}

/** Values of the wrong type or at the edge of what JSON can say. None lies between 300 and 60 000 (see poll above). */
function edgeValue(rng: Random): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => 1e308,
    () => -1e308,
    () => 2 ** 53 + 2,
    () => 2 ** 31,
    () => "",
    () => "x".repeat(rng.int(1, 20_000)),
    () => "\u0000\ud800",
    () => [],
    () => [1, "a", null],
    () => ({}),
    // JSON.parse makes "__proto__" an own key (an object literal would set the prototype instead).
    () => JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
    () => ({ constructor: { prototype: { polluted: true } } }),
    () => "__proto__",
    () => "constructor",
    () => Array.from({ length: rng.int(1, 2_000) }, (_, i) => `fuzz.s${i}`),
  ])();
}

/** Every object path inside a value, for picking a node to mutate. */
function objectPaths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      out.push([...prefix, key]);
      objectPaths(child, [...prefix, key], out);
    }
  }
  return out;
}

function mutateAt(root: Record<string, unknown>, path: string[], change: (parent: Record<string, unknown>, key: string) => void) {
  let node: Record<string, unknown> = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  change(node, path[path.length - 1]!);
}

const HUGE_IDS = ["1e400", "-1e400", "9".repeat(400), "18446744073709551616", "-0", "1.5", "1e-400", "true", "[]", "{}", "[1,2]"];
const ODD_METHODS = ["subscription.start", "SUBSCRIPTION", "__proto__", "constructor", "toString", "", "connectionParams ", "reconnect", "query\u0000"];
const ODD_PATHS = ["__proto__", "constructor", "metrics.__proto__", "metrics.constructor", "toString", "metrics", "metrics.live.x", "", ".", "a".repeat(10_000), "metrics.live"];

/** A random fuzzed message: random bytes, or a valid request mutated one way. Weights sum to 100. */
export function fuzzMessage(rng: Random): FuzzMessage {
  const roll = rng.int(1, 100);
  const text = (kind: string, data: string): FuzzMessage => ({ kind, data, binary: false });
  if (roll <= 12) return { kind: "random-binary", data: rng.bytes(rng.int(0, 2_048)), binary: true };
  // Rare on purpose: nearly every one is invalid UTF-8, which ends the connection (1007).
  if (roll <= 15) return { kind: "random-bytes-as-text", data: rng.bytes(rng.int(1, 512)), binary: false };
  if (roll <= 24) return text("random-printable", String.fromCharCode(...Array.from({ length: rng.int(0, 300) }, () => rng.int(32, 126))));
  const request = validRequest(rng);
  if (roll <= 32) return text("valid", JSON.stringify(request));
  if (roll <= 44) {
    const json = JSON.stringify(request);
    const at = rng.int(0, json.length - 1);
    if (rng.chance(0.5)) return text("bad-json-truncated", json.slice(0, at));
    return text("bad-json-flipped", json.slice(0, at) + String.fromCharCode(rng.int(0, 0x7f)) + json.slice(at + 1));
  }
  if (roll <= 59) {
    const paths = objectPaths(request);
    mutateAt(request, rng.pick(paths), (parent, key) => (parent[key] = edgeValue(rng)));
    return text("wrong-type", JSON.stringify(request));
  }
  if (roll <= 66) return text("huge-id", JSON.stringify({ ...request, id: "__ID__" }).replace('"__ID__"', rng.chance(0.3) ? JSON.stringify("i".repeat(rng.int(1_000, 100_000))) : rng.pick(HUGE_IDS)));
  if (roll <= 72) return text("unknown-method", JSON.stringify({ ...request, method: rng.chance(0.5) ? rng.pick(ODD_METHODS) : rng.bytes(8).toString("hex") }));
  if (roll <= 78) {
    const method = rng.pick(["query", "mutation", "subscription"]);
    return text("unknown-path", JSON.stringify({ id: rng.int(1, 1_000), method, params: { path: rng.pick(ODD_PATHS), input: { series: ["*"] } } }));
  }
  if (roll <= 86) {
    // Mostly small batches; now and then a large one (subscriptions per socket, issue #10 item 5).
    const size = rng.chance(0.05) ? rng.int(200, 2_000) : rng.int(0, 20);
    const batch = Array.from({ length: size }, (_, i) => (rng.chance(0.8) ? { ...validRequest(rng), id: i + 1 } : edgeValue(rng)));
    return text("array-of-requests", JSON.stringify(batch));
  }
  if (roll <= 88) {
    const depth = rng.int(1_000, 50_000);
    return text("deep-nesting", JSON.stringify({ ...request, params: "__NEST__" }).replace('"__NEST__"', "[".repeat(depth) + "]".repeat(depth)));
  }
  if (roll <= 94) {
    const paths = objectPaths(request);
    mutateAt(request, rng.pick(paths), (parent, key) => delete parent[key]);
    return text("missing-field", JSON.stringify(request));
  }
  return text("prototype-keys", `{"__proto__":{"method":"query","polluted":true},"constructor":{"prototype":{"x":1}},${JSON.stringify(request).slice(1)}`);
}

/** What a client sends first on a `?connectionParams=1` socket: good, bad, or nothing at all. */
export function connectionParamsMessage(rng: Random): FuzzMessage | null {
  if (rng.chance(0.2)) return null;
  const data = rng.pick<unknown>([{}, { token: "not-a-real-token-at-all" }, { token: 123 }, { token: null }, { ticket: ["a"] }, "token", 42, null, [], { token: "t".repeat(100_000) }, JSON.parse('{"__proto__":{"token":"x"}}') as unknown]);
  if (rng.chance(0.2)) return { kind: "bad-connection-params-json", data: `{"method":"connectionParams","data":${JSON.stringify(data)}`, binary: false };
  return { kind: "connection-params", data: JSON.stringify({ method: "connectionParams", data }), binary: false };
}

/** Protocol-level garbage for a raw socket after the upgrade: what the `ws` client would refuse to send. */
export function rawFuzzBytes(rng: Random): { kind: string; bytes: Buffer } {
  const payload = () => Buffer.from(JSON.stringify(validRequest(rng)));
  const cases: Array<[string, () => Buffer]> = [
    ["raw-random-bytes", () => rng.bytes(rng.int(1, 4_096))],
    ["raw-unmasked", () => clientFrame({ opcode: 1, payload: payload(), mask: false })],
    ["raw-reserved-opcode", () => clientFrame({ opcode: rng.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]), payload: payload() })],
    ["raw-rsv-bits", () => clientFrame({ opcode: 1, payload: payload(), rsv: rng.int(1, 7) })],
    ["raw-big-control", () => clientFrame({ opcode: 9, payload: rng.bytes(rng.int(126, 1_000)) })],
    ["raw-fragmented-control", () => clientFrame({ opcode: 9, payload: Buffer.from("x"), fin: false })],
    ["raw-orphan-continuation", () => clientFrame({ opcode: 0, payload: payload() })],
    ["raw-invalid-utf8", () => clientFrame({ opcode: 1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0xfe, 0x7d]) })],
    ["raw-bad-close-code", () => clientFrame({ opcode: 8, payload: Buffer.from([rng.pick([0, 3, 0x03, 0x13]), rng.int(0, 255), 0x78]) })],
    ["raw-close-one-byte", () => clientFrame({ opcode: 8, payload: Buffer.from([0x03]) })],
    ["raw-lying-length", () => clientFrame({ opcode: 1, payload: Buffer.from("{}"), declaredLength: 2 ** 53 - 1 })],
    ["raw-fragmented-text", () => {
      const whole = payload();
      const cut = rng.int(1, whole.length - 1);
      return Buffer.concat([clientFrame({ opcode: 1, payload: whole.subarray(0, cut), fin: false }), clientFrame({ opcode: 0, payload: whole.subarray(cut) })]);
    }],
  ];
  const [kind, make] = rng.pick(cases);
  return { kind, bytes: make() };
}
