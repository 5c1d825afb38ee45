import { bigint, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = <N extends string>(name: N) => timestamp(name, { withTimezone: true, mode: 'date' });

export const DELIVERY_OUTCOMES = [
  'applied',
  'unchanged',
  'ignored',
  'invalid',
  'forwarded',
  'forward_failed',
] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/**
 * Every signed webhook delivery we received and what became of it, keyed by X-GitHub-Delivery
 * (a redelivery reuses the GUID, so `receive_count` > 1 marks one). `unchanged`: the job was
 * already in that state or further (a duplicate, or a delivery that arrived out of order).
 */
export const deliveries = pgTable(
  'deliveries',
  {
    deliveryId: text('delivery_id').primaryKey(),
    event: text('event').notNull(),
    action: text('action'),
    jobId: bigint('job_id', { mode: 'number' }),
    installationId: bigint('installation_id', { mode: 'number' }),
    entityId: bigint('entity_id', { mode: 'number' }),
    outcome: text('outcome', { enum: DELIVERY_OUTCOMES }).notNull(),
    detail: text('detail'),
    receiveCount: integer('receive_count').notNull().default(1),
    receivedAt: ts('received_at').notNull().defaultNow(),
    lastReceivedAt: ts('last_received_at').notNull().defaultNow(),
  },
  (t) => [
    index('deliveries_job_idx').on(t.jobId),
    index('deliveries_received_idx').on(t.receivedAt),
  ],
);

export type DeliveryRow = typeof deliveries.$inferSelect;
