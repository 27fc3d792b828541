"use client";
import type { AlertRuleStatus, AlertTransition, Silence } from "@livedash/events";
import type { AlertRow } from "../lib/alert-state";
import { formatDuration } from "../lib/alert-form";

const time = (ms: number) => new Date(ms).toLocaleString();
/** A value as read, not as stored: 128.736, not 128.73557328799552 (the row's title has it whole). */
const value = (v: number | null) => (v === null ? "no data" : v.toLocaleString(undefined, { maximumFractionDigits: 3 }));

/** A state as a coloured pill. */
export function StatePill({ state }: { state: string }) {
  return (
    <span className="state" data-state={state}>
      {state}
    </span>
  );
}

/** Firing or pending series; silenced ones stay in the list, marked. */
/** Row actions are absent (null) for a user who may not change anything. */
type Action<A extends unknown[]> = ((...args: A) => void) | null;

export function ActiveAlertTable({ rows, caption, onSilence }: { rows: readonly AlertRow[]; caption: string; onSilence: Action<[rule: string]> }) {
  if (rows.length === 0) return <p className="meta">None.</p>;
  return (
    <table className="alert-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr><th>Rule</th><th>Series</th><th>Severity</th><th>Since</th><th>Value</th><th /></tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.rule}\n${row.series}`} data-alert-row={row.rule} data-series={row.series} data-state={row.state} data-silenced={row.silencedBy.length > 0 ? "true" : "false"}>
            <td>
              <StatePill state={row.state} /> {row.rule}
              {row.silencedBy.length > 0 ? <span className="silenced-tag" title={`silence ${row.silencedBy.join(", ")}`}>silenced</span> : null}
              {row.description ? <div className="meta">{row.description}</div> : null}
            </td>
            <td><code>{row.series}</code></td>
            <td>{row.severity}</td>
            <td>{time(row.since)}</td>
            <td title={row.value === null ? undefined : String(row.value)}>{value(row.value)}</td>
            <td className="actions">
              {onSilence ? <button type="button" onClick={() => onSilence(row.rule)} aria-label={`Silence ${row.rule}`}>Silence…</button> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SilenceTable({ silences, onExpire }: { silences: readonly Silence[]; onExpire: Action<[id: string]> }) {
  if (silences.length === 0) return <p className="meta">No active silences.</p>;
  return (
    <table className="alert-table" data-testid="silences">
      <thead>
        <tr><th>Matches</th><th>Reason</th><th>Expires</th><th>Created</th><th /></tr>
      </thead>
      <tbody>
        {silences.map((s) => (
          <tr key={s.id} data-silence={s.id} data-rule={s.rule ?? ""}>
            <td>
              {s.rule !== null ? <>rule <code>{s.rule}</code></> : null}
              {s.rule !== null && s.labels !== null ? " and " : null}
              {s.labels !== null ? <code>{Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(", ")}</code> : null}
            </td>
            <td data-field="reason">{s.reason}</td>
            <td data-field="expires">{time(s.expiresAt)}</td>
            <td>{time(s.createdAt)}</td>
            <td className="actions">
              {onExpire ? <button type="button" onClick={() => onExpire(s.id)} aria-label={`Expire silence: ${s.reason}`}>Expire now</button> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function conditionOf(status: AlertRuleStatus): string {
  const r = status.rule;
  const clear = r.clear !== undefined ? `, clear ${r.clear}` : "";
  const hold = r.for > 0 ? ` for ${formatDuration(r.for)}` : "";
  if (r.above !== undefined) return `above ${r.above}${clear}${hold}`;
  if (r.below !== undefined) return `below ${r.below}${clear}${hold}`;
  return `no data for ${formatDuration(r.noData ?? 0)}${hold}`;
}

export function RuleTable({ rules, onEdit, onDelete }: { rules: readonly AlertRuleStatus[]; onEdit: Action<[status: AlertRuleStatus]>; onDelete: Action<[name: string]> }) {
  if (rules.length === 0) return <p className="meta">No rules yet: create one below, or name a rules file in LIVEDASH_ALERT_RULES.</p>;
  return (
    <table className="alert-table" data-testid="rules">
      <thead>
        <tr><th>Rule</th><th>Series</th><th>Condition</th><th>State</th><th>Source</th><th /></tr>
      </thead>
      <tbody>
        {rules.map((status) => (
          <tr key={status.name} data-rule={status.name} data-state={status.state}>
            <td>{status.name}<div className="meta">{status.severity}</div></td>
            <td><code>{status.rule.series}</code></td>
            <td>{conditionOf(status)}</td>
            <td><StatePill state={status.state} /> <span className="meta">{status.instanceCount} series</span></td>
            <td>{status.source === "file" ? "rules file" : "dashboard"}</td>
            <td className="actions">
              {status.source === "api" && onEdit && onDelete ? (
                <>
                  <button type="button" onClick={() => onEdit(status)} aria-label={`Edit rule ${status.name}`}>Edit</button>{" "}
                  <button type="button" onClick={() => onDelete(status.name)} aria-label={`Delete rule ${status.name}`}>Delete</button>
                </>
              ) : status.source === "file" ? (
                <span className="meta" title="Rules from the rules file are edited in the file">file</span>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TransitionTable({ transitions }: { transitions: readonly AlertTransition[] }) {
  if (transitions.length === 0) return <p className="meta">No transitions yet.</p>;
  return (
    <table className="alert-table" data-testid="transitions">
      <thead>
        <tr><th>When</th><th>Rule</th><th>Series</th><th>Change</th><th>Value</th></tr>
      </thead>
      <tbody>
        {transitions.map((t) => (
          <tr key={t.id} data-transition={t.id} data-to={t.to}>
            <td>{time(t.ts)}</td>
            <td>{t.rule}</td>
            <td><code>{t.series}</code></td>
            <td>
              <StatePill state={t.from} /> → <StatePill state={t.to} />
              {t.silenced ? <span className="silenced-tag">silenced</span> : null}
            </td>
            <td title={t.value === null ? undefined : String(t.value)}>{value(t.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
