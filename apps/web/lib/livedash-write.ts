import { TRPC_PATH } from "@livedash/events";
import type { ActionResult } from "./action-result";
import { fieldOfMessage } from "./action-result";
import type { WriteTarget } from "./server-env";

/** A write the Livedash server does not answer within this is reported as failed. @default 10 s */
const WRITE_TIMEOUT_MS = 10_000;

interface TrpcErrorBody {
  error?: { message?: unknown; data?: { code?: unknown; zodError?: { fieldErrors?: Record<string, unknown> } | null } };
  result?: { data?: unknown };
}

/**
 * Calls one tRPC mutation of the Livedash server over plain HTTP (no transformer: the body is the
 * input, the answer `{ result: { data } }` or `{ error }`) with the ingest token. Runs only inside
 * Server Actions: the token stays on the Next server. `fields` are the input's field names, so a
 * server error that names one (`for: must be a duration…`) is shown beside that field.
 */
export async function callMutation<T>(target: WriteTarget, procedure: string, input: unknown, fields: readonly string[]): Promise<ActionResult<T>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.token !== null) headers.authorization = `Bearer ${target.token}`;
  let res: Response;
  try {
    res = await fetch(`${target.url}${TRPC_PATH}/${procedure}`, { method: "POST", headers, body: JSON.stringify(input), signal: AbortSignal.timeout(WRITE_TIMEOUT_MS), cache: "no-store" });
  } catch (error) {
    return { ok: false, field: null, message: `the Livedash server did not answer (${error instanceof Error ? error.message : String(error)})` };
  }
  let body: TrpcErrorBody | null = null;
  try {
    body = (await res.json()) as TrpcErrorBody;
  } catch {
    // Not JSON (a proxy's error page): the status is all there is to say.
  }
  if (res.ok && body?.result !== undefined) return { ok: true, value: body.result.data as T };
  const message = typeof body?.error?.message === "string" ? body.error.message : `the Livedash server answered HTTP ${res.status}`;
  const zodFields = Object.keys(body?.error?.data?.zodError?.fieldErrors ?? {});
  // CONFLICT and NOT_FOUND are about the thing named (a rules-file rule, a rule or silence gone).
  const named = (body?.error?.data?.code === "CONFLICT" || body?.error?.data?.code === "NOT_FOUND") && fields.includes("name") ? "name" : null;
  const field = zodFields.find((f) => fields.includes(f)) ?? fieldOfMessage(message, fields) ?? named;
  if (res.status === 401) return { ok: false, field: null, message: `${message} (is LIVEDASH_INGEST_TOKEN set on the dashboard's server?)` };
  return { ok: false, field, message };
}
