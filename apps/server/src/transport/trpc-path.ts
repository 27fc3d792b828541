import { TRPC_PATH } from "@livedash/events";

/**
 * The procedure path tRPC's standalone handler resolves for a `/trpc/...` URL, computed the same way
 * (one leading and one trailing slash trimmed, then percent-decoded), so our routes and limits see the
 * call tRPC will serve: `/trpc/metrics%2Elive` and `/trpc/metrics.live/` are `metrics.live` to tRPC
 * and must be to us too. Null when the path is not under /trpc/ or its escapes are malformed (tRPC
 * answers those 400 itself).
 */
export function trpcProcedurePath(pathname: string): string | null {
  if (!pathname.startsWith(`${TRPC_PATH}/`)) return null;
  let path = pathname.slice(TRPC_PATH.length + 1);
  if (path.endsWith("/")) path = path.slice(0, -1);
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}
