/**
 * The first `maxLength` characters of `text`, as a string that shares no memory with it. V8's
 * slice() and trim() may answer a view that keeps the whole source alive (a 1 MiB HELP, a 16 MiB
 * scrape body) for as long as the result lives, so text kept past its request goes through here.
 * A lone surrogate becomes U+FFFD: fine for descriptions and units.
 */
export function ownedText(text: string, maxLength: number): string {
  const head = text.length > maxLength ? text.slice(0, maxLength) : text;
  return Buffer.from(head, "utf8").toString("utf8");
}
