import { toWorker } from '../../db/workers.js';
import { positiveInt, printJson, str, type Command } from '../command.js';
import { table, when } from '../table.js';
import { parseStatuses } from './jobs.js';

export const workers: Command = {
  name: 'workers',
  summary: 'workers (runner pods), newest first',
  positionals: [0, 0],
  options: {
    status: { type: 'string', help: 'pending, running, completed, failed (comma-separated)' },
    board: { type: 'string', help: 'board name' },
    entity: { type: 'string', help: 'entity name or id' },
    limit: { type: 'string', help: 'at most this many (default 50, max 1000)' },
  },
  check({ values }) {
    if (values.limit !== undefined) positiveInt('--limit', str(values.limit), 1000);
    parseStatuses(str(values.status));
  },
  async run(ctx, { values, json, out }) {
    const limit = values.limit === undefined ? 50 : positiveInt('--limit', str(values.limit), 1000);
    const { rows } = await ctx.db.$client.query<Parameters<typeof toWorker>[0]>(
      `select * from workers
       where ($1::text[] is null or status = any($1)) and ($2::text is null or k8s_pool = $2)
         and ($3::text is null or entity_id::text = $3 or lower(entity_name) = lower($3))
       order by created_at desc limit $4`,
      [
        parseStatuses(str(values.status)) ?? null,
        str(values.board) ?? null,
        str(values.entity) ?? null,
        limit,
      ],
    );
    const list = rows.map(toWorker);
    if (json) return void printJson(out, { workers: list });
    out.write(
      table(
        [
          'POD',
          'STATUS',
          'ENTITY',
          'BOARD',
          'NODE',
          'FOR JOB',
          'RESERVED',
          'RUNNING',
          'FINISHED',
          'FAILURE',
        ],
        list.map((w) => [
          w.podName,
          w.status,
          w.entityName,
          w.board,
          w.node,
          w.reservedForJobId,
          when(w.createdAt),
          when(w.runningAt),
          when(w.completedAt),
          w.failureInfo?.reason,
        ]),
      ),
    );
  },
};
