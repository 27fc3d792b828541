import { describe, expectTypeOf, it } from "vitest";
import type { LiveEvent } from "@livedash/events";
import { createLivedashClient } from "../src/index";
import type { ConnectionState } from "../src/index";

/**
 * Compile-time contract, run by vitest's typecheck mode (vitest.config.ts `typecheck`): every line
 * here is checked by tsc and a wrong input must not compile (each @ts-expect-error must be needed).
 * Nothing runs, so no server is needed.
 */
describe("the client is typed from AppRouter", () => {
  it("types subscriptions, inputs, procedures and the connection state", () => {
    const client = createLivedashClient({ url: "http://127.0.0.1:1" });

    client.trpc.metrics.live.subscribe(
      { series: ["host.cpu.*"] },
      {
        onData(envelope) {
          expectTypeOf(envelope.id).toEqualTypeOf<string>();
          expectTypeOf(envelope.data).toEqualTypeOf<LiveEvent>();
          if (envelope.data.type === "reset") expectTypeOf(envelope.data.reason).toBeString();
        },
      },
    );

    // @ts-expect-error series must be an array of strings
    client.trpc.metrics.live.subscribe({ series: "host.cpu.*" }, {});
    // @ts-expect-error series is required
    client.trpc.metrics.live.subscribe({}, {});
    // @ts-expect-error lastEventId is a string id
    client.trpc.metrics.live.subscribe({ series: ["a"], lastEventId: 42 }, {});
    // @ts-expect-error value must be a number
    void client.trpc.metrics.ingest.mutate({ points: [{ series: "a", value: "1" }] });
    // @ts-expect-error no such procedure
    void client.trpc.metrics.nope.query();
    // @ts-expect-error transport must be one of auto | ws | sse | poll
    createLivedashClient({ url: "http://127.0.0.1:1", transport: "carrier-pigeon" });

    expectTypeOf(client.connection.get()).toEqualTypeOf<ConnectionState>();
    expectTypeOf(client.connection.get().transport).toEqualTypeOf<"ws" | "sse" | "poll">();
  });
});
