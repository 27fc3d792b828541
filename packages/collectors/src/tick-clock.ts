/**
 * Calls `onTick(ts)` once per interval, on the interval's grid (multiples of intervalMs since the
 * epoch), with ts = the grid slot the tick belongs to, not the time the timer happened to fire.
 *
 * Why: points stamped with Date.now() at each tick carry the timer's few ms of jitter, and the disk
 * store's delta-of-delta timestamps pay 16 bits for every non-zero jitter instead of 1 bit for a
 * steady step (collector series: 4.55 bytes a point, 1.74 of them timestamps; docs/storage.md).
 * Prometheus stamps a scrape with its scheduled time for the same reason. Readings are still taken
 * when the tick runs (a few ms after its slot); rates use the real elapsed time.
 *
 * Every ts is strictly greater than the previous one: a timer firing a little early keeps the slot it
 * was armed for; a tick delayed past whole slots (a blocked event loop) takes the slot it runs in and
 * skips the missed ones, as the old setInterval skipped ticks. The first tick is at least half an
 * interval after the start, so the first rates span a real window.
 *
 * A wall clock stepped back by more than an interval (NTP correcting a clock that ran ahead)
 * re-anchors the grid on the new time instead of waiting for the old slot to come round again (an
 * hour's step stalled collection, and the fleet view, for the hour). Stamps after such a step are
 * earlier than the ones before it, as the wall clock now says; the store takes them as late points
 * or refuses them, like Prometheus' out-of-order samples.
 */
export function startTickClock(intervalMs: number, now: () => number, onTick: (ts: number) => void): { stop(): void } {
  let last = Math.ceil((now() + intervalMs / 2) / intervalMs) * intervalMs - intervalMs;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    const t = now();
    if (t < last - intervalMs) last = Math.floor(t / intervalMs) * intervalMs - intervalMs;
    const next = Math.max(Math.floor(t / intervalMs) * intervalMs + intervalMs, last + intervalMs);
    timer = setTimeout(fire, next - t);
  };
  const fire = (): void => {
    const ts = Math.max(Math.floor(now() / intervalMs) * intervalMs, last + intervalMs);
    last = ts;
    arm();
    onTick(ts);
  };
  arm();
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
