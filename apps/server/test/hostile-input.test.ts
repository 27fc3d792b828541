import { describe, expect, it } from "vitest";
import { ingest } from "./helpers/server";
import { mainUrl, startMain } from "./helpers/main-process";

// The server runs in a child process: input that makes it backtrack would freeze the test runner itself.
describe("hostile input does not stall the server", () => {
  it(
    "a 26-star /sse pattern does not stall the server (healthz and ingest answer, the stream delivers)",
    async () => {
      const proc = startMain({ PORT: "0" });
      try {
        const url = await mainUrl(proc);
        const pattern = `${"*".repeat(26)}Q`;
        const sse = await fetch(`${url}/sse?series=${pattern}`);
        expect(sse.status).toBe(200);
        const reader = sse.body!.getReader();
        const decoder = new TextDecoder();

        // A 40-character miss is what made the old RegExp backtrack for minutes.
        expect((await ingest(url, [{ series: `${"a".repeat(40)}.x`, value: 1 }])).status).toBe(200);
        expect((await ingest(url, [{ series: "abcQ", value: 2 }])).status).toBe(200);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);

        let text = "";
        // Bounded: the preamble, at most a heartbeat, then the one matching event.
        for (let i = 0; i < 20 && !text.includes("abcQ"); i++) {
          const chunk = await reader.read();
          if (chunk.done) break;
          text += decoder.decode(chunk.value);
        }
        expect(text).toContain('"series":"abcQ"');
        expect(text).not.toContain("aaaa");
        await reader.cancel();
      } finally {
        proc.child.kill("SIGKILL");
      }
    },
    30_000,
  );

  it(
    "a 1 MiB digit run in a line-protocol float field answers 400 naming the field, and healthz answers",
    async () => {
      const proc = startMain({ PORT: "0" });
      try {
        const url = await mainUrl(proc);
        // Just under the default 1 MiB body limit; the old float RegExp backtracked quadratically on it.
        const body = `m f=${"1".repeat(1_000_000)}x\n`;
        const res = await fetch(`${url}/api/write`, { method: "POST", body });
        expect(res.status).toBe(400);
        const answer = (await res.json()) as { error: { message: string } };
        expect(answer.error.message).toMatch(/^line 1: field 'f' value '1{40}…' is not a number/);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
      } finally {
        proc.child.kill("SIGKILL");
      }
    },
    30_000,
  );
});
