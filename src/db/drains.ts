import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { boardDrains } from './schema/index.js';

export async function drainBoard(db: Db, board: string, reason: string | null): Promise<void> {
  await db
    .insert(boardDrains)
    .values({ board, reason })
    .onConflictDoUpdate({ target: boardDrains.board, set: { reason: sql`excluded.reason` } });
}

export async function undrainBoard(db: Db, board: string): Promise<boolean> {
  const { rowCount } = await db.delete(boardDrains).where(eq(boardDrains.board, board));
  return (rowCount ?? 0) > 0;
}

export async function drainedBoards(db: Db): Promise<(typeof boardDrains.$inferSelect)[]> {
  return db.select().from(boardDrains).orderBy(asc(boardDrains.board));
}

/**
 * `isDrained` for the matching pass: read at every pass (one primary-key lookup), never cached,
 * so the pass an undrain queues sees the board open at once.
 */
export async function isBoardDrained(db: Db, board: string): Promise<boolean> {
  const rows = await db
    .select({ board: boardDrains.board })
    .from(boardDrains)
    .where(eq(boardDrains.board, board));
  return rows.length > 0;
}
