import { describe, expect, it } from "vitest";
import { CumulativeState, type CumulativeSample } from "../src/ingest/otlp/cumulative-state";

const sample = (timeS: number, total: number): CumulativeSample => ({ startNs: 1e9, timeNs: timeS * 1e9, total });

/** A key at total 0 (committed), then request A moves it to 100 at 10 s and B to 200 at 20 s, both open. */
function interleaved() {
  const state = new CumulativeState(100);
  state.advance("k", sample(0, 0));
  const a = state.transaction();
  const aStep = a.advance("k", sample(10, 100));
  const b = state.transaction();
  const bStep = b.advance("k", sample(20, 200));
  return { state, a, b, aStep, bStep };
}

describe("CumulativeState transactions", () => {
  // Two requests of one exporter in flight at once (sending_queue.num_consumers > 1): A moved the key
  // on, B moved it on from A's sample, then both were refused (503 after the engine's await). A's
  // rollback found B's sample and did nothing; B's put A's sample back, so A's retry was "already seen"
  // and the increase over A's interval was lost.
  it("interleaved requests both refused: B's rollback restored A's refused sample and A's retry lost its interval", () => {
    const { state, a, b, aStep, bStep } = interleaved();
    expect(aStep).toMatchObject({ kind: "interval", seconds: 10 });
    expect(bStep).toMatchObject({ kind: "interval", seconds: 10 });
    a.rollback();
    b.rollback();
    // Nothing was committed: the retries measure from the committed sample, each its own interval.
    expect(state.advance("k", sample(10, 100))).toMatchObject({ kind: "interval", seconds: 10, prev: { total: 0 } });
    expect(state.advance("k", sample(20, 200))).toMatchObject({ kind: "interval", seconds: 10, prev: { total: 100 } });
  });

  it("rolled back in the other order, the committed sample comes back too", () => {
    const { state, a, b } = interleaved();
    b.rollback();
    a.rollback();
    expect(state.advance("k", sample(10, 100))).toMatchObject({ kind: "interval", seconds: 10, prev: { total: 0 } });
  });

  it("B refused while A is still open keeps A's sample (A may yet be taken)", () => {
    const { state, b } = interleaved();
    b.rollback();
    // A is taken (no rollback): B's retry measures from A's sample.
    expect(state.advance("k", sample(20, 200))).toMatchObject({ kind: "interval", seconds: 10, prev: { total: 100 } });
  });
});
