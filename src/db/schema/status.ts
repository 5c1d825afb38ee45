import { sql } from 'drizzle-orm';
import { check, text, type AnyPgColumn } from 'drizzle-orm/pg-core';

/** Forward-only lifecycle shared by jobs and workers: pending → running → completed | failed. */
export const STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type Status = (typeof STATUSES)[number];
export const ACTIVE_STATUSES = ['pending', 'running'] as const satisfies readonly Status[];

/**
 * A text column limited to the four statuses by a CHECK constraint. A PostgreSQL enum type would
 * be created in `public` by drizzle-kit, which breaks one schema per DEPLOY_ENV (and per test).
 */
export const statusColumn = () => text('status', { enum: STATUSES }).notNull().default('pending');

export const statusConstraint = (table: string, column: AnyPgColumn) =>
  check(`${table}_status_check`, sql`${column} in ('pending', 'running', 'completed', 'failed')`);
