import type { Db } from './client.js';
import { toWorker, type WorkerRecord } from './workers.js';

export interface StaleJob {
  jobId: number;
  status: 'pending' | 'running';
  repoFullName: string;
  installationId: number;
  entityType: 'Organization' | 'User';
  board: string;
}

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
  const { rows } = await db.$client.query<{
    job_id: string;
    status: 'pending' | 'running';
    repo_full_name: string;
    installation_id: string;
    entity_type: 'Organization' | 'User';
    k8s_pool: string;
  }>(
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
  const { rows } = await db.$client.query<{ previous: string }>(
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
  const { rowCount } = await db.$client.query(
    `update jobs set status = 'failed', failure_info = $2::jsonb, updated_at = now()
     where job_id = $1 and status in ('pending', 'running')`,
    [jobId, JSON.stringify(failureInfo)],
  );
  return (rowCount ?? 0) > 0;
}

export async function activeWorkers(db: Db): Promise<WorkerRecord[]> {
  const { rows } = await db.$client.query<Parameters<typeof toWorker>[0]>(
    `select * from workers where status in ('pending', 'running') order by created_at`,
  );
  return rows.map(toWorker);
}

export async function workersByName(
  db: Db,
  names: readonly string[],
): Promise<Map<string, WorkerRecord>> {
  if (names.length === 0) return new Map();
  const { rows } = await db.$client.query<Parameters<typeof toWorker>[0]>(
    'select * from workers where pod_name = any($1::text[])',
    [names],
  );
  return new Map(rows.map((r) => [r.pod_name, toWorker(r)]));
}

/** Runner names that a job names (they registered and took a job). */
export async function runnersThatTookJobs(db: Db, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await db.$client.query<{ runner_name: string }>(
    'select distinct runner_name from jobs where runner_name = any($1::text[])',
    [names],
  );
  return new Set(rows.map((r) => r.runner_name));
}

/**
 * Workers, among `names`, whose pool (board, entity and labels) still has a pending job they could
 * take. An idle runner of any other pool is surplus: the demand it was made for is gone.
 */
export async function workersWithDemand(db: Db, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await db.$client.query<{ pod_name: string }>(
    `select w.pod_name from workers w where w.pod_name = any($1::text[]) and exists (
       select 1 from jobs j where j.status = 'pending' and j.k8s_pool = w.k8s_pool
         and j.entity_id = w.entity_id and j.job_labels = w.job_labels)`,
    [names],
  );
  return new Set(rows.map((r) => r.pod_name));
}

export interface RunnerScopeRow {
  entityId: number;
  entityName: string;
  entityType: 'Organization' | 'User';
  installationId: number;
  repoFullName: string | null;
}

/** Scopes whose GitHub runners may need attention: with active workers, or workers finished since `since`. */
export async function scopesToScan(db: Db, since: Date): Promise<RunnerScopeRow[]> {
  const { rows } = await db.$client.query<{
    entity_id: string;
    entity_name: string;
    entity_type: 'Organization' | 'User';
    installation_id: string;
    repo_full_name: string | null;
  }>(
    `select distinct on (entity_id, coalesce(repo_full_name, ''))
       entity_id, entity_name, entity_type, installation_id, repo_full_name
     from workers
     where status in ('pending', 'running') or completed_at > $1
     order by entity_id, coalesce(repo_full_name, ''), created_at desc`,
    [since],
  );
  return rows.map((r) => ({
    entityId: Number(r.entity_id),
    entityName: r.entity_name,
    entityType: r.entity_type,
    installationId: Number(r.installation_id),
    repoFullName: r.repo_full_name,
  }));
}

export async function readState<T extends Record<string, unknown>>(
  db: Db,
  key: string,
): Promise<T | undefined> {
  const { rows } = await db.$client.query<{ value: T }>(
    'select value from reconcile_state where key = $1',
    [key],
  );
  return rows[0]?.value;
}

export async function writeState(
  db: Db,
  key: string,
  value: Record<string, unknown>,
): Promise<void> {
  await db.$client.query(
    `insert into reconcile_state (key, value) values ($1, $2::jsonb)
     on conflict (key) do update set value = excluded.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}

/** Delivery ids we have recorded (received at least once), among `ids`. */
export async function receivedDeliveries(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.$client.query<{ delivery_id: string }>(
    'select delivery_id from deliveries where delivery_id = any($1::text[])',
    [ids],
  );
  return new Set(rows.map((r) => r.delivery_id));
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
  const run = async (sql: string) => {
    let total = 0;
    for (;;) {
      const { rowCount } = await db.$client.query(sql, [before, batch]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return total;
    }
  };
  return {
    jobs: await run(
      `delete from jobs where job_id in (select job_id from jobs
        where status in ('completed', 'failed') and updated_at < $1 limit $2)`,
    ),
    workers: await run(
      `delete from workers where pod_name in (select pod_name from workers
        where status in ('completed', 'failed') and completed_at < $1 limit $2)`,
    ),
    deliveries: await run(
      `delete from deliveries where delivery_id in (select delivery_id from deliveries
        where last_received_at < $1 limit $2)`,
    ),
  };
}
