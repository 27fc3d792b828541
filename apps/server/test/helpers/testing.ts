// `@livedash/server/testing`: the fixtures other workspaces' tests start (a real server in-process, a
// throwaway redis-server), so there is one of each.
export { ingest, startTestServer } from "./server";
export { startRedis } from "./redis-server";
export type { TestRedis } from "./redis-server";
