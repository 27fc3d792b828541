#!/usr/bin/env node
// `npm start` after `npm run build`: runs the Livedash server and the dashboard together.
//
//   server     node apps/server/dist/main.js         on SERVER_PORT (default 4000)
//   dashboard  next start -H 127.0.0.1 -p WEB_PORT   (default 3000), LIVEDASH_URL pointing at the server
//
// Prints the URL to open once both answer, forwards SIGINT/SIGTERM to both, and exits when either
// one dies (stopping the other), with that child's exit code.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const serverPort = process.env.SERVER_PORT ?? "4000";
const webPort = process.env.WEB_PORT ?? "3000";
const host = "127.0.0.1";
const serverUrl = process.env.LIVEDASH_URL ?? `http://${host}:${serverPort}`;
const webUrl = `http://${host}:${webPort}`;
const nextBin = [path.join(root, "apps/web/node_modules/.bin/next"), path.join(root, "node_modules/.bin/next")].find((p) => existsSync(p));
const serverEntry = path.join(root, "apps/server/dist/main.js");
for (const [what, file] of [["the server build (apps/server/dist/main.js)", serverEntry], ["the dashboard build (apps/web/.next)", path.join(root, "apps/web/.next/BUILD_ID")]]) {
  if (!existsSync(file)) {
    console.error(`start-all: ${what} is missing; run \`npm run build\` first (\`npm start\` does).`);
    process.exit(1);
  }
}
if (nextBin === undefined) {
  console.error("start-all: next is not installed; run `npm install`.");
  process.exit(1);
}

// The server refuses LIVEDASH_* settings it does not know, and LIVEDASH_URL is the dashboard's.
const serverEnv = { ...process.env, PORT: serverPort };
delete serverEnv.LIVEDASH_URL;
if (serverEnv.LIVEDASH_ALLOWED_ORIGINS === undefined) serverEnv.LIVEDASH_ALLOWED_ORIGINS = `${webUrl},http://localhost:${webPort}`;
// History lives beside the repository (the server runs in apps/server), not inside a workspace.
if (serverEnv.LIVEDASH_DATA_DIR === undefined) serverEnv.LIVEDASH_DATA_DIR = path.join(root, "livedash-data");
const webEnv = { ...process.env, PORT: webPort, LIVEDASH_URL: serverUrl, NEXT_TELEMETRY_DISABLED: "1" };

const children = [
  { name: "server", child: spawn(process.execPath, [serverEntry], { cwd: path.join(root, "apps/server"), env: serverEnv, stdio: "inherit" }) },
  { name: "dashboard", child: spawn(nextBin, ["start", "-H", host, "-p", webPort], { cwd: path.join(root, "apps/web"), env: webEnv, stdio: "inherit" }) },
];

let exiting = false;
function stopAll(signal) {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
for (const { name, child } of children) {
  child.on("exit", (code, signal) => {
    if (!exiting) {
      exiting = true;
      console.error(`start-all: the ${name} exited (${signal ?? `code ${code}`}); stopping the other.`);
      stopAll("SIGTERM");
    }
    if (children.every(({ child: c }) => c.exitCode !== null || c.signalCode !== null)) process.exit(code ?? 1);
  });
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    exiting = true;
    stopAll(signal);
  });
}

// Announce once both answer; give up announcing (not running) after a minute.
const deadline = Date.now() + 60_000;
const ok = (url) => fetch(url).then((r) => r.ok, () => false);
while (!exiting && Date.now() < deadline) {
  if ((await ok(`${serverUrl}/healthz`)) && (await ok(webUrl))) {
    console.log(`\nLivedash is up. Open the dashboard: ${webUrl}\n  (server ${serverUrl}; Ctrl+C stops both)\n`);
    break;
  }
  await new Promise((r) => setTimeout(r, 250));
}
