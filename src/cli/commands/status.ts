import { loadUsage } from '../../explain/usage.js';
import type { Command } from '../command.js';
import { printJson } from '../command.js';
import { table, when } from '../table.js';

export const status: Command = {
  name: 'status',
  summary: 'boards (nodes, slots, busy, drained) and pools (demand, supply, waiting)',
  positionals: [0, 0],
  async run(ctx, { json, out }) {
    const u = await loadUsage({ ...ctx, prefix: ctx.config.redisPrefix }, ctx.now());
    const pools = u.pools
      .filter((p) => p.jobs.pending + p.jobs.running + p.workers.pending + p.workers.running > 0)
      .map((p) => ({
        ...p,
        demand: p.jobs.pending + p.jobs.running,
        supply: p.workers.pending + p.workers.running,
      }));
    if (json)
      return void printJson(out, { at: u.at, snapshotAt: u.snapshotAt, boards: u.boards, pools });
    out.write(
      u.snapshotAt
        ? `cluster snapshot: ${when(u.snapshotAt)}\n\n`
        : 'cluster snapshot: none (is a worker process running?)\n\n',
    );
    out.write(
      table(
        ['BOARD', 'NODES', 'READY', 'SLOTS', 'BUSY', 'FREE', 'PENDING', 'DRAINED'],
        u.boards.map((b) => [
          b.board,
          b.nodes,
          b.readyNodes,
          b.slots,
          b.busy,
          b.free,
          b.pendingJobs,
          b.drained ? `yes${b.drained.reason ? ` (${b.drained.reason})` : ''}` : 'no',
        ]),
      ),
    );
    out.write('\n');
    out.write(
      table(
        ['BOARD', 'ENTITY', 'LABELS', 'DEMAND', 'SUPPLY', 'WAITING', 'ACTIVE/MAX'],
        pools.map((p) => [
          p.board,
          p.entityName,
          p.labels.join(','),
          p.demand,
          p.supply,
          p.waiting,
          `${p.entityActive}/${p.maxWorkers ?? '∞'}`,
        ]),
      ),
    );
  },
};
