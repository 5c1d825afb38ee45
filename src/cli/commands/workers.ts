import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { workers as workersTable } from '../../db/schema/index.js';
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
    const statuses = parseStatuses(str(values.status));
    const entity = str(values.entity);
    const board = str(values.board);
    const rows = await ctx.db
      .select()
      .from(workersTable)
      .where(
        and(
          statuses && inArray(workersTable.status, statuses),
          board === undefined ? undefined : eq(workersTable.k8sPool, board),
          entity === undefined
            ? undefined
            : or(
                sql`${workersTable.entityId}::text = ${entity}::text`,
                sql`lower(${workersTable.entityName}) = lower(${entity}::text)`,
              ),
        ),
      )
      .orderBy(desc(workersTable.createdAt))
      .limit(limit);
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
