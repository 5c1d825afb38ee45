import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { closeDb, createDb, type Db } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.js';

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/** A fresh PostgreSQL schema, migrated the same way `release` does, dropped by `drop()`. */
export async function createTestDb(options: { max?: number } = {}) {
  const schema = uniqueName('t');
  const db = createDb({ url: TEST_DATABASE_URL, schema, max: options.max ?? 5 });
  await runMigrations(db, schema);
  return {
    db,
    schema,
    url: TEST_DATABASE_URL,
    async drop() {
      await db.$client.query(`drop schema if exists "${schema}" cascade`);
      await closeDb(db);
    },
  };
}

export type TestDb = Awaited<ReturnType<typeof createTestDb>>;

/** A unique Redis key prefix; `drop()` deletes every key under it. */
export function createTestRedis(url = TEST_REDIS_URL) {
  const prefix = `test:${randomBytes(5).toString('hex')}`;
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  return {
    redis,
    prefix,
    url,
    async drop() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

export type TestRedis = ReturnType<typeof createTestRedis>;

export type { Db };
