/**
 * JSON text of an object shared by many subscribers (a hosts.live snapshot: the feed hands every
 * subscription the same event object), serialized once however many sockets send it. Keyed weakly, so
 * an entry lives exactly as long as the event it was made from.
 */
const texts = new WeakMap<object, string>();

export function sharedJson(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}
