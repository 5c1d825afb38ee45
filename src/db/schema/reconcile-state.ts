import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Durable cursors of the reconciliation passes (e.g. the last webhook delivery seen per App). */
export const reconcileState = pgTable('reconcile_state', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
