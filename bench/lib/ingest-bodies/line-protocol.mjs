/**
 * Influx line-protocol bodies for the ingest scenario: `lines` lines over `series` series
 * (`bench,host=l<lane>h<i/10>,cpu=c<i%10> value=<v> <ts ms>`), each series `lines / series` times per
 * body with consecutive timestamps. Each lane (request in flight) has series of its own, as each agent
 * of a fleet does: a series' points then arrive in order, whatever order the server takes the lanes in. The bytes are built once; next() writes fresh 13-digit timestamps into
 * them in place, so the client spends microseconds per body, not milliseconds (VictoriaMetrics takes
 * millions of points/s: a slow client would measure the client).
 * @param {{ lines: number, series: number, startMs: number, lane: number }} spec
 */
export function createBodies(spec) {
  const repeats = Math.max(1, Math.floor(spec.lines / spec.series));
  const parts = [];
  /** Offsets of each line's timestamp and the repeat it belongs to. */
  const tsOffsets = [];
  const tsRepeat = [];
  let length = 0;
  for (let line = 0; line < spec.lines; line++) {
    const i = line % spec.series;
    const head = `bench,host=l${spec.lane}h${Math.floor(i / 10)},cpu=c${i % 10} value=${((line * 7919) % 10_000) / 100} `;
    tsOffsets.push(length + Buffer.byteLength(head));
    tsRepeat.push(Math.floor(line / spec.series) % repeats);
    const text = `${head}${"0".repeat(13)}\n`;
    parts.push(text);
    length += Buffer.byteLength(text);
  }
  const body = Buffer.from(parts.join(""));
  let nextMs = spec.startMs;
  return {
    /** The same for every body of this format. */
    headers: { "content-type": "text/plain; charset=utf-8" },
    /** A body with timestamps after every earlier one's; valid until the next call. */
    next() {
      const stamps = Array.from({ length: repeats }, (_, r) => String(nextMs + r).padStart(13, "0"));
      nextMs += repeats;
      for (let k = 0; k < tsOffsets.length; k++) body.write(/** @type {string} */ (stamps[/** @type {number} */ (tsRepeat[k])]), /** @type {number} */ (tsOffsets[k]), "latin1");
      return { body, points: spec.lines };
    },
  };
}
