import type { PoolClient } from 'pg';
import type { Db } from './client.js';

/** Runs `fn` in one transaction on one pooled connection; rolls back if it throws. */
export async function withTransaction<T>(
  db: Db,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await db.$client.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
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
