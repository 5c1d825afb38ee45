import { createWriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { closeDb, createDb } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { address } from './net.js';
import { StoreUnavailableError, choosePostgres, chooseRedis } from './stores.js';
import type { Teardown } from './teardown.js';

// Local trust authentication: connect as the operating-system user, like psql does.
const LOCAL_DATABASE_URL = `postgres://${userInfo().username}@127.0.0.1:5432/postgres`;
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The demo's PostgreSQL and Redis as `stores.ts` chooses them, each announced in one line and
 * undone by `teardown`; the demo's schema migrated afresh and its Redis keys cleared.
 */
export async function openDemoStores(o: {
  embedded: boolean;
  keep: boolean;
  /** Logs and embedded PostgreSQL data. */
  dir: string;
  schema: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
  say: (line: string) => void;
  teardown: Teardown;
}): Promise<{ DATABASE_URL: string; REDIS_URL: string }> {
  const pgLog = createWriteStream(join(o.dir, 'postgres.log'));
  o.teardown.add('the PostgreSQL log', () => new Promise((r) => pgLog.end(r)));
  const pg = await choosePostgres({
    embedded: o.embedded,
    configuredUrl: o.env.DATABASE_URL,
    envName: 'DATABASE_URL',
    defaultUrl: LOCAL_DATABASE_URL,
    dataDir: join(o.dir, 'postgres'),
    keepData: o.keep,
    onLog: (text) => pgLog.write(text),
  });
  o.teardown.add('PostgreSQL', pg.stop);
  o.say(pg.description);
  const redis = await chooseRedis({
    embedded: o.embedded,
    configuredUrl: o.env.REDIS_URL,
    envName: 'REDIS_URL',
    defaultUrl: LOCAL_REDIS_URL,
    // Ctrl-C reaches the demo alone, which stops Redis after the processes that use it.
    detached: true,
  });
  o.teardown.add('Redis', redis.stop);
  o.say(redis.description);
  await resetPostgres(pg.url, o.schema);
  await resetRedis(redis.url, o.prefix);
  return { DATABASE_URL: pg.url, REDIS_URL: redis.url };
}

async function resetPostgres(url: string, schema: string): Promise<void> {
  const db = createDb({ url, schema, max: 2, connectionTimeoutMillis: 3_000 });
  try {
    await db.$client.query(`drop schema if exists "${schema}" cascade`);
    await runMigrations(db, schema);
  } catch (err) {
    const at = address(url, 5432);
    throw new StoreUnavailableError(
      `PostgreSQL at ${at.host}:${at.port}: ${(err as Error).message} (set DATABASE_URL, or pass --embedded)`,
    );
  } finally {
    await closeDb(db);
  }
}

async function resetRedis(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } catch (err) {
    const at = address(url, 6379);
    throw new StoreUnavailableError(
      `Redis at ${at.host}:${at.port}: ${(err as Error).message} (set REDIS_URL, or pass --embedded)`,
    );
  } finally {
    redis.disconnect();
  }
}
