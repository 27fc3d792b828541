import { closeSubscribers, delay, openSubscribers, round, settledRss } from "../lib/measure.mjs";

/**
 * RSS per idle connection, one fresh server per transport: the first connections on a server also pay
 * for V8 heap growth, so measuring several transports on one server would favour whichever came later.
 * @param {{ subs: any[], args: any, log: (line: string) => void }} ctx
 * @param {{ transports: string[], startRaw: () => Promise<any>, startOurs: () => Promise<any> }} spec
 */
export async function runIdleRss(ctx, spec) {
  const { args, subs, log } = ctx;
  /** @type {Record<string, object>} */
  const byTransport = {};
  for (const transport of spec.transports) {
    const server = await (transport === "raw-ws" ? spec.startRaw() : spec.startOurs());
    try {
      await delay(300);
      const wire = transport === "raw-ws" || transport === "trpc-ws" ? "ws" : transport;
      const rssBefore = server.pid ? await settledRss(server.pid, args.settleMs) : null;
      const opened = await openSubscribers(subs, { url: server.url, transport: wire, count: args.subscribers });
      const rssAfter = server.pid ? await settledRss(server.pid, args.settleMs) : null;
      const perConnKb = rssBefore === null || rssAfter === null || opened.opened === 0 ? null : round((rssAfter - rssBefore) / opened.opened / 1024, 1);
      log(`  ${transport}: ${opened.opened}/${args.subscribers} open in ${Math.round(opened.openMs)} ms, ${perConnKb ?? "n/a"} KB RSS per idle connection` +
        (opened.failed ? `, ${opened.failed} failed: ${opened.errors.join("; ")}` : ""));
      byTransport[transport] = {
        subscribersOpen: opened.opened, subscribersFailed: opened.failed, openErrors: opened.errors, openMs: Math.round(opened.openMs),
        rssBeforeMb: rssBefore === null ? null : round(rssBefore / 1048576, 1),
        rssIdleMb: rssAfter === null ? null : round(rssAfter / 1048576, 1),
        rssPerIdleConnKb: perConnKb,
      };
    } catch (error) {
      byTransport[transport] = { error: error instanceof Error ? error.message : String(error) };
    } finally {
      await closeSubscribers(subs).catch(() => {});
      await server.stop();
    }
  }
  return byTransport;
}
