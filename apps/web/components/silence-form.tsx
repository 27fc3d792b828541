"use client";
import { silenceAction } from "../app/alerts/actions";
import type { SilenceFields } from "../lib/alert-form";
import { EMPTY_SILENCE, checkSilence } from "../lib/alert-form";
import { FormField } from "./form-field";
import { useActionForm } from "./use-action-form";

/** Starts from `initial` when mounted (the parent keys it per draft). Creates a silence (`alerts.silence` through a Server Action): by rule, labels or both, a reason and how long. */
export function SilenceForm({ rules, initial, onSaved }: { rules: readonly string[]; initial: SilenceFields | null; onSaved(): void }) {
  const { fields, set, failure, pending, submit, err, invalid } = useActionForm({
    empty: initial ?? EMPTY_SILENCE,
    check: checkSilence,
    action: silenceAction,
    onDone: () => {
      onSaved();
      return EMPTY_SILENCE;
    },
  });

  return (
    <form
      className="alert-form"
      data-testid="silence-form"
      aria-label="New silence"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <FormField label="Rule" field="rule" error={err("rule")}>
        <select name="rule" value={fields.rule} onChange={(e) => set("rule")(e.target.value)}>
          <option value="">— any rule (labels below)</option>
          {fields.rule !== "" && !rules.includes(fields.rule) ? <option value={fields.rule}>{fields.rule}</option> : null}
          {rules.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </FormField>
      <FormField label="Labels (name=value, …)" field="labels" error={err("labels")}>
        <input name="labels" value={fields.labels} onChange={(e) => set("labels")(e.target.value)} placeholder="host=web1" aria-invalid={invalid("labels")} />
      </FormField>
      <FormField label="For" field="duration" error={err("duration", "expiresAt")}>
        <input name="duration" value={fields.duration} onChange={(e) => set("duration")(e.target.value)} placeholder="1h" aria-invalid={invalid("duration", "expiresAt")} />
      </FormField>
      <FormField label="Reason" field="reason" error={err("reason")} wide>
        <input name="reason" value={fields.reason} onChange={(e) => set("reason")(e.target.value)} placeholder="maintenance on web1" aria-invalid={invalid("reason")} />
      </FormField>
      <div className="form-actions">
        <button type="submit" disabled={pending} data-testid="silence-save">
          Silence
        </button>
        {failure !== null && failure.field === null ? (
          <span className="field-error" role="alert" data-field-error="form">
            {failure.message}
          </span>
        ) : null}
      </div>
    </form>
  );
}
