import { and, eq, inArray } from 'drizzle-orm';
import { ACTIVE_STATUSES, workers } from '../../db/schema/index.js';
import { boards } from '../../config/runners.js';
import { recordAudit } from '../../db/audit.js';
import { drainBoard, undrainBoard } from '../../db/drains.js';
import { readSnapshot } from '../../explain/cluster-cache.js';
import { kickBoard } from '../../queues/producers.js';
import type { CliContext } from '../context.js';
import { UsageError, printJson, str, type Command } from '../command.js';

/** A typo must not drain nothing silently: the board must be configured or seen in the cluster. */
async function checkBoard(ctx: CliContext, board: string, force: boolean): Promise<void> {
  if (force) return;
  const snapshot = await readSnapshot(ctx.redis, ctx.config.redisPrefix);
  const known = new Set([...boards(ctx.runners), ...(snapshot?.nodes ?? []).map((n) => n.board)]);
  if (!known.has(board)) {
    throw new UsageError(
      `unknown board "${board}" (known: ${[...known].sort().join(', ') || 'none'}); --force to use it anyway`,
    );
  }
}

export const drain: Command = {
  name: 'drain',
  args: 'BOARD',
  summary: 'stop starting runners on a board (running ones finish)',
  positionals: [1, 1],
  options: {
    reason: { type: 'string', help: 'why, shown on /usage and job pages' },
    force: {
      type: 'boolean',
      help: 'accept a board that is neither configured nor in the cluster',
    },
  },
  async run(ctx, { positionals, values, json, out }) {
    const board = positionals[0]!;
    await checkBoard(ctx, board, values.force === true);
    const reason = str(values.reason) ?? null;
    await drainBoard(ctx.db, board, reason);
    await recordAudit(ctx.db, { actor: 'cli', action: 'drain', target: board, detail: { reason } });
    const active = await ctx.db.$count(
      workers,
      and(eq(workers.k8sPool, board), inArray(workers.status, ACTIVE_STATUSES)),
    );
    if (json) return void printJson(out, { board, drained: true, reason, activeWorkers: active });
    out.write(
      `drained ${board}${reason ? ` (${reason})` : ''}: no new runners start there; ${active} active workers finish normally\n`,
    );
  },
};

export const undrain: Command = {
  name: 'undrain',
  args: 'BOARD',
  summary: 'resume starting runners on a board, and match its waiting jobs at once',
  positionals: [1, 1],
  async run(ctx, { positionals, json, out }) {
    const board = positionals[0]!;
    const was = await undrainBoard(ctx.db, board);
    await kickBoard(ctx.queues, board, 'undrained by an operator');
    await recordAudit(ctx.db, {
      actor: 'cli',
      action: 'undrain',
      target: board,
      detail: { wasDrained: was },
    });
    if (json) return void printJson(out, { board, drained: false, wasDrained: was });
    out.write(
      was
        ? `undrained ${board}; a matching pass is queued\n`
        : `${board} was not drained; a matching pass is queued anyway\n`,
    );
  },
};
