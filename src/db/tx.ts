import type { PoolClient } from 'pg';
import type { Db } from './client.js';

/**
 * Runs `fn` on one connection checked out of the pool. The pool listens for errors only on idle
 * clients: one that loses its backend while checked out (PostgreSQL restarting,
 * pg_terminate_backend) would emit 'error' with no listener and crash the process. Here the error
 * is noted, the pending query rejects, and the client is released with it so the pool drops it.
 */
export async function withClient<T>(db: Db, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.$client.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => (lost ??= err);
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    // A connection whose query failed may be lost or mid-transaction: never back into the pool.
    lost ??= err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

/** Runs `fn` in one transaction on one pooled connection; rolls back if it throws. */
export function withTransaction<T>(db: Db, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withClient(db, async (client) => {
    await client.query('begin');
    try {
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  });
}

/**
 * Advisory lock keys. Boards use the two-int4 key space (namespace 1, hash of schema and board),
 * installation owners the same space (namespace 3, hash of schema and login), entities the int8
 * space (their id); namespace 2 is the migration lock. The spaces never overlap, and taking at most one board lock, then owner locks
 * in ascending hash order, then entity locks in ascending id order rules out deadlocks.
 */
export const lockBoard = (client: PoolClient, schema: string, board: string) =>
  client.query('select pg_advisory_xact_lock(1, hashtext($1))', [`${schema}:${board}`]);

export const lockEntities = (client: PoolClient, entityIds: readonly number[]) =>
  client.query(
    'select pg_advisory_xact_lock(e) from (select distinct e from unnest($1::bigint[]) e order by e) s',
    [entityIds],
  );

export const lockOwners = (client: PoolClient, schema: string, owners: readonly string[]) =>
  client.query(
    `select pg_advisory_xact_lock(3, h) from (
       select distinct hashtext($1 || ':' || o) h from unnest($2::text[]) o order by h) s`,
    [schema, owners],
  );
