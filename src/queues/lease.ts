import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export type LeaseRedis = Pick<Redis, 'set' | 'eval'>;

// Compare-and-act on a lease key: only its holder (the token) may extend or release it, which
// Redis cannot check in one plain command.
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** A Redis key held with a token for `ttlMs`, until extended or released by its holder. */
export interface Lease {
  readonly key: string;
  /** True while still held (false once another process took the key after it lapsed). */
  extend(): Promise<boolean>;
  release(): Promise<void>;
}

/** Takes `key` for `ttlMs` if nobody holds it; undefined when somebody does. */
export async function acquireLease(
  redis: LeaseRedis,
  key: string,
  ttlMs: number,
): Promise<Lease | undefined> {
  const token = randomBytes(8).toString('hex');
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
  return {
    key,
    extend: async () => (await redis.eval(EXTEND, 1, key, token, String(ttlMs))) === 1,
    release: async () => void (await redis.eval(RELEASE, 1, key, token)),
  };
}

/**
 * Runs `run` holding `key`, or answers 'busy' when another process holds it. The lease is extended
 * every third of `ttlMs` while `run` runs, so a holder that dies blocks the key for `ttlMs` at
 * most, however long a run may take.
 */
export async function withLease<T>(
  redis: LeaseRedis,
  key: string,
  ttlMs: number,
  run: () => Promise<T>,
): Promise<T | 'busy'> {
  const lease = await acquireLease(redis, key, ttlMs);
  if (!lease) return 'busy';
  const renew = setInterval(
    () => void lease.extend().catch(() => undefined),
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  try {
    return await run();
  } finally {
    clearInterval(renew);
    await lease.release();
  }
}
