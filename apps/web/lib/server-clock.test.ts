import { describe, expect, it } from "vitest";
import { ServerClock } from "./server-clock";

function fakeTime(wallMs: number) {
  const t = { mono: 1_000, wall: wallMs };
  return { t, clock: new ServerClock({ monotonicNow: () => t.mono, wallNow: () => t.wall }) };
}

describe("ServerClock", () => {
  it("a browser clock 5 minutes behind changes nothing once the server told its time", async () => {
    const server = 1_700_000_000_000;
    const { t, clock } = fakeTime(server - 300_000);
    await clock.sync(async () => {
      t.mono += 40; // a 40 ms round trip; the server read its clock half-way
      t.wall += 40;
      return server + 20;
    });
    expect(clock.now()).toBe(server + 40);
    t.mono += 1_000;
    t.wall += 1_000;
    expect(clock.now()).toBe(server + 1_040);
    expect(Math.round(clock.offsetMs())).toBe(300_000);
  });

  it("the browser's clock being set while the page is open does not move the server time", async () => {
    const { t, clock } = fakeTime(5_000_000);
    await clock.sync(async () => 9_000_000);
    t.wall += 3_600_000;
    t.mono += 500;
    expect(clock.now()).toBe(9_000_500);
  });

  it("keeps the sample with the shorter round trip unless it is old", async () => {
    const { t, clock } = fakeTime(0);
    await clock.sync(async () => {
      t.mono += 10;
      return 1_000_000;
    });
    const good = clock.now();
    await clock.sync(async () => {
      t.mono += 2_000; // slow answer, and the server's reading is off by the delay
      return 1_000_000 + 10 + 500;
    });
    expect(clock.now()).toBe(good + 2_000);
    t.mono += 700_000;
    await clock.sync(async () => {
      t.mono += 2_000;
      return 3_000_000;
    });
    expect(clock.now()).toBe(3_001_000);
  });

  it("an answer without the server's time is refused and changes nothing", async () => {
    const { clock } = fakeTime(1_000_000);
    await expect(clock.sync(async () => undefined as unknown as number)).rejects.toThrow(/no server time/);
    expect(clock.now()).toBe(1_000_000);
    expect(clock.calibrated).toBe(false);
  });

  it("before any answer, the newest event's points stand in for the server's clock", () => {
    const { t, clock } = fakeTime(1_000_000);
    expect(clock.now()).toBe(1_000_000);
    clock.observe(1_300_000);
    expect(clock.now()).toBe(1_300_000);
    t.mono += 100;
    clock.observe(1_200_000); // older than now: no step back
    expect(clock.now()).toBe(1_300_100);
    expect(clock.synced).toBe(false);
  });
});
