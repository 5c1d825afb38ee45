import type { Db } from '../db/client.js';
import type { JobStatus } from './explain.js';
import { toJobView, type JobRowRaw } from './rows.js';
import type { JobView } from './timeline.js';

export interface HistoryQuery {
  /** Jobs recorded at or after `start` and before `end`. */
  start: Date;
  end: Date;
  page: number;
  perPage: number;
  statuses?: JobStatus[];
  /** An entity id, or an entity name (case-insensitive). */
  entity?: string;
  board?: string;
}

export interface HistoryPage {
  total: number;
  jobs: JobView[];
}

const WHERE = `created_at >= $1 and created_at < $2
  and ($3::text[] is null or status = any($3))
  and ($4::text is null or entity_id::text = $4 or lower(entity_name) = lower($4))
  and ($5::text is null or k8s_pool = $5)`;

/**
 * Jobs in a time window, sorted as seed 001's /history: by status (pending, running, completed,
 * failed), then newest first.
 */
export async function loadHistory(db: Db, query: HistoryQuery): Promise<HistoryPage> {
  const params = [
    query.start,
    query.end,
    query.statuses ?? null,
    query.entity ?? null,
    query.board ?? null,
  ];
  const [count, rows] = await Promise.all([
    db.$client.query<{ total: number }>(
      `select count(*)::int as total from jobs where ${WHERE}`,
      params,
    ),
    db.$client.query<JobRowRaw>(
      `select * from jobs where ${WHERE}
       order by case status when 'pending' then 0 when 'running' then 1 when 'completed' then 2 else 3 end,
         created_at desc, job_id desc
       limit $6 offset $7`,
      [...params, query.perPage, (query.page - 1) * query.perPage],
    ),
  ]);
  return { total: count.rows[0]?.total ?? 0, jobs: rows.rows.map(toJobView) };
}
