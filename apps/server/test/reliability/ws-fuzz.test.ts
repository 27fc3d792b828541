import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../../src/server";
import { openLive } from "../helpers/live-clients";
import type { LiveClient } from "../helpers/live-clients";
import { ingest, startTestServer } from "../helpers/server";
import { runRawSession, runWsSession } from "./helpers/fuzz-session";
import type { SessionOutcome } from "./helpers/fuzz-session";
import { reportResult } from "./helpers/results";
import { reliabilitySeed, seededRandom } from "./helpers/seeded-random";

const TOTAL_FRAMES = 10_000;
/** Fuzzing connections open at once. */
const CONCURRENCY = 6;
/** Safety bound on connections, whatever the server does with them. */
const MAX_SESSIONS = 5_000;
/** A health probe (healthz + a live point to a watching client) every this many frames, mid-fuzz. */
const HEALTH_EVERY_FRAMES = 2_500;
const WAIT = { timeout: 15_000, interval: 25 };

describe("fuzzed WebSocket frames", () => {
  let server: LivedashServer;
  let watcher: LiveClient;
  let healthValue = 0;

  beforeAll(async () => {
    server = await startTestServer();
    watcher = openLive("ws", server.url, { series: ["fuzz.health"] });
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1), WAIT);
  });
  afterAll(async () => {
    await watcher?.close();
    await server?.close();
  });

  /** The server answers /healthz and still delivers a fresh point to a client that did nothing wrong. */
  async function expectHealthy(client: LiveClient) {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    const value = ++healthValue;
    expect((await ingest(server.url, [{ series: "fuzz.health", value }])).status).toBe(200);
    await vi.waitFor(() => expect(client.points().some((p) => p.value === value)).toBe(true), WAIT);
  }

  it(`${TOTAL_FRAMES} frames (random bytes, mutated wsLink messages, protocol garbage): only protocol errors or closes, and the server stays healthy`, async () => {
    const seed = reliabilitySeed("ws-fuzz");
    const master = seededRandom(seed);
    // Session n always gets the same plan and its own generator, so a seed replays the same frames
    // whatever order the concurrent sessions happen to run in. Sessions the server closes early spend
    // less than their budget; new ones are planned until the frames actually sent reach the total.
    type Plan = { index: number; raw: boolean; budget: number; seed: number };
    const plans: Plan[] = [];
    const planNext = (): Plan | null => {
      if (totals.frames >= TOTAL_FRAMES || plans.length >= MAX_SESSIONS) return null;
      const raw = master.chance(0.1);
      const plan = { index: plans.length, raw, budget: raw ? 3 : master.int(20, 150), seed: master.int(0, 2 ** 32 - 1) };
      plans.push(plan);
      return plan;
    };

    const totals = { frames: 0, sessions: 0, rawSessions: 0, pongs: 0, healthChecks: 0 };
    const kinds: Record<string, number> = {};
    const serverCloses: Record<string, number> = {};
    const errorCodes: Record<string, number> = {};
    const rawReactions: Record<string, number> = {};
    const violations: string[] = [];
    const merge = (into: Record<string, number>, from: Record<string, number>) => {
      for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
    };
    const record = (plan: Plan, outcome: SessionOutcome) => {
      totals.frames += outcome.frames;
      totals.sessions++;
      totals.pongs += outcome.pongs;
      merge(kinds, outcome.kinds);
      merge(errorCodes, outcome.errorCodes);
      if (outcome.serverCloseCode !== null) merge(serverCloses, { [outcome.serverCloseCode]: 1 });
      for (const v of outcome.violations) violations.push(`session ${plan.index} (${plan.raw ? "raw" : "ws"}, seed ${seed}): ${v}`);
    };

    let nextHealthAt = HEALTH_EVERY_FRAMES;
    const worker = async () => {
      // Bounded by TOTAL_FRAMES and MAX_SESSIONS (planNext returns null past either).
      for (let plan = planNext(); plan; plan = planNext()) {
        const rng = seededRandom(plan.seed);
        if (plan.raw) {
          const outcome = await runRawSession(server.url, rng);
          totals.rawSessions++;
          merge(rawReactions, { [outcome.reaction]: 1 });
          record(plan, outcome);
        } else {
          record(plan, await runWsSession(server.url, rng, plan.budget));
        }
        if (totals.frames >= nextHealthAt) {
          nextHealthAt += HEALTH_EVERY_FRAMES;
          totals.healthChecks++;
          await expectHealthy(watcher);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    reportResult("ws-fuzz", { seed, ...totals, kinds, serverCloses, errorCodes, rawReactions, violations: violations.length });
    expect(violations.slice(0, 20), `seed ${seed}`).toEqual([]);
    expect(totals.frames).toBeGreaterThanOrEqual(TOTAL_FRAMES);

    // Nothing leaks once the fuzzers are gone: only the watcher's socket and subscription remain.
    await vi.waitFor(() => {
      expect(server.services.traffic.ws).toBe(1);
      expect(server.services.hub.stats().subscriptions).toBe(1);
      expect(server.services.traffic.polls).toBe(0);
    }, WAIT);
    await expectHealthy(watcher);
    const newcomer = openLive("ws", server.url, { series: ["fuzz.health"] });
    try {
      await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(2), WAIT);
      await expectHealthy(newcomer);
      expect(newcomer.errors).toEqual([]);
    } finally {
      await newcomer.close();
    }
    expect(watcher.errors).toEqual([]);
  }, 150_000);
});

describe("found by the fuzzer", () => {
  it("a long-poll sent over WebSocket is released when its socket closes, not held until waitMs", async () => {
    const server = await startTestServer();
    try {
      const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/trpc`);
      await new Promise((resolve) => ws.once("open", resolve));
      // waitMs left out: the schema's default (25 s) applies, as in the fuzzed "missing-field" frame.
      ws.send(JSON.stringify({ id: 1, method: "query", params: { path: "metrics.poll", input: { series: ["*"] } } }));
      await vi.waitFor(() => expect(server.services.traffic.polls).toBe(1), WAIT);
      ws.terminate();
      await vi.waitFor(() => expect(server.services.traffic.ws).toBe(0), WAIT);
      await vi.waitFor(() => expect(server.services.traffic.polls).toBe(0), { timeout: 5_000, interval: 25 });
    } finally {
      await server.close();
    }
  });
});
