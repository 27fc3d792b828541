/**
 * Redis Stream ids: `<ms>-<seq>`, both unsigned 64-bit decimals. Redis never writes leading zeros,
 * so two ids compare numerically by (length, text) per part without BigInt. Ids with leading zeros
 * are refused: Redis would not have made them, and accepting them would make compare ambiguous.
 */
const STREAM_ID_RE = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/;

/** The id before every entry Redis will ever assign (XADD refuses 0-0). */
export const STREAM_START_ID = "0-0";

export function isStreamId(id: string): boolean {
  return STREAM_ID_RE.test(id);
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** <0, 0, >0 like a sort comparator; throws on anything that is not a Redis Stream id. */
export function compareStreamIds(a: string, b: string): number {
  const pa = STREAM_ID_RE.exec(a);
  const pb = STREAM_ID_RE.exec(b);
  if (!pa || !pb) throw new Error(`not a redis stream id: ${JSON.stringify(!pa ? a : b)} (expected <ms>-<seq>)`);
  return compareDecimal(pa[1]!, pb[1]!) || compareDecimal(pa[2]!, pb[2]!);
}

/** The smallest stream id after `id` (`<ms>-<seq+1>`): an id no entry before it can carry. */
export function nextStreamId(id: string): string {
  const match = STREAM_ID_RE.exec(id);
  if (!match) throw new Error(`not a redis stream id: ${JSON.stringify(id)} (expected <ms>-<seq>)`);
  const seq = BigInt(match[2]!);
  if (seq < 2n ** 64n - 1n) return `${match[1]}-${seq + 1n}`;
  return `${BigInt(match[1]!) + 1n}-0`;
}
