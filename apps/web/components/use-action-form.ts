"use client";
import { useState, useTransition } from "react";
import type { ActionResult } from "../lib/action-result";
import { errorFor } from "./form-field";

type Failure = { field: string | null; message: string };

/**
 * A form whose submit is checked in the browser with a wire schema, then sent to a Server Action;
 * either failure lands on the field it names (`err(field)`), or on the form when it names none.
 */
export function useActionForm<F, I>(options: {
  empty: F;
  check(fields: F): ActionResult<I>;
  action(input: I): Promise<ActionResult<unknown>>;
  /** After a successful action; return the fields to show next (the empty form, or the same). */
  onDone(fields: F): F;
}) {
  const [fields, setFields] = useState<F>(options.empty);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [pending, startTransition] = useTransition();
  const set = <K extends keyof F>(key: K) => (value: F[K]) => setFields((f) => ({ ...f, [key]: value }));
  const submit = () => {
    const checked = options.check(fields);
    if (!checked.ok) {
      setFailure(checked);
      return;
    }
    startTransition(async () => {
      const result = await options.action(checked.value);
      if (!result.ok) {
        setFailure(result);
        return;
      }
      setFailure(null);
      setFields(options.onDone(fields));
    });
  };
  const err = (...names: string[]) => errorFor(failure, ...names);
  const invalid = (...names: string[]) => (err(...names) !== null ? true : undefined);
  return { fields, setFields, set, failure, setFailure, pending, submit, err, invalid };
}
