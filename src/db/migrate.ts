import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Db } from './client.js';
import { withClient } from './tx.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Applies the committed drizzle-kit migrations to `schemaName`. Safe to run twice, and safe to run
 * from two processes at once: a session advisory lock, held on one connection, serialises them.
 */
export async function runMigrations(db: Db, schemaName: string): Promise<void> {
  const lockKey = `migrate:${schemaName}`;
  await withClient(db, async (client) => {
    await client.query('select pg_advisory_lock(2, hashtext($1))', [lockKey]);
    try {
      await client.query(`create schema if not exists "${schemaName}"`);
      await client.query(`set search_path to "${schemaName}", public`);
      await migrate(drizzle(client), {
        migrationsFolder: MIGRATIONS_FOLDER,
        migrationsSchema: schemaName,
        migrationsTable: '__drizzle_migrations',
      });
    } finally {
      await client.query('select pg_advisory_unlock(2, hashtext($1))', [lockKey]);
    }
  });
}
