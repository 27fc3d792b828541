import { hostValueProblem } from "@livedash/events";
import { addressKey } from "./address-key";

/**
 * Per-source ingest rate keys. A write is rate limited by where it comes from: the socket's peer
 * address (never X-Forwarded-For, which the client writes), and, when the request declares one in
 * `X-Livedash-Host`, the host it speaks for: behind a proxy every agent has the proxy's address, and
 * one flooding agent must not take every agent's bucket.
 *
 * The host is the client's word, so it buys little: a client with the ingest token may name any
 * host (as it may write any host's series), and only from its own address. What it must not buy is
 * memory or an unbounded number of buckets, so host keys are bounded per address and in all; a host
 * past either bound shares its address's bucket, and a host silent for `idleMs` gives its place up.
 */
export interface IngestSourcesOptions {
  /** Host buckets one address may hold at once (config: LIVEDASH_MAX_HOSTS, the fleet's size). @default 1000 */
  readonly maxHostsPerAddress?: number;
  /** Host buckets held in all addresses together. @default 10_000 */
  readonly maxHosts?: number;
  /** A host not heard from its address for this long gives its place up. @default 60_000 */
  readonly idleMs?: number;
  /** Monotonic clock in ms (shared with the rate limiter in tests). @default performance.now */
  readonly now?: () => number;
}

export interface IngestSources {
  /** The rate-limit key of a write from `address` declaring `host` (null: none): `ip:<address>` or `ip:<address> host:<host>`. */
  key(address: string, host: string | null): string;
  /** Host keys held (bounded by maxHosts). */
  readonly size: number;
}

interface HostSlot {
  readonly address: string;
  seenMs: number;
}

export function createIngestSources(options: IngestSourcesOptions = {}): IngestSources {
  const maxPerAddress = options.maxHostsPerAddress ?? 1000;
  const maxHosts = options.maxHosts ?? 10_000;
  const idleMs = options.idleMs ?? 60_000;
  const now = options.now ?? (() => performance.now());
  // Map order is recency order (a touched slot is re-inserted at the end): idle ones are at the front.
  const slots = new Map<string, HostSlot>();
  const perAddress = new Map<string, number>();

  /** Drops idle slots from the front. Each slot is dropped once, so this is O(1) per call amortized. */
  const sweep = (nowMs: number) => {
    for (const [key, slot] of slots) {
      if (nowMs - slot.seenMs <= idleMs) break;
      release(key, slot);
    }
  };

  const release = (key: string, slot: HostSlot) => {
    slots.delete(key);
    const held = (perAddress.get(slot.address) ?? 1) - 1;
    if (held > 0) perAddress.set(slot.address, held);
    else perAddress.delete(slot.address);
  };

  /**
   * With every slot taken, an address under its fair share (slots / addresses holding any, itself
   * included) takes the least recently seen slot of an address over that share. First come used to
   * let ten addresses hold all 10_000 and leave every other proxy's hosts in one bucket (attack review
   * P4b). The scan stops at the first such slot; at most one pass over the slots, and only when full.
   */
  const evictForFairShare = (address: string, held: number): boolean => {
    const share = Math.floor(maxHosts / (perAddress.size + (held === 0 ? 1 : 0)));
    if (held >= share) return false;
    for (const [key, slot] of slots) {
      if ((perAddress.get(slot.address) ?? 0) > share) {
        release(key, slot);
        return true;
      }
    }
    return false;
  };

  return {
    key(address, host) {
      const base = `ip:${address}`;
      if (host === null) return base;
      // An address never holds a space, so no host name can make one key look like another's.
      const key = `${base} host:${host}`;
      const nowMs = now();
      sweep(nowMs);
      const slot = slots.get(key);
      if (slot) {
        slots.delete(key);
        slot.seenMs = nowMs;
        slots.set(key, slot);
        return key;
      }
      const held = perAddress.get(address) ?? 0;
      if (held >= maxPerAddress) return base;
      if (slots.size >= maxHosts && !evictForFairShare(address, held)) return base;
      slots.set(key, { address, seenMs: nowMs });
      perAddress.set(address, held + 1);
      return key;
    },
    get size() {
      return slots.size;
    },
  };
}

/** What takes points: a key's bucket (`take`), and what `peek` says it would answer. */
interface Buckets {
  take(key: string, n: number): { ok: true } | { ok: false; retryAfterMs: number };
  peek(key: string, n: number): { ok: true } | { ok: false; retryAfterMs: number };
}

/**
 * The ingest rate of a source key from IngestSources: its own bucket (`perSource`, LIVEDASH_INGEST_RATE)
 * and its address's bucket (`perAddress`, LIVEDASH_INGEST_ADDRESS_RATE), both or neither. Without the
 * second, one address naming a new host in each request had a fresh bucket each time (attack review F3).
 * Within the address's total, hosts are served first come; none takes more than its own rate.
 */
export function createSourceRateLimiter(perSource: Buckets, perAddress: Buckets) {
  return {
    take(key: string, n: number): { ok: true } | { ok: false; retryAfterMs: number; setting: string } {
      const space = key.indexOf(" ");
      // `ip:<address>`; an IPv6 peer by its /64, as the live caps count it: one host picking a new
      // source address per request within its /64 must not get a fresh total each time.
      const address = addressKey((space === -1 ? key : key.slice(0, space)).slice(3));
      const total = perAddress.peek(address, n);
      if (!total.ok) return { ...total, setting: "LIVEDASH_INGEST_ADDRESS_RATE" };
      const own = perSource.take(key, n);
      if (!own.ok) return { ...own, setting: "LIVEDASH_INGEST_RATE" };
      // Peeked just now on the same clock: this take succeeds.
      perAddress.take(address, n);
      return { ok: true };
    },
  };
}

/** The request header a writer names its host in (the agent sends its --host). */
export const SOURCE_HOST_HEADER = "x-livedash-host";

export type DeclaredHost = { readonly ok: true; readonly host: string | null } | { readonly ok: false; readonly message: string };

/**
 * The host an `X-Livedash-Host` header declares: percent-encoded UTF-8 (a header carries bytes, and a
 * host label may be any label value), checked like a label value. Absent or empty: null.
 */
export function declaredHost(values: readonly string[] | undefined): DeclaredHost {
  if (values === undefined || values.length === 0) return { ok: true, host: null };
  if (values.length > 1) return { ok: false, message: `${SOURCE_HOST_HEADER}: sent ${values.length} times; send it once` };
  let host: string;
  try {
    // Node's header size limit (16 KiB) bounds this.
    host = decodeURIComponent(values[0]!);
  } catch {
    return { ok: false, message: `${SOURCE_HOST_HEADER}: not valid percent-encoded UTF-8 (send encodeURIComponent(host))` };
  }
  if (host === "") return { ok: true, host: null };
  const problem = hostValueProblem(host);
  return problem === null ? { ok: true, host } : { ok: false, message: `${SOURCE_HOST_HEADER}: ${problem}` };
}
