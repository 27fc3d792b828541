import { readFile, stat } from "node:fs/promises";
import { errorCode } from "../error-code";

export type TokenFileResult = { ok: true; token: string; warning: string | null } | { ok: false; message: string };

/** Longest token read; the file is a secret of a few dozen bytes, not a log. */
const MAX_TOKEN_FILE_BYTES = 4096;

/**
 * Reads the ingest token from `path` (one line; surrounding whitespace and the final newline
 * ignored). Messages name the file, never its content. A file others may read is accepted with a
 * warning: refusing it would break a start that worked, but the operator should know.
 */
export async function readTokenFile(path: string): Promise<TokenFileResult> {
  let text: string;
  let mode: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, message: `token file ${path} is not a regular file` };
    if (info.size > MAX_TOKEN_FILE_BYTES) return { ok: false, message: `token file ${path} is ${info.size} bytes (at most ${MAX_TOKEN_FILE_BYTES}): is it the right file?` };
    mode = info.mode;
    text = await readFile(path, "utf8");
  } catch (error) {
    return { ok: false, message: `cannot read token file ${path} (${errorCode(error) ?? String(error)})` };
  }
  const token = text.trim();
  if (token.length === 0) return { ok: false, message: `token file ${path} is empty: put the server's LIVEDASH_INGEST_TOKEN in it` };
  if (/\s/.test(token)) return { ok: false, message: `token file ${path} holds more than one word: it must hold only the token` };
  // fetch refuses a header that is not Latin-1, and that would look like "cannot reach" retried forever.
  if (!/^[\x21-\x7e]+$/.test(token)) return { ok: false, message: `token file ${path} holds characters other than visible ASCII: the token must be the server's LIVEDASH_INGEST_TOKEN only` };
  const warning = (mode & 0o077) !== 0 ? `token file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 ${path}` : null;
  return { ok: true, token, warning };
}
