import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface DbOptions {
  url: string;
  /** PostgreSQL schema holding our tables; every connection searches it first. */
  schema: string;
  max?: number;
  /** Give up on a connection attempt quickly so the webhook path can fall back to Redis. */
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
  applicationName?: string;
}

export function createDb(options: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 2_000,
    idleTimeoutMillis: 30_000,
    // Tables live in the schema named by DEPLOY_ENV; `public` stays reachable for extensions.
    options: `-c search_path=${options.schema},public`,
    statement_timeout: options.statementTimeoutMillis ?? 15_000,
    application_name: options.applicationName ?? 'rise-riscv-runners',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return drizzle(pool, { schema });
}

export async function closeDb(db: Db): Promise<void> {
  await db.$client.end();
}
