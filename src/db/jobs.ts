import { and, eq } from 'drizzle-orm';
import type { Db } from './client.js';
import type { RawRow } from './raw.js';
import { AVAILABLE_WORKER } from './reservations.js';
import { jobs, type JobRow } from './schema/index.js';

export interface JobCoverage extends Pick<JobRow, 'jobId' | 'status' | 'entityId'> {
  board: JobRow['k8sPool'];
  labels: JobRow['jobLabels'];
  /** `${entity_id}:${labels json}`, the pool key the scheduler uses. */
  poolKey: string;
  /** Pending jobs of the pool queued before this one. */
  ahead: number;
  /** Workers of the pool that cover a pending job (AVAILABLE_WORKER in scheduling.ts). */
  available: number;
}

/**
 * Where a job stands in its pool. GitHub hands runners to a pool's oldest queued jobs first, so
 * the job is covered once the available workers (active, not running a job) outnumber the jobs
 * ahead of it.
 */
export async function jobCoverage(db: Db, jobId: number): Promise<JobCoverage | undefined> {
  // Raw: correlated counts over the pool, with AVAILABLE_WORKER shared with the reservation SQL.
  const { rows } = await db.$client.query<
    Pick<RawRow<typeof jobs>, 'status' | 'k8s_pool' | 'entity_id' | 'job_labels'> & {
      ahead: number;
      available: number;
    }
  >(
    `select j.status, j.k8s_pool, j.entity_id, j.job_labels,
       (select count(*)::int from jobs a where a.k8s_pool = j.k8s_pool and a.entity_id = j.entity_id
          and a.job_labels = j.job_labels and a.status = 'pending'
          and (a.created_at, a.job_id) < (j.created_at, j.job_id)) as ahead,
       (select count(*)::int from workers w where w.k8s_pool = j.k8s_pool and w.entity_id = j.entity_id
          and w.job_labels = j.job_labels and ${AVAILABLE_WORKER}) as available
     from jobs j where j.job_id = $1`,
    [jobId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    jobId,
    status: r.status,
    board: r.k8s_pool,
    entityId: Number(r.entity_id),
    labels: r.job_labels,
    poolKey: `${r.entity_id}:${JSON.stringify(r.job_labels)}`,
    ahead: r.ahead,
    available: r.available,
  };
}

export const isCovered = (c: JobCoverage): boolean => c.available > c.ahead;

/** Boards where an entity has jobs waiting: a place freed under its cap matters to all of them. */
export async function boardsWithPendingJobs(db: Db, entityId?: number): Promise<string[]> {
  const rows = await db
    .selectDistinct({ board: jobs.k8sPool })
    .from(jobs)
    .where(
      and(
        eq(jobs.status, 'pending'),
        entityId === undefined ? undefined : eq(jobs.entityId, entityId),
      ),
    );
  return rows.map((r) => r.board);
}
