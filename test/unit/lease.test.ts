import { afterAll, describe, expect, it } from 'vitest';
import { acquireLease, withLease } from '../../src/queues/lease.js';
import { createTestRedis } from '../helpers/stores.js';
import { waitFor } from '../helpers/wait.js';

const store = createTestRedis();
afterAll(() => store.drop());

describe('leases (real Redis)', () => {
  it('keeps a key to one holder for as long as its run lasts, extending it, then frees it', async () => {
    const key = `${store.prefix}:lock:long`;
    let finish!: () => void;
    const running = new Promise<void>((r) => (finish = r));
    // A TTL long enough that a busy CI machine's event-loop stalls do not starve the extensions.
    const long = withLease(store.redis, key, 600, async () => {
      await running;
      return 'done';
    });
    // Twice the TTL (Redis's own clock): only the extensions keep the key held.
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await withLease(store.redis, key, 600, () => Promise.resolve('second'))).toBe('busy');
    finish();
    expect(await long).toBe('done');
    expect(await store.redis.exists(key)).toBe(0);
    expect(await withLease(store.redis, key, 150, () => Promise.resolve('third'))).toBe('third');
  });

  it('a holder that died (no extension) blocks the key for its TTL at most', async () => {
    const key = `${store.prefix}:lock:dead`;
    await store.redis.set(key, 'killed-process', 'PX', 200);
    expect(await withLease(store.redis, key, 200, () => Promise.resolve(1))).toBe('busy');
    await waitFor(async () => (await store.redis.exists(key)) === 0, { what: 'the lease lapsed' });
    expect(await withLease(store.redis, key, 200, () => Promise.resolve(2))).toBe(2);
  });

  it('only its holder extends or releases a lease; a lapsed one cannot be extended', async () => {
    const key = `${store.prefix}:lock:held`;
    const a = await acquireLease(store.redis, key, 200);
    expect(a).toBeDefined();
    expect(await acquireLease(store.redis, key, 200)).toBeUndefined();
    await store.redis.set(key, 'someone-else', 'PX', 10_000);
    expect(await a!.extend()).toBe(false);
    await a!.release();
    expect(await store.redis.get(key)).toBe('someone-else');
  });
});
