import pg from 'pg';
import { Redis } from 'ioredis';
import { choosePostgres, chooseRedis, type Store } from '../src/demo/stores.js';
import { chromiumMissing } from './browser/chromium.js';
import { MACHINE_DATABASE_URL, MACHINE_REDIS_URL } from './helpers/env.js';
import { SIM_KEYS_ENV, generateSimKeys } from './helpers/sim-keys.js';
import { BUNDLES_ENV, buildBundles } from './helpers/bundles.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const started: Store[] = [];

/**
 * Finds PostgreSQL and Redis for the run (TEST_DATABASE_URL / TEST_REDIS_URL, else the machine's
 * servers, else an embedded PostgreSQL and a private redis-server started here, one line each),
 * and fails the run at once, with the fix, when one is there but refuses us. Test files inherit
 * the URLs through the environment: the forks pool starts its workers after this has run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  let removeBundles = () => {};
  const teardown = async () => {
    removeBundles();
    for (const store of started.reverse()) await store.stop();
  };
  try {
    await findStores();
  } catch (err) {
    await teardown();
    throw err;
  }
  // A nested run (test/browser/missing-chromium.test.ts) uses its parent's bundles.
  if (!process.env[BUNDLES_ENV]) {
    const bundles = await buildBundles();
    removeBundles = () => bundles.remove();
    process.env[BUNDLES_ENV] = bundles.dir;
  }
  // The simulated Apps' keys, made once for every test process (see helpers/sim-keys.ts).
  process.env[SIM_KEYS_ENV] ??= JSON.stringify(generateSimKeys());
  const missing = chromiumMissing();
  if (missing) say(missing);
  return teardown;
}

async function findStores(): Promise<void> {
  const postgres = await choosePostgres({
    embedded: false,
    configuredUrl: process.env.TEST_DATABASE_URL,
    envName: 'TEST_DATABASE_URL',
    defaultUrl: MACHINE_DATABASE_URL,
  });
  if (postgres.started) {
    started.push(postgres);
    process.env.TEST_DATABASE_URL = postgres.url;
    say(`tests: ${postgres.description}`);
  }
  const redis = await chooseRedis({
    embedded: false,
    configuredUrl: process.env.TEST_REDIS_URL,
    envName: 'TEST_REDIS_URL',
    defaultUrl: MACHINE_REDIS_URL,
  });
  if (redis.started) {
    started.push(redis);
    process.env.TEST_REDIS_URL = redis.url;
    say(`tests: ${redis.description}`);
  }
  await checkPostgres(postgres.url);
  await checkRedis(redis.url);
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    const { host, port } = new URL(url);
    throw new Error(
      `PostgreSQL at ${host}:${port} refuses the tests (${String(err)}): set TEST_DATABASE_URL, or run .ci/run (role root, database test)`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    const { host, port } = new URL(url);
    throw new Error(
      `Redis at ${host}:${port} refuses the tests (${String(err)}): set TEST_REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}
