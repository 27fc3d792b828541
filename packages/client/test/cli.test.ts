import { fileURLToPath } from "node:url";
import { execFileSync, spawn } from "node:child_process";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/main";
import type { CliIo } from "../src/cli/main";
import { startTestServer } from "./helpers/server";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function captureIo(signal?: AbortSignal): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l), env: {}, signal };
}

async function push(url: string, series: string, value: number) {
  const res = await fetch(`${url}/api/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ points: [{ series, value }] }),
  });
  expect(res.status).toBe(200);
}

/** Runs the real `livedash` bin in a child process; resolves with its exit code and output. */
function runBin(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = fileURLToPath(new URL("../bin/livedash.mjs", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LIVEDASH_URL: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`livedash ${args.join(" ")} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("livedash CLI", () => {
  // The bin runs the bundle when there is one: build it so the test runs what users run.
  beforeAll(() => {
    execFileSync(process.execPath, ["build.mjs"], { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: "ignore" });
  });

  it("annotate marks a point or a range with tags; bad times and empty text are usage errors", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const io = captureIo();
    expect(await runCli(["annotate", "deploy v1.4", "--tag", "deploy", "--tag", "api", "--ts", "1000", "--url", server.url], io)).toBe(0);
    expect(io.out.join("\n")).toMatch(/^annotated 1970-01-01T00:00:01\.000Z: deploy v1\.4 \(id \d+\)$/);
    expect(await runCli(["annotate", "maintenance", "--ts", "1970-01-01T00:00:02Z", "--end-ts", "5000", "--url", server.url], io)).toBe(0);
    const res = await fetch(`${server.url}/api/annotations?from=0&to=10000`);
    const body = (await res.json()) as { annotations: { text: string; ts: number; endTs: number | null; tags: string[] }[] };
    expect(body.annotations.map((a) => [a.text, a.ts, a.endTs, a.tags])).toEqual([
      ["deploy v1.4", 1000, null, ["deploy", "api"]],
      ["maintenance", 2000, 5000, []],
    ]);
    const bad = captureIo();
    expect(await runCli(["annotate", "x", "--ts", "yesterday-ish", "--url", server.url], bad)).toBe(2);
    expect(bad.err[0]).toMatch(/--ts must be epoch milliseconds or an ISO date/);
    expect(await runCli(["annotate", "", "--url", server.url], bad)).toBe(2);
    expect(bad.err.join("\n")).toMatch(/text: text must not be empty/);
    expect(await runCli(["annotate", "x", "--ts", "5000", "--end-ts", "1000", "--url", server.url], bad)).toBe(2);
    expect(bad.err.join("\n")).toMatch(/endTs: endTs must not be before ts/);
  });

  it("push ingests a point and series lists it", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const io = captureIo();
    expect(await runCli(["push", "app.queue.depth", "42", "--url", server.url], io)).toBe(0);
    expect(io.out.join("\n")).toMatch(/accepted 1 point/);

    const list = captureIo();
    expect(await runCli(["series", "--url", server.url], list)).toBe(0);
    expect(list.out[0]).toMatch(/^SERIES\s+UNIT\s+KIND\s+LAST\s+AGE$/);
    expect(list.out.some((l) => /^app\.queue\.depth\s+\S+\s+\S+\s+42\b/.test(l))).toBe(true);

    const json = captureIo();
    expect(await runCli(["series", "--json", "--url", server.url], json)).toBe(0);
    expect(json.out.map((l) => JSON.parse(l) as { name: string }).map((s) => s.name)).toContain("app.queue.depth");
  });

  it.each(["auto", "ws", "sse", "poll"])("tail --json prints live points as they arrive (%s)", async (transport) => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const io = captureIo();
    const done = runCli(["tail", "cli.*", "--json", "--count", "3", "--transport", transport, "--url", server.url], io);
    await vi.waitFor(() => expect(io.err.join("\n")).toMatch(/live via/), { timeout: 10_000 });
    for (const value of [1, 2, 3]) await push(server.url, "cli.test", value);
    expect(await done).toBe(0);
    const points = io.out.map((l) => JSON.parse(l) as { series: string; value: number; id: string });
    expect(points.map((p) => p.value)).toEqual([1, 2, 3]);
    expect(points.every((p) => p.series === "cli.test" && typeof p.id === "string")).toBe(true);
  });

  it("tail takes selectors with label matchers, an argument holding a comma-separated list", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const io = captureIo();
    const done = runCli(["tail", 'cli.sel{host="web1",cpu!="0"},cli.other{x="a,b"}', "cli.end", "--json", "--count", "2", "--url", server.url], io);
    await vi.waitFor(() => expect(io.err.join("\n")).toMatch(/live via/), { timeout: 10_000 });
    for (const [series, value] of [['cli.sel{cpu="0",host="web1"}', 1], ['cli.sel{cpu="1",host="web2"}', 2], ['cli.sel{cpu="1",host="web1"}', 3], ["cli.end", 4]] as const) {
      await push(server.url, series, value);
    }
    expect(await done).toBe(0);
    expect(io.out.map((l) => (JSON.parse(l) as { series: string }).series)).toEqual(['cli.sel{cpu="1",host="web1"}', "cli.end"]);
  });

  it("tail --aggregate sum --by host prints the server's sums per host, live", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const io = captureIo();
    const done = runCli(["tail", "cli.agg", "--aggregate", "sum", "--by", "host", "--json", "--count", "3", "--url", server.url], io);
    await vi.waitFor(() => expect(io.err.join("\n")).toMatch(/live via/), { timeout: 10_000 });
    for (const [series, value] of [['cli.agg{cpu="0",host="a"}', 1], ['cli.agg{cpu="1",host="a"}', 2], ['cli.agg{cpu="0",host="b"}', 10]] as const) {
      await push(server.url, series, value);
    }
    expect(await done).toBe(0);
    expect(io.out.map((l) => JSON.parse(l) as { series: string; value: number }).map(({ series, value }) => [series, value])).toEqual([
      ['cli.agg{host="a"}', 1],
      ['cli.agg{host="a"}', 3],
      ['cli.agg{host="b"}', 10],
    ]);
  });

  it("series lists the catalog keys a selector matches", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    for (const [series, value] of [['cli.disk{dev="sda",host="web1"}', 1], ['cli.disk{dev="nvme0",host="web1"}', 2], ["cli.plain", 3]] as const) await push(server.url, series, value);
    const io = captureIo();
    expect(await runCli(["series", '{dev=~"sd.*"},cli.pl*', "--json", "--url", server.url], io)).toBe(0);
    expect(io.out.map((l) => JSON.parse(l) as { key: string; name: string; labels: Record<string, string> })).toEqual([
      expect.objectContaining({ key: 'cli.disk{dev="sda",host="web1"}', name: "cli.disk", labels: { dev: "sda", host: "web1" } }),
      expect.objectContaining({ key: "cli.plain", name: "cli.plain", labels: {} }),
    ]);
  });

  it("tail prints a table and stops cleanly on abort (Ctrl-C)", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const abort = new AbortController();
    const io = captureIo(abort.signal);
    const done = runCli(["tail", "cli.table", "--url", server.url], io);
    await vi.waitFor(() => expect(io.err.join("\n")).toMatch(/live via ws/), { timeout: 10_000 });
    await push(server.url, "cli.table", 1.5);
    await vi.waitFor(() => expect(io.out.length).toBe(1), { timeout: 10_000 });
    expect(io.out[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}\s+cli\.table\s+1\.5$/);
    abort.abort();
    expect(await done).toBe(0);
  });

  it("says clearly, without a stack trace, when the server is unreachable", async () => {
    const server = await startTestServer();
    const deadUrl = server.url;
    await server.close();
    for (const args of [["series"], ["push", "a.b", "1"], ["tail", "a.*"]]) {
      const { code, stdout, stderr } = await runBin([...args, "--url", deadUrl]);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr).toMatch(/cannot reach the Livedash server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("rejects bad arguments with a message naming the problem and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["push", "bad name!", "1"], /series "bad name!": series name may only contain/],
      [["push", "a.b", "NaN"], /value must be a finite number/],
      [["tail"], /tail needs at least one series name or pattern/],
      [["tail", "a.*", "--transport", "pigeon"], /--transport: transport must be one of/],
      [["tail", 'a{dev=~"(x)\\1"}'], /pattern "a\{dev=~"\(x\)\\1"\}": matcher dev=~: bad regex/],
      [["tail", "a.*", "--aggregate", "median"], /--aggregate: unknown op "median"/],
      [["tail", "a.*", "--by", "host"], /--by: needs --aggregate OP beside it/],
      [["tail", "a.*", "--aggregate", "sum", "--by", "host", "--by", "9x"], /--by\[1\]: "9x": label name must match/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["series", "--url", "not a url"], /--url must be a URL/],
    ];
    for (const [args, message] of cases) {
      const io = captureIo();
      expect(await runCli(args, io)).toBe(2);
      expect(io.err[0]).toMatch(message);
    }
    const { code, stderr } = await runBin(["push", "a.b"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/push needs exactly <series> <value>/);
  });
});
