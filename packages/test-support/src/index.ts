export { freePort } from "./free-port";
export { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE, launchChromium, launchChromiumContext } from "./chromium";
export type { ChromiumContext } from "./chromium";
export { startPeer } from "./peer-process";
export type { PeerOptions, PeerProcess } from "./peer-process";
