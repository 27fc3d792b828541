export { startTestServer } from "@livedash/server/testing";
