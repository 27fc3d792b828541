import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { buildDeclarations, findLeak } from "../build-types.mjs";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = path.resolve(packageDir, "../..");
// Under the package so the consumer resolves @trpc/* and zod from node_modules, as a real one would.
const workDir = path.join(packageDir, ".tmp", `declarations-test-${process.pid}`);

/** A consumer of the published client: it sees only dist/*.d.ts, and wrong calls must not compile. */
const CONSUMER = `
import { createLivedashClient } from "@livedash/client/node";
import type { ConnectionState, LiveEvent, Point } from "@livedash/client";

export async function consumer(): Promise<number> {
  const client = createLivedashClient({ url: "http://127.0.0.1:1" });
  const state: ConnectionState = client.connection.get();
  const transport: "ws" | "sse" | "poll" = state.transport;
  client.trpc.metrics.live.subscribe({ series: ["host.cpu.*"] }, {
    onData(envelope) {
      const id: string = envelope.id;
      const event: LiveEvent = envelope.data;
      if (event.type === "points") {
        const first: Point | undefined = event.points[0];
        void first;
      }
      void id;
    },
  });
  // @ts-expect-error series must be an array of strings
  client.trpc.metrics.live.subscribe({ series: "host.cpu.*" }, {});
  // @ts-expect-error value must be a number
  await client.trpc.metrics.ingest.mutate({ points: [{ series: "a", value: "1" }] });
  // @ts-expect-error no such procedure
  await client.trpc.metrics.nope.query();
  const history = await client.trpc.metrics.history.query({ series: ["a"] });
  void transport;
  return history[0]?.points[0]?.max ?? 0;
}
`;

function compileConsumer(dir: string) {
  const file = path.join(dir, "consumer.ts");
  writeFileSync(file, CONSUMER);
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    types: ["node"],
    paths: { "@livedash/client": [path.join(dir, "index.d.ts")], "@livedash/client/node": [path.join(dir, "node.d.ts")] },
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  const files = program.getSourceFiles().map((source) => path.relative(repoRoot, source.fileName));
  return { diagnostics, files };
}

describe("published declarations", () => {
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  // Three whole-program compiles (tsc emit, the bundler's own program, the consumer): about 30-50 s on
  // a quiet 2-core box and twice that under load. The limit is a hang guard, not a speed assertion.
  it("bundle the router and wire types, and a consumer compiles against them alone", { timeout: 300_000 }, async () => {
    mkdirSync(workDir, { recursive: true });
    await buildDeclarations(workDir);
    const { diagnostics, files } = compileConsumer(workDir);
    expect(diagnostics).toEqual([]);
    // Nothing of the workspace's sources was needed: only the bundles and npm packages' own types.
    const workspaceSources = files.filter((file) => /^(apps|packages)\//.test(file) && !file.startsWith(path.relative(repoRoot, workDir)));
    expect(workspaceSources).toEqual([]);
  });

  it("the leak check names a workspace package or a repository path", () => {
    expect(findLeak(`import { TRPCClient } from '@trpc/client';`)).toBeNull();
    expect(findLeak(`import type { AppRouter } from "@livedash/api";`)).toBe("@livedash/api");
    expect(findLeak(`type X = import("../../apps/server/src/services").Services;`)).toBe("../../apps/server/src/services");
  });
});
