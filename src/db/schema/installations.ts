import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = <N extends string>(name: N) => timestamp(name, { withTimezone: true, mode: 'date' });

/** GitHub App installations we have heard of through `installation` events. */
export const installations = pgTable('installations', {
  installationId: bigint('installation_id', { mode: 'number' }).primaryKey(),
  appId: bigint('app_id', { mode: 'number' }),
  accountId: bigint('account_id', { mode: 'number' }).notNull(),
  accountLogin: text('account_login').notNull(),
  accountType: text('account_type').notNull(),
  /** Last installation action: created, deleted, suspend, unsuspend, new_permissions_accepted. */
  state: text('state').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export type InstallationRow = typeof installations.$inferSelect;
