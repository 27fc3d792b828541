/**
 * The subscriptions of one connection waiting for its buffer to drain. Every slowed subscription
 * waits on the same connection, so they share one notification: a socket carries one 'drain'
 * listener however many subscriptions it holds (not N, which Node flags as a leak past 10).
 */
export function createDrainListeners(hooks: { first?: () => void; last?: () => void } = {}) {
  const listeners = new Set<() => void>();
  const notify = () => {
    // A listener may remove others (or itself) while this runs: a removed one is not called.
    for (const listener of [...listeners]) if (listeners.has(listener)) listener();
  };
  return {
    notify,
    /** Calls back at each drain until removed; returns the remover (idempotent). */
    add(listener: () => void): () => void {
      // Wrapped, so the same function added twice is two registrations, each removed on its own.
      const entry = () => listener();
      if (listeners.size === 0) hooks.first?.();
      listeners.add(entry);
      return () => {
        if (listeners.delete(entry) && listeners.size === 0) hooks.last?.();
      };
    },
  };
}
