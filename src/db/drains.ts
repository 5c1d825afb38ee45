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

/** `isDrained` for the matching pass, read at most once a second per process. */
export function drainChecker(db: Db, ttlMs = 1_000): (board: string) => Promise<boolean> {
  let cached: { at: number; boards: Set<string> } | undefined;
  return async (board) => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      cached = { at: Date.now(), boards: new Set((await drainedBoards(db)).map((d) => d.board)) };
    }
    return cached.boards.has(board);
  };
}
