import { formatIssuePath, formatZodIssues } from "@livedash/events";
import type { IssueLike } from "@livedash/events";

/**
 * What a dashboard write (a Server Action) answers: done, or why not with the field to blame, so a
 * form can put the message beside that field. The same shape for the browser's own validation.
 */
export type ActionResult<T = undefined> = { ok: true; value: T } | { ok: false; field: string | null; message: string };

/** A failed zod parse as an ActionResult: the first issue's field, every issue's message (each naming its field). */
export function zodFailure(error: { readonly issues: readonly IssueLike[] }): { ok: false; field: string | null; message: string } {
  const first = error.issues[0];
  const field = first === undefined ? null : formatIssuePath(first.path.slice(0, 1)) || null;
  return { ok: false, field, message: formatZodIssues(error, 5) };
}

/**
 * The field a server message names. The Livedash server says `rule "cpu-high": for: must be …` or
 * `expiresAt: the silence would already be over`: the first `word:` after an optional `rule "…":`
 * prefix, when it is one of `fields`.
 */
export function fieldOfMessage(message: string, fields: readonly string[]): string | null {
  const rest = message.replace(/^(rules?(\[\d+\])?)( "[^"]*")?: /, "");
  const match = /^([A-Za-z][\w.[\]]*): /.exec(rest);
  const name = match?.[1]?.split(/[.[]/)[0];
  return name !== undefined && fields.includes(name) ? name : null;
}
