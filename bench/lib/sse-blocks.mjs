/**
 * Text-level SSE reader for load clients that need each event's `id:` (to resume) as well as its data
 * (bench/soak-clients.mjs, the reliability suite's storm worker). One event per block, one `data:`
 * line per event, as both of the server's SSE dialects write them.
 * @param {(block: { id: string | undefined, event: string | undefined, data: string | undefined }) => void} onBlock
 * @returns {(chunk: string) => void} feed it every decoded chunk
 */
export function createSseBlockReader(onBlock) {
  let pending = "";
  return (chunk) => {
    pending += chunk;
    let end = pending.indexOf("\n\n");
    // Bounded by the chunk: each pass consumes one block.
    while (end !== -1) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      end = pending.indexOf("\n\n");
      onBlock({ id: /^id: (.*)$/m.exec(block)?.[1], event: /^event: (.*)$/m.exec(block)?.[1], data: /^data: (.*)$/m.exec(block)?.[1] });
    }
  };
}
