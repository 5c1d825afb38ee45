import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyDeliveries, type DeliveryRecord } from '../src/db/ingest.js';
import { createTestDb, type TestDb } from './helpers/stores.js';
import { waitFor } from './helpers/wait.js';

let pg: TestDb;

beforeAll(async () => {
  pg = await createTestDb();
});
afterAll(async () => {
  await pg?.drop();
});

/** An installation delivery: applied in a transaction, so the client is held across queries. */
const record = (id: string): DeliveryRecord => ({
  deliveryId: id,
  event: 'installation',
  action: 'created',
  outcome: 'applied',
  installationId: 4242,
  installation: {
    installationId: 4242,
    appId: 1,
    accountId: 77,
    accountLogin: 'octo',
    accountType: 'Organization',
    state: 'created',
  },
});

it('survives its checked-out backend being terminated (PostgreSQL restarting), and goes on', async () => {
  // Hold the installations table so the batch waits on a checked-out client we can terminate.
  const holder = await pg.db.$client.connect();
  await holder.query('begin');
  await holder.query('lock table installations in access exclusive mode');
  const pending = applyDeliveries(pg.db, [record('lost-1')]);
  const outcome = pending.then(
    () => 'applied',
    (err: Error) => err.message,
  );
  const pid = await waitFor(async () => {
    // Not on `holder`: inside a transaction pg_stat_activity is one snapshot.
    const { rows } = await pg.db.$client.query<{ pid: number }>(
      `select pid from pg_stat_activity
        where pid <> pg_backend_pid() and wait_event_type = 'Lock' and query like '%insert into installations%'`,
    );
    return rows[0]?.pid;
  });
  await holder.query('select pg_terminate_backend($1)', [pid]);
  await holder.query('rollback');
  holder.release();
  // Without a listener the client's 'error' event is uncaught: vitest fails the run with it.
  expect(await outcome).toMatch(/terminat/i);
  // Let the socket's end arrive (that is when an unlistened 'error' would be emitted).
  await new Promise((r) => setTimeout(r, 200));
  expect(await applyDeliveries(pg.db, [record('lost-2')])).toHaveLength(1);
  expect(pg.db.$client.totalCount).toBeLessThanOrEqual(5);
});

it('a transaction whose backend is terminated between queries rejects, and the next one works', async () => {
  const { withTransaction } = await import('../src/db/tx.js');
  const killer = await pg.db.$client.connect();
  try {
    const outcome = withTransaction(pg.db, async (client) => {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      await killer.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      // The checked-out client now sees its socket close while no query runs: the 'error' event
      // that, unlistened, crashes the process.
      await new Promise((r) => setTimeout(r, 200));
      await client.query('select 1');
      return 'committed';
    }).then(
      (v) => v,
      (err: Error) => err.message,
    );
    expect(await outcome).toMatch(/terminat|not queryable|ended/i);
    const { rows } = await withTransaction(pg.db, (c) =>
      c.query<{ one: number }>('select 1 as one'),
    );
    expect(rows[0]?.one).toBe(1);
  } finally {
    killer.release();
  }
});
