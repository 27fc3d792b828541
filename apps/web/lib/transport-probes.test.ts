import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TransportProbe } from "./transport-probes";

/** A WebSocket that the "server" closes right after it opens: a probe that can never stay connected. */
class ClosingSocket {
  static made: ClosingSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closeCalls = 0;
  constructor(readonly url: string) {
    ClosingSocket.made.push(this);
    setTimeout(() => this.onclose?.(), 10);
  }
  send(): void {}
  close(): void {
    this.closeCalls++;
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0.5);
  ClosingSocket.made = [];
  vi.stubGlobal("WebSocket", ClosingSocket);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("TransportProbe", () => {
  it("the transports page retries a dropped WebSocket with backoff, not every second", async () => {
    const probe = new TransportProbe("ws", { baseUrl: "http://127.0.0.1:1", series: ["*"] });
    probe.start();
    await vi.advanceTimersByTimeAsync(60_000);
    // Floor 1 s plus half of min(30 s, 1 s * 2^n): 1.5, 2, 3, 5, 9, 16, then 16 s each: 8 sockets, not 60.
    expect(ClosingSocket.made.length).toBeLessThanOrEqual(9);
    expect(ClosingSocket.made.length).toBeGreaterThanOrEqual(6);
    probe.stop();
  });

  it("the transports page keeps only its current socket: stopping it touches that one, not every old one", async () => {
    const probe = new TransportProbe("ws", { baseUrl: "http://127.0.0.1:1", series: ["*"] });
    probe.start();
    await vi.advanceTimersByTimeAsync(30_000);
    const made = ClosingSocket.made.length;
    expect(made).toBeGreaterThan(2);
    probe.stop();
    expect(ClosingSocket.made.reduce((n, s) => n + s.closeCalls, 0)).toBeLessThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ClosingSocket.made.length).toBe(made);
  });
});
