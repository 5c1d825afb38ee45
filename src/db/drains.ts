import type { Db } from './client.js';

export async function drainBoard(db: Db, board: string, reason: string | null): Promise<void> {
  await db.$client.query(
    `insert into board_drains (board, reason) values ($1, $2)
     on conflict (board) do update set reason = excluded.reason`,
    [board, reason],
  );
}

export async function undrainBoard(db: Db, board: string): Promise<boolean> {
  const { rowCount } = await db.$client.query('delete from board_drains where board = $1', [board]);
  return (rowCount ?? 0) > 0;
}

export async function drainedBoards(
  db: Db,
): Promise<{ board: string; reason: string | null; drainedAt: Date }[]> {
  const { rows } = await db.$client.query<{
    board: string;
    reason: string | null;
    drained_at: Date;
  }>('select board, reason, drained_at from board_drains order by board');
  return rows.map((r) => ({ board: r.board, reason: r.reason, drainedAt: r.drained_at }));
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
