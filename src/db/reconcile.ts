import { and, asc, desc, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { anyOf, type RawRow } from './raw.js';
import {
  ACTIVE_STATUSES,
  deliveries,
  jobs,
  reconcileState,
  workers,
  type JobRow,
} from './schema/index.js';
import { toWorker, type WorkerRecord } from './workers.js';

export type StaleJob = Pick<JobRow, 'jobId' | 'repoFullName' | 'installationId' | 'entityType'> & {
  status: (typeof ACTIVE_STATUSES)[number];
  board: JobRow['k8sPool'];
};

/**
 * Active jobs with no webhook for `staleSeconds`, least recently checked first, and marks them
 * checked now: each pass takes the next `limit`, so GitHub calls stay bounded and spread over ticks.
 * A running job whose runner's pod is running is left out: a running job gets no webhook until it
 * ends, and its pod tells us first (an ephemeral runner exits with its job, the worker finishes,
 * and then the job is checked if its `completed` webhook never came). So calls grow with the jobs
 * that may really be stale, not with every long job.
 */
export async function takeStaleJobs(
  db: Db,
  staleSeconds: number,
  limit: number,
  now: Date = new Date(),
): Promise<StaleJob[]> {
  // Raw: FOR UPDATE SKIP LOCKED, so two passes never take the same jobs.
  const { rows } = await db.$client.query<
    Pick<
      RawRow<typeof jobs>,
      'job_id' | 'repo_full_name' | 'installation_id' | 'entity_type' | 'k8s_pool'
    > & { status: StaleJob['status'] }
  >(
    `update jobs set status_checked_at = $3::timestamptz
     where job_id in (
       select job_id from jobs
       where status in ('pending', 'running')
         and last_webhook_at < $3::timestamptz - make_interval(secs => $1)
         and (status_checked_at is null or status_checked_at < $3::timestamptz - make_interval(secs => $1))
         and not (status = 'running' and exists (
           select 1 from workers w where w.pod_name = jobs.runner_name and w.status = 'running'))
       order by status_checked_at nulls first, last_webhook_at
       limit $2
       for update skip locked)
     returning job_id, status, repo_full_name, installation_id, entity_type, k8s_pool`,
    [staleSeconds, limit, now],
  );
  return rows.map((r) => ({
    jobId: Number(r.job_id),
    status: r.status,
    repoFullName: r.repo_full_name,
    installationId: Number(r.installation_id),
    entityType: r.entity_type,
    board: r.k8s_pool,
  }));
}

/** Moves a job forward to what GitHub says (never backwards). Returns the previous status if it changed. */
export async function advanceJob(
  db: Db,
  jobId: number,
  to: {
    status: 'running' | 'completed';
    runnerName: string | null;
    conclusion: string | null;
    startedAt: string | null;
    completedAt: string | null;
  },
): Promise<string | undefined> {
  // Raw: the row lock reads the previous status in the same statement.
  const { rows } = await db.$client.query<{ previous: RawRow<typeof jobs>['status'] }>(
    `update jobs j set status = $2, runner_name = coalesce($3, j.runner_name), conclusion = coalesce($4, j.conclusion),
       started_at = coalesce(j.started_at, $5::timestamptz), completed_at = coalesce($6::timestamptz, j.completed_at),
       updated_at = now()
     from (select job_id, status as previous from jobs where job_id = $1 for update) p
     where j.job_id = p.job_id and (j.status = 'pending' or (j.status = 'running' and $2 = 'completed'))
     returning p.previous`,
    [jobId, to.status, to.runnerName, to.conclusion, to.startedAt, to.completedAt],
  );
  return rows[0]?.previous;
}

/** pending|running → failed, with the reason (the job or its installation is gone from GitHub). */
export async function failJob(
  db: Db,
  jobId: number,
  failureInfo: Record<string, unknown>,
): Promise<boolean> {
  const { rowCount } = await db
    .update(jobs)
    .set({ status: 'failed', failureInfo, updatedAt: sql`now()` })
    .where(and(eq(jobs.jobId, jobId), inArray(jobs.status, ACTIVE_STATUSES)));
  return (rowCount ?? 0) > 0;
}

export async function activeWorkers(db: Db): Promise<WorkerRecord[]> {
  const rows = await db
    .select()
    .from(workers)
    .where(inArray(workers.status, ACTIVE_STATUSES))
    .orderBy(asc(workers.createdAt));
  return rows.map(toWorker);
}

export async function workersByName(
  db: Db,
  names: readonly string[],
): Promise<Map<string, WorkerRecord>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .select()
    .from(workers)
    .where(anyOf(workers.podName, names, 'text'));
  return new Map(rows.map((r) => [r.podName, toWorker(r)]));
}

/** Runner names that a job names (they registered and took a job). */
export async function runnersThatTookJobs(db: Db, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ runnerName: jobs.runnerName })
    .from(jobs)
    .where(anyOf(jobs.runnerName, names, 'text'));
  return new Set(rows.flatMap((r) => (r.runnerName === null ? [] : [r.runnerName])));
}

/**
 * Workers, among `names`, whose pool (board, entity and labels) still has a pending job they could
 * take. An idle runner of any other pool is surplus: the demand it was made for is gone.
 */
export async function workersWithDemand(db: Db, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await db.$client.query<Pick<RawRow<typeof workers>, 'pod_name'>>(
    `select w.pod_name from workers w where w.pod_name = any($1::text[]) and exists (
       select 1 from jobs j where j.status = 'pending' and j.k8s_pool = w.k8s_pool
         and j.entity_id = w.entity_id and j.job_labels = w.job_labels)`,
    [names],
  );
  return new Set(rows.map((r) => r.pod_name));
}

export type RunnerScopeRow = Pick<
  typeof workers.$inferSelect,
  'entityId' | 'entityName' | 'entityType' | 'installationId' | 'repoFullName'
>;

/** Scopes whose GitHub runners may need attention: with active workers, or workers finished since `since`. */
export async function scopesToScan(db: Db, since: Date): Promise<RunnerScopeRow[]> {
  const repo = sql`coalesce(${workers.repoFullName}, '')`;
  return db
    .selectDistinctOn([workers.entityId, repo], {
      entityId: workers.entityId,
      entityName: workers.entityName,
      entityType: workers.entityType,
      installationId: workers.installationId,
      repoFullName: workers.repoFullName,
    })
    .from(workers)
    .where(or(inArray(workers.status, ACTIVE_STATUSES), gt(workers.completedAt, since)))
    .orderBy(workers.entityId, repo, desc(workers.createdAt));
}

export async function readState<T extends Record<string, unknown>>(
  db: Db,
  key: string,
): Promise<T | undefined> {
  const [row] = await db
    .select({ value: reconcileState.value })
    .from(reconcileState)
    .where(eq(reconcileState.key, key));
  return row?.value as T | undefined;
}

export async function writeState(
  db: Db,
  key: string,
  value: Record<string, unknown>,
): Promise<void> {
  await db
    .insert(reconcileState)
    .values({ key, value })
    .onConflictDoUpdate({
      target: reconcileState.key,
      set: { value: sql`excluded.value`, updatedAt: sql`now()` },
    });
}

/** Delivery ids we have recorded (received at least once), among `ids`. */
export async function receivedDeliveries(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ deliveryId: deliveries.deliveryId })
    .from(deliveries)
    .where(anyOf(deliveries.deliveryId, ids, 'text'));
  return new Set(rows.map((r) => r.deliveryId));
}

/**
 * Deletes finished rows older than the cut-off, `batch` at a time (short transactions, no long
 * locks). Active jobs and workers are never deleted, whatever their age.
 */
export async function deleteOldRows(
  db: Db,
  before: Date,
  batch: number,
): Promise<{ jobs: number; workers: number; deliveries: number }> {
  // A batch at a time: `delete … where key in (select … limit n)` keeps each statement short.
  const run = async (deleteBatch: () => Promise<{ rowCount: number | null }>) => {
    let total = 0;
    for (;;) {
      const { rowCount } = await deleteBatch();
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return total;
    }
  };
  const FINISHED = ['completed', 'failed'] as const;
  return {
    jobs: await run(() =>
      db.delete(jobs).where(
        inArray(
          jobs.jobId,
          db
            .select({ id: jobs.jobId })
            .from(jobs)
            .where(and(inArray(jobs.status, FINISHED), lt(jobs.updatedAt, before)))
            .limit(batch),
        ),
      ),
    ),
    workers: await run(() =>
      db.delete(workers).where(
        inArray(
          workers.podName,
          db
            .select({ id: workers.podName })
            .from(workers)
            .where(and(inArray(workers.status, FINISHED), lt(workers.completedAt, before)))
            .limit(batch),
        ),
      ),
    ),
    deliveries: await run(() =>
      db
        .delete(deliveries)
        .where(
          inArray(
            deliveries.deliveryId,
            db
              .select({ id: deliveries.deliveryId })
              .from(deliveries)
              .where(lt(deliveries.lastReceivedAt, before))
              .limit(batch),
          ),
        ),
    ),
  };
}
