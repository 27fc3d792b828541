"use client";
import { useState } from "react";
import { saveRuleAction } from "../app/alerts/actions";
import type { RuleFields } from "../lib/alert-form";
import { EMPTY_RULE, checkRule } from "../lib/alert-form";
import { FormField } from "./form-field";
import { useActionForm } from "./use-action-form";

/**
 * Creates or edits a rule kept by the server (`alerts.saveRule` through a Server Action). Checked
 * in the browser with the wire schema first (instant, each error beside its field); what only the
 * server can judge (a selector's regex, a name the rules file holds) comes back the same way.
 * The parent gives it a new `key` for each rule it edits: the form starts from `initial` when mounted.
 */
export function RuleForm({ initial, editing, onSaved, onCancel }: { initial: RuleFields | null; editing: boolean; onSaved(name: string): void; onCancel(): void }) {
  const [saved, setSaved] = useState<string | null>(null);
  const { fields, set, failure, pending, submit, err, invalid } = useActionForm({
    empty: initial ?? EMPTY_RULE,
    check: checkRule,
    action: saveRuleAction,
    onDone: (done: RuleFields) => {
      setSaved(done.name);
      onSaved(done.name);
      return editing ? done : EMPTY_RULE;
    },
  });

  return (
    <form
      className="alert-form"
      data-testid="rule-form"
      aria-label={editing ? `Edit rule ${fields.name}` : "New rule"}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      noValidate
    >
      <FormField label="Name" field="name" error={err("name")}>
        <input name="name" value={fields.name} onChange={(e) => set("name")(e.target.value)} readOnly={editing} aria-invalid={invalid("name")} placeholder="cpu-high" />
      </FormField>
      <FormField label="Series (selector)" field="series" error={err("series")}>
        <input name="series" value={fields.series} onChange={(e) => set("series")(e.target.value)} aria-invalid={invalid("series")} placeholder='host.cpu.total{host="web1"}' />
      </FormField>
      <FormField label="Condition" field="condition" error={err("above", "below", "noData")}>
        <span style={{ display: "flex", gap: 4 }}>
          <select name="condition" value={fields.condition} onChange={(e) => set("condition")(e.target.value as RuleFields["condition"])} aria-label="Condition kind">
            <option value="above">above</option>
            <option value="below">below</option>
            <option value="noData">no data for</option>
          </select>
          <input name="threshold" value={fields.threshold} onChange={(e) => set("threshold")(e.target.value)} aria-label="Threshold" aria-invalid={invalid("above", "below", "noData")} placeholder={fields.condition === "noData" ? "30s" : "90"} />
        </span>
      </FormField>
      <FormField label="Clear at (hysteresis)" field="clear" error={err("clear")}>
        <input name="clear" value={fields.clear} onChange={(e) => set("clear")(e.target.value)} disabled={fields.condition === "noData"} aria-invalid={invalid("clear")} placeholder="the threshold" />
      </FormField>
      <FormField label="For (pending before firing)" field="for" error={err("for")}>
        <input name="for" value={fields.for} onChange={(e) => set("for")(e.target.value)} aria-invalid={invalid("for")} placeholder="5s" />
      </FormField>
      <FormField label="Severity" field="severity" error={err("severity")}>
        <select name="severity" value={fields.severity} onChange={(e) => set("severity")(e.target.value as RuleFields["severity"])}>
          <option value="info">info</option>
          <option value="warning">warning</option>
          <option value="critical">critical</option>
        </select>
      </FormField>
      <FormField label="Webhook (optional)" field="webhook" error={err("webhook", "format")}>
        <span style={{ display: "flex", gap: 4 }}>
          <input name="webhook" value={fields.webhook} onChange={(e) => set("webhook")(e.target.value)} aria-invalid={invalid("webhook")} placeholder="https://hooks.example.com/…" />
          <select name="format" value={fields.format} onChange={(e) => set("format")(e.target.value as RuleFields["format"])} aria-label="Webhook format">
            <option value="json">json</option>
            <option value="slack">slack</option>
          </select>
        </span>
      </FormField>
      <FormField label="Description" field="description" error={err("description")} wide>
        <input name="description" value={fields.description} onChange={(e) => set("description")(e.target.value)} aria-invalid={invalid("description")} />
      </FormField>
      <div className="form-actions">
        <button type="submit" disabled={pending} data-testid="rule-save">
          {editing ? "Save rule" : "Create rule"}
        </button>
        {editing ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        {failure !== null && failure.field === null ? (
          <span className="field-error" role="alert" data-field-error="form">
            {failure.message}
          </span>
        ) : null}
        {saved !== null && failure === null ? <span className="meta" role="status">Saved {saved}.</span> : null}
      </div>
    </form>
  );
}
