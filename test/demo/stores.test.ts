/**
 * The stores the demo and the test run fall back to on a fresh machine: an embedded PostgreSQL
 * (real binaries from the npm registry) and a private redis-server, started, used and removed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, createDb } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { answers } from '../../src/demo/net.js';
import { StoreUnavailableError, choosePostgres, chooseRedis } from '../../src/demo/stores.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

// Nothing listens on port 1 (privileged, unused): "no server here".
const NOWHERE_PG = 'postgres://root@127.0.0.1:1/test';
const NOWHERE_REDIS = 'redis://127.0.0.1:1';
const pgChoice = { configuredUrl: undefined, envName: 'DATABASE_URL', defaultUrl: NOWHERE_PG };
const redisChoice = { configuredUrl: undefined, envName: 'REDIS_URL', defaultUrl: NOWHERE_REDIS };
const portOf = (url: string) => Number(new URL(url).port);
const EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit'] as const;
type Listeners = Record<(typeof EVENTS)[number], Set<unknown>>;
// process.listeners is typed per event; every one of these is a plain EventEmitter event.
const listenersOf = (e: (typeof EVENTS)[number]): unknown[] =>
  (process as NodeJS.EventEmitter).listeners(e);
const listeners = (): Listeners =>
  Object.fromEntries(EVENTS.map((e) => [e, new Set(listenersOf(e))])) as Listeners;
/**
 * How many listeners of each event were added since `before` and are still there. By identity,
 * not by count: test files share the process, and another file's late clean-up may remove one.
 */
const addedSince = (before: Listeners, events: readonly (typeof EVENTS)[number][] = EVENTS) =>
  Object.fromEntries(
    events.map((e) => [e, listenersOf(e).filter((l) => !before[e].has(l)).length]),
  );
const none = (events: readonly string[] = EVENTS) => Object.fromEntries(events.map((e) => [e, 0]));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rise-stores-test-'));
  // As root, postgres runs as the postgres user, which must reach the data directory.
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PostgreSQL', () => {
  it('nothing answers: an embedded PostgreSQL takes the migrations; stop() removes its data and leaves our signal handlers alone', async () => {
    const before = listeners();
    const dataDir = join(dir, 'pg-a');
    const store = await choosePostgres({ ...pgChoice, embedded: false, dataDir });
    try {
      expect(store.started).toBe(true);
      expect(store.description).toMatch(
        /^PostgreSQL: embedded PostgreSQL on 127\.0\.0\.1:\d+ \(nothing answers on 127\.0\.0\.1:1; data in .*pg-a, removed on exit\)$/,
      );
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      const db = createDb({ url: store.url, schema: 'demo', max: 2 });
      try {
        await runMigrations(db, 'demo');
        const { rows } = await db.$client.query<{ n: string; version: string }>(
          `select count(*) as n, current_setting('server_version') as version
             from information_schema.tables where table_schema = 'demo' and table_name in ('jobs', 'workers')`,
        );
        expect(rows[0]).toMatchObject({ n: '2', version: expect.stringMatching(/^18\./) });
      } finally {
        await closeDb(db);
      }
      // The library's own handlers (process.exit() in the middle of our shutdown) are gone.
      const signals = EVENTS.filter((e) => e !== 'exit');
      expect(addedSince(before, signals)).toEqual(none(signals));
    } finally {
      await store.stop();
    }
    expect(existsSync(dataDir)).toBe(false);
    expect(await answers('127.0.0.1', portOf(store.url))).toBe(false);
    expect(addedSince(before)).toEqual(none());
  });

  it('a postgres left running on the data directory is stopped by the next start; keepData keeps the data; stop() returns when a Ctrl-C reached postgres first', async () => {
    const dataDir = join(dir, 'pg-b');
    const postmaster = () =>
      Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // The first one's owner "was killed": nobody calls its stop() before the next start (kept
    // data: its stop() in `finally` must not remove the directory the second one uses).
    const first = await choosePostgres({ ...pgChoice, embedded: true, dataDir, keepData: true });
    const second = await choosePostgres({ ...pgChoice, embedded: true, dataDir, keepData: true });
    try {
      expect(await answers('127.0.0.1', portOf(first.url))).toBe(false);
      expect(second.description).toMatch(/\(--embedded; data in .*pg-b, kept on exit\)$/);
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      await client.query('create table kept (id int)');
      await client.end();
      // A terminal's Ctrl-C reaches the whole process group: postgres shuts down by itself.
      process.kill(postmaster(), 'SIGINT');
      await waitFor(async () => !(await answers('127.0.0.1', portOf(second.url))), {
        what: 'postgres gone',
      });
    } finally {
      await second.stop();
      await first.stop();
    }
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('a configured URL is used as it is, and a server that answers is used: nothing started', async () => {
    const configured = await choosePostgres({
      ...pgChoice,
      embedded: false,
      configuredUrl: TEST_DATABASE_URL,
    });
    const { host } = new URL(TEST_DATABASE_URL);
    expect(configured).toMatchObject({
      url: TEST_DATABASE_URL,
      started: false,
      description: `PostgreSQL: DATABASE_URL (${host})`,
    });
    const local = await choosePostgres({
      ...pgChoice,
      embedded: false,
      defaultUrl: TEST_DATABASE_URL,
    });
    expect(local).toMatchObject({
      url: TEST_DATABASE_URL,
      started: false,
      description: `PostgreSQL: the server on ${host}`,
    });
  });
});

describe('Redis', () => {
  it('nothing answers: a private redis-server from PATH, gone after stop()', async () => {
    const store = await chooseRedis({ ...redisChoice, embedded: false });
    expect(store.description).toMatch(
      /^Redis: a private redis-server on 127\.0\.0\.1:\d+ \(nothing answers on 127\.0\.0\.1:1; \/.*redis-server, stopped on exit\)$/,
    );
    const redis = new Redis(store.url, { maxRetriesPerRequest: 1 });
    try {
      await redis.set('k', 'v');
      expect(await redis.get('k')).toBe('v');
      expect(await redis.config('GET', 'save')).toEqual(['save', '']);
    } finally {
      redis.disconnect();
      await store.stop();
    }
    expect(await answers('127.0.0.1', portOf(store.url))).toBe(false);
  });

  it('no redis-server on PATH: one line saying how to install it', async () => {
    const empty = join(dir, 'empty-path');
    const failure = await chooseRedis({ ...redisChoice, embedded: false, path: empty }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toBe(
      'Redis is not running (nothing answers on 127.0.0.1:1) and redis-server is not installed: ' +
        'install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL',
    );
    const forced = await chooseRedis({ ...redisChoice, embedded: true, path: empty }).catch(
      (err: unknown) => err,
    );
    expect((forced as Error).message).toMatch(
      /^--embedded starts a private Redis, but redis-server is not installed: install it/,
    );
  });

  it('--embedded starts a private one even where a server answers', async () => {
    const store = await chooseRedis({ ...redisChoice, embedded: true, defaultUrl: TEST_REDIS_URL });
    try {
      expect(store.started).toBe(true);
      expect(store.url).not.toBe(TEST_REDIS_URL);
      expect(store.description).toMatch(/\(--embedded; /);
    } finally {
      await store.stop();
    }
  });
});
