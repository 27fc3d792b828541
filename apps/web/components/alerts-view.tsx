"use client";
import { ALERT_STATE_SERIES } from "@livedash/events";
import type { AlertRuleStatus } from "@livedash/events";
import { useEffect, useMemo, useState, useTransition } from "react";
import { deleteRuleAction, expireSilenceAction } from "../app/alerts/actions";
import type { RuleFields, SilenceFields } from "../lib/alert-form";
import { EMPTY_SILENCE, ruleFieldsOf } from "../lib/alert-form";
import { activeAlerts } from "../lib/alert-state";
import { AlertsWatch } from "../lib/alerts-watch";
import { openClient } from "../lib/open-client";
import { useAlertsSnapshot } from "../lib/use-alerts";
import { resolveServerUrl } from "../lib/view-state";
import { AlertBell } from "./alert-bell";
import { PageNav } from "./page-nav";
import type { TopBarUser } from "./user-menu";
import { UserMenu } from "./user-menu";
import { ActiveAlertTable, RuleTable, SilenceTable, TransitionTable } from "./alert-tables";
import { RuleForm } from "./rule-form";
import { SilenceForm } from "./silence-form";

/** A failed subscription is tried again after this; the periodic re-read covers the gap meanwhile. */
const RESUBSCRIBE_MS = 5_000;

/** The watch of this page: `alerts.list`, re-read on every transition point of the page's one subscription. */
function useAlertsWatch(serverUrl: string | null): { watch: AlertsWatch | null; error: string | null } {
  const [watch, setWatch] = useState<AlertsWatch | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const client = openClient({ url: resolveServerUrl(serverUrl) });
    const alerts = new AlertsWatch({
      load: async () => {
        const list = await client.alerts();
        setError(null);
        return list;
      },
      onError: (e) => setError(e instanceof Error ? e.message : String(e)),
    });
    let sub: { unsubscribe(): void } | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const subscribe = () => {
      sub = client.subscribeLive(
        { series: [ALERT_STATE_SERIES] },
        {
          onData: (event) => {
            if (event.data.type === "points" || event.data.type === "reset") alerts.kick();
          },
          onError: (e) => {
            setError(e instanceof Error ? e.message : String(e));
            sub = null;
            retry = setTimeout(subscribe, RESUBSCRIBE_MS);
          },
        },
      );
    };
    subscribe();
    alerts.start();
    setWatch(alerts);
    return () => {
      clearTimeout(retry);
      sub?.unsubscribe();
      alerts.close();
      client.close();
      setWatch(null);
    };
  }, [serverUrl]);
  return { watch, error };
}

/** `/alerts`: firing and pending series (silenced ones marked, never hidden), silences, rules, recent transitions. */
export function AlertsView({ serverUrl, user = null, canWrite = true }: { serverUrl: string | null; user?: TopBarUser | null; canWrite?: boolean }) {
  const { watch, error } = useAlertsWatch(serverUrl);
  const snapshot = useAlertsSnapshot(watch);
  const [editing, setEditing] = useState<RuleFields | null>(null);
  // A draft from a row's "Silence…" button; seq remounts the form with it (a second click on the same rule too).
  const [silenceDraft, setSilenceDraft] = useState<{ seq: number; fields: SilenceFields } | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [, startTransition] = useTransition();
  const list = snapshot?.list ?? null;
  const active = useMemo(() => (list === null ? { firing: [], pending: [] } : activeAlerts(list)), [list]);
  const ruleNames = useMemo(() => list?.rules.map((r) => r.name) ?? [], [list]);

  const run = (action: () => Promise<{ ok: boolean; message?: string }>) =>
    startTransition(async () => {
      const result = await action();
      setActionError(result.ok ? null : (result.message ?? "failed"));
      watch?.kick();
    });
  const silenceRule = (rule: string) => {
    setSilenceDraft((d) => ({ seq: (d?.seq ?? 0) + 1, fields: { ...EMPTY_SILENCE, rule } }));
    document.getElementById("silence-form-heading")?.scrollIntoView({ block: "start" });
  };
  const editRule = (status: AlertRuleStatus) => {
    setEditing(ruleFieldsOf(status.rule));
    document.getElementById("rule-form-heading")?.scrollIntoView({ block: "start" });
  };

  return (
    <>
      <header className="topbar">
        <h1>Livedash</h1>
        <PageNav current="/alerts" />
        <span className="spacer" />
        <AlertBell alerts={watch} />
        {user ? <UserMenu user={user} /> : null}
      </header>
      <main className="alerts-grid" data-testid="alerts-page" data-loaded={list !== null ? "true" : "false"}>
        {error !== null ? <p className="error" role="alert">{error}</p> : null}
        {!canWrite ? <p className="meta" data-testid="read-only">Read-only: changing rules and silences needs the editor or admin role.</p> : null}
        {actionError !== null ? <p className="error" role="alert" data-testid="action-error">{actionError}</p> : null}
        {list?.rulesFile.error ? (
          <p className="error" role="alert" data-testid="rules-file-error">
            Rules file {list.rulesFile.path} not applied (the previous rules keep running): {list.rulesFile.error}
          </p>
        ) : null}
        <section className="panel" aria-labelledby="alerts-firing" data-section="firing">
          <h2 id="alerts-firing">Firing ({active.firing.length})</h2>
          <ActiveAlertTable rows={active.firing} caption="Firing" onSilence={canWrite ? silenceRule : null} />
        </section>
        <section className="panel" aria-labelledby="alerts-pending" data-section="pending">
          <h2 id="alerts-pending">Pending ({active.pending.length})</h2>
          <ActiveAlertTable rows={active.pending} caption="Pending" onSilence={canWrite ? silenceRule : null} />
        </section>
        <section className="panel" aria-labelledby="silence-form-heading" data-section="silences">
          <h2 id="silence-form-heading">Silences ({list?.silences.length ?? 0} active)</h2>
          <SilenceTable silences={list?.silences ?? []} onExpire={canWrite ? (id) => run(() => expireSilenceAction(id)) : null} />
          {canWrite ? (
            <>
              <h3>New silence</h3>
              <SilenceForm key={silenceDraft?.seq ?? 0} rules={ruleNames} initial={silenceDraft?.fields ?? null} onSaved={() => watch?.kick()} />
            </>
          ) : null}
        </section>
        <section className="panel" aria-labelledby="rule-form-heading" data-section="rules">
          <h2 id="rule-form-heading">Rules ({list?.rules.length ?? 0})</h2>
          <RuleTable rules={list?.rules ?? []} onEdit={canWrite ? editRule : null} onDelete={canWrite ? (name) => run(() => deleteRuleAction(name)) : null} />
          {canWrite ? <h3>{editing !== null ? `Edit rule ${editing.name}` : "New rule"}</h3> : null}
          {canWrite ? <RuleForm
            key={editing === null ? "new" : `edit:${editing.name}`}
            initial={editing}
            editing={editing !== null}
            onSaved={() => {
              setEditing(null);
              watch?.kick();
            }}
            onCancel={() => setEditing(null)}
          /> : null}
        </section>
        <section className="panel" aria-labelledby="alerts-recent" data-section="recent">
          <h2 id="alerts-recent">Recent transitions</h2>
          <TransitionTable transitions={list?.recent ?? []} />
        </section>
      </main>
    </>
  );
}
