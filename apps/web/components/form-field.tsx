"use client";
import type { ReactNode } from "react";

/** A labelled form control with its error beside it (`data-field-error` names the field for tests and styles). */
export function FormField({ label, field, error, wide, children }: { label: string; field: string; error: string | null; wide?: boolean; children: ReactNode }) {
  return (
    <label className={wide ? "wide" : undefined} data-field={field}>
      {label}
      {children}
      {error !== null ? (
        <span className="field-error" role="alert" data-field-error={field} id={`${field}-error`}>
          {error}
        </span>
      ) : null}
    </label>
  );
}

/** The error of `field` when the last result named one of `fields` (a condition shows above, below and noData). */
export function errorFor(result: { field: string | null; message: string } | null, ...fields: string[]): string | null {
  return result !== null && result.field !== null && fields.includes(result.field) ? result.message : null;
}
