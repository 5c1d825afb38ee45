/**
 * Where the tests find PostgreSQL and Redis. TEST_DATABASE_URL / TEST_REDIS_URL when set;
 * otherwise the machine's servers, or, when nothing answers there, the embedded PostgreSQL and
 * private redis-server that test/global-setup.ts starts for the run (it sets these variables
 * before any test file loads).
 */

// Where the machine's servers are looked for; overridden only to try the embedded fallback on a
// machine whose servers run (TEST_POSTGRES_ADDRESS=127.0.0.1:1 npx vitest run …).
const postgresAddress = process.env.TEST_POSTGRES_ADDRESS ?? '127.0.0.1:5432';
const redisAddress = process.env.TEST_REDIS_ADDRESS ?? '127.0.0.1:6379';

/** The machine's PostgreSQL as CI sets it up (.ci/run: role root, database test, trust). */
export const MACHINE_DATABASE_URL = `postgres://root@${postgresAddress}/test`;
export const MACHINE_REDIS_URL = `redis://${redisAddress}`;

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? MACHINE_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? MACHINE_REDIS_URL;
