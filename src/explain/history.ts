import { and, desc, eq, gte, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { jobs } from '../db/schema/index.js';
import type { JobStatus } from './explain.js';
import { toJobView, type JobView } from './rows.js';

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

const filter = (query: HistoryQuery) =>
  and(
    gte(jobs.createdAt, query.start),
    lt(jobs.createdAt, query.end),
    query.statuses && inArray(jobs.status, query.statuses),
    query.entity === undefined
      ? undefined
      : or(
          sql`${jobs.entityId}::text = ${query.entity}::text`,
          sql`lower(${jobs.entityName}) = lower(${query.entity}::text)`,
        ),
    query.board === undefined ? undefined : eq(jobs.k8sPool, query.board),
  );

/**
 * Jobs in a time window, sorted as seed 001's /history: by status (pending, running, completed,
 * failed), then newest first.
 */
export async function loadHistory(db: Db, query: HistoryQuery): Promise<HistoryPage> {
  const where = filter(query);
  const [total, rows] = await Promise.all([
    db.$count(jobs, where),
    db
      .select()
      .from(jobs)
      .where(where)
      .orderBy(
        sql`case ${jobs.status} when 'pending' then 0 when 'running' then 1 when 'completed' then 2 else 3 end`,
        desc(jobs.createdAt),
        desc(jobs.jobId),
      )
      .limit(query.perPage)
      .offset((query.page - 1) * query.perPage),
  ]);
  return { total, jobs: rows.map(toJobView) };
}
