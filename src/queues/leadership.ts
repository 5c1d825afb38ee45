import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Extend the lease only if we still hold it (a compare-and-set Redis cannot do in one command).
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface Leadership {
  isLeader(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One leader among the worker processes for work that every process could do but only one
 * should (applying pod events to worker rows): a Redis key with a lease, renewed at a third of its
 * life. A leader that dies loses the lease within `ttlMs`; `onElected` lets the new one catch up.
 */
export function createLeadership(
  redis: Pick<Redis, 'set' | 'eval'>,
  key: string,
  opts: { ttlMs?: number; onElected?: () => void; onError?: (err: unknown) => void } = {},
): Leadership {
  const id = randomBytes(8).toString('hex');
  const ttl = opts.ttlMs ?? 15_000;
  let leader = false;
  let timer: NodeJS.Timeout | undefined;

  async function tick(): Promise<void> {
    try {
      if (leader) {
        leader = (await redis.eval(EXTEND, 1, key, id, String(ttl))) === 1;
      } else if ((await redis.set(key, id, 'PX', ttl, 'NX')) === 'OK') {
        leader = true;
        opts.onElected?.();
      }
    } catch (err) {
      leader = false;
      opts.onError?.(err);
    }
  }

  return {
    isLeader: () => leader,
    async start() {
      await tick();
      timer = setInterval(() => void tick(), Math.floor(ttl / 3));
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      if (leader) await redis.eval(RELEASE, 1, key, id).catch(() => undefined);
      leader = false;
    },
  };
}
