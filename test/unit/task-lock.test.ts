import { afterAll, describe, expect, it } from 'vitest';
import { withTaskLock } from '../../src/repeatables/schedule.js';
import { createTestRedis } from '../helpers/stores.js';

const store = createTestRedis();
afterAll(() => store.drop());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withTaskLock (real Redis)', () => {
  it('keeps the task to one holder for as long as its pass runs, then frees it', async () => {
    const key = `${store.prefix}:lock:long`;
    const long = withTaskLock(store.redis, key, 300, async () => {
      await sleep(1_000);
      return 'done';
    });
    await sleep(650); // over twice the TTL: only renewal keeps the lock
    expect(await withTaskLock(store.redis, key, 300, () => Promise.resolve('second'))).toBe('busy');
    expect(await long).toBe('done');
    expect(await store.redis.exists(key)).toBe(0);
    expect(await withTaskLock(store.redis, key, 300, () => Promise.resolve('third'))).toBe('third');
  });

  it('a holder that died (no renewal) blocks the task for the TTL at most', async () => {
    const key = `${store.prefix}:lock:dead`;
    await store.redis.set(key, 'killed-process', 'PX', 300);
    expect(await withTaskLock(store.redis, key, 300, () => Promise.resolve(1))).toBe('busy');
    await sleep(400);
    expect(await withTaskLock(store.redis, key, 300, () => Promise.resolve(2))).toBe(2);
  });
});
