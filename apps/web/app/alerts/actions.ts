"use server";
import { AlertRuleNameSchema, AlertRuleInputSchema, SilenceInputSchema } from "@livedash/events";
import type { Silence } from "@livedash/events";
import type { ActionResult } from "../../lib/action-result";
import { zodFailure } from "../../lib/action-result";
import { AuthError, requireWriter } from "../../lib/auth/guard";
import { RULE_FIELDS, SILENCE_FIELDS } from "../../lib/alert-fields";
import { callMutation } from "../../lib/livedash-write";
import { readWriteTarget } from "../../lib/server-env";

/*
 * The alerts page's writes. The browser never holds the ingest token: it calls these Server Actions
 * (Next checks Origin against Host for them), which validate the input with the wire schemas of
 * @livedash/events (arguments of an action are untrusted like any request body) and call the
 * Livedash server with LIVEDASH_INGEST_TOKEN from this server's env. Each starts with AUTH's
 * requireWriter() (a session with the editor or admin role when sign-in is on); a refusal is
 * answered as a result the form shows, not thrown (Next hides a thrown error's text in production).
 */

function denied(error: unknown): { ok: false; field: null; message: string } {
  if (error instanceof AuthError) return { ok: false, field: null, message: error.message };
  throw error;
}

/** Creates or replaces a rule saved from the dashboard (`alerts.saveRule`). */
export async function saveRuleAction(input: unknown): Promise<ActionResult> {
  try {
    await requireWriter();
  } catch (error) {
    return denied(error);
  }
  const parsed = AlertRuleInputSchema.safeParse(input);
  if (!parsed.success) return zodFailure(parsed.error);
  const result = await callMutation(readWriteTarget(), "alerts.saveRule", input, RULE_FIELDS);
  return result.ok ? { ok: true, value: undefined } : result;
}

/** Deletes a rule saved from the dashboard (rules-file rules answer CONFLICT: edit the file). */
export async function deleteRuleAction(name: unknown): Promise<ActionResult> {
  try {
    await requireWriter();
  } catch (error) {
    return denied(error);
  }
  const parsed = AlertRuleNameSchema.safeParse(name);
  if (!parsed.success) return zodFailure({ issues: parsed.error.issues.map((issue) => ({ ...issue, path: ["name"] })) });
  const result = await callMutation(readWriteTarget(), "alerts.deleteRule", { name: parsed.data }, ["name"]);
  return result.ok ? { ok: true, value: undefined } : result;
}

/** Creates a silence (`alerts.silence`): by rule, labels or both, with a reason and an expiry. */
export async function silenceAction(input: unknown): Promise<ActionResult<Silence>> {
  try {
    await requireWriter();
  } catch (error) {
    return denied(error);
  }
  const parsed = SilenceInputSchema.safeParse(input);
  if (!parsed.success) return zodFailure(parsed.error);
  return callMutation<Silence>(readWriteTarget(), "alerts.silence", input, SILENCE_FIELDS);
}

/** Ends a silence now (`alerts.unsilence`). */
export async function expireSilenceAction(id: unknown): Promise<ActionResult> {
  try {
    await requireWriter();
  } catch (error) {
    return denied(error);
  }
  if (typeof id !== "string" || id.length === 0 || id.length > 100) return { ok: false, field: "id", message: "id: must be a silence id (1 to 100 characters)" };
  const result = await callMutation(readWriteTarget(), "alerts.unsilence", { id }, ["id"]);
  return result.ok ? { ok: true, value: undefined } : result;
}
