import type { AlertNotification, AlertRule, AlertTransition } from "@livedash/events";

const STATE_WORD: Record<AlertTransition["to"], string> = { ok: "OK", pending: "PENDING", firing: "FIRING", resolved: "RESOLVED" };

/** The notification of a transition, and the body its webhook gets (`format: slack`: Slack's incoming-webhook JSON). */
export function notificationBody(transition: AlertTransition, rule: AlertRule, baseUrl: string): string {
  const notification: AlertNotification = {
    id: transition.id,
    rule: transition.rule,
    series: transition.series,
    value: transition.value,
    state: transition.to,
    previous: transition.from,
    ts: transition.ts,
    severity: transition.severity,
    description: transition.description,
    links: {
      alerts: `${baseUrl}/api/alerts`,
      history: `${baseUrl}/trpc/metrics.history?input=${encodeURIComponent(JSON.stringify({ series: [transition.series], from: transition.ts - 3_600_000, to: transition.ts + 600_000 }))}`,
      annotations: `${baseUrl}/api/annotations?from=${transition.ts - 3_600_000}&to=${transition.ts + 600_000}`,
    },
  };
  if (rule.format === "json") return JSON.stringify(notification);
  const text = `[${STATE_WORD[transition.to]}] ${transition.rule} on ${transition.series}${transition.value === null ? " (no data)" : `: ${transition.value}`} (${transition.severity})`;
  return JSON.stringify({
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${text}*${transition.description ? `\n${transition.description}` : ""}` } },
      { type: "context", elements: [{ type: "mrkdwn", text: `<${notification.links.alerts}|alerts> · <${notification.links.history}|history> · ${new Date(transition.ts).toISOString()}` }] },
    ],
    // The structured notification rides along for receivers that read it; Slack ignores unknown keys.
    livedash: notification,
  });
}

/** The annotation text of a transition (what a chart marker shows on hover). */
export function transitionAnnotation(transition: AlertTransition): string {
  return `${transition.rule} ${STATE_WORD[transition.to].toLowerCase()} on ${transition.series}${transition.value === null ? "" : ` (${transition.value})`}`;
}
