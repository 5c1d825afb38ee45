import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Boards an operator has drained: no new workers are reserved there until undrained. */
export const boardDrains = pgTable('board_drains', {
  board: text('board').primaryKey(),
  reason: text('reason'),
  drainedAt: timestamp('drained_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
