import type { Lease, LeaseRedis } from './lease.js';
import { acquireLease } from './lease.js';

export interface Leadership {
  isLeader(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One leader among the worker processes for work that every process could do but only one
 * should (applying pod events to worker rows): a lease, extended at a third of its life. A leader
 * that dies loses it within `ttlMs`; `onElected` lets the new one catch up.
 */
export function createLeadership(
  redis: LeaseRedis,
  key: string,
  opts: { ttlMs?: number; onElected?: () => void; onError?: (err: unknown) => void } = {},
): Leadership {
  const ttl = opts.ttlMs ?? 15_000;
  let lease: Lease | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function tick(): Promise<void> {
    try {
      if (lease) {
        if (!(await lease.extend())) lease = undefined;
      } else {
        lease = await acquireLease(redis, key, ttl);
        if (lease) opts.onElected?.();
      }
    } catch (err) {
      lease = undefined;
      opts.onError?.(err);
    }
  }

  return {
    isLeader: () => lease !== undefined,
    async start() {
      await tick();
      timer = setInterval(() => void tick(), Math.floor(ttl / 3));
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      const held = lease;
      lease = undefined;
      await held?.release().catch(() => undefined);
    },
  };
}
