export { freePort } from "./free-port";
export { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE, launchChromium, launchChromiumContext } from "./chromium";
export type { ChromiumContext } from "./chromium";
