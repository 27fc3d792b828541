import { randomInt } from "node:crypto";

/**
 * Seeded randomness for the reliability suite. Each run picks a fresh seed (so CI keeps exploring)
 * and prints it; `RELIABILITY_SEED=<n> npx vitest run test/reliability/<file>` replays a failure.
 */
export function reliabilitySeed(scenario: string): number {
  const fromEnv = process.env.RELIABILITY_SEED;
  const seed = fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : randomInt(1, 2 ** 31 - 1);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`RELIABILITY_SEED must be an integer from 0 to 2^32-1, got "${fromEnv}"`);
  console.log(`[reliability] ${scenario}: seed ${seed} (replay with RELIABILITY_SEED=${seed})`);
  return seed;
}

export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
  bytes(length: number): Buffer;
}

/** mulberry32: tiny, fast, and good enough to drive a fuzzer reproducibly. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    chance: (probability) => next() < probability,
    bytes(length) {
      const out = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; i++) out[i] = int(0, 255);
      return out;
    },
  };
}
