/**
 * Refused logins per client address in a sliding window: after `maxFailures` within `windowMs`
 * the address must wait until the oldest of them leaves the window. Kept in this process's
 * memory (each web replica counts its own), bounded to `maxClients` addresses.
 */
export interface LoginThrottle {
  /** Seconds to wait before another attempt, or 0 when the address may try now. */
  retryAfterSeconds(client: string): number;
  fail(client: string): void;
  succeed(client: string): void;
}

export function createLoginThrottle(
  o: { maxFailures?: number; windowMs?: number; maxClients?: number; now?: () => number } = {},
): LoginThrottle {
  const max = o.maxFailures ?? 5;
  const windowMs = o.windowMs ?? 60_000;
  const maxClients = o.maxClients ?? 10_000;
  const now = o.now ?? Date.now;
  const failures = new Map<string, number[]>();

  const recent = (client: string): number[] => {
    const cutoff = now() - windowMs;
    const list = (failures.get(client) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) failures.delete(client);
    else failures.set(client, list);
    return list;
  };

  return {
    retryAfterSeconds(client) {
      const list = recent(client);
      if (list.length < max) return 0;
      return Math.max(1, Math.ceil((list[list.length - max]! + windowMs - now()) / 1000));
    },
    fail(client) {
      const list = recent(client);
      list.push(now());
      failures.delete(client);
      failures.set(client, list.slice(-max));
      // Maps iterate in insertion order: the address that failed longest ago goes first.
      while (failures.size > maxClients) failures.delete(failures.keys().next().value!);
    },
    succeed(client) {
      failures.delete(client);
    },
  };
}
