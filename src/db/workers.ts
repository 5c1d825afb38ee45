import type { Db } from './client.js';

export type FailureInfo = { version: 2; reason: string } & Record<string, unknown>;

export interface WorkerRecord {
  podName: string;
  entityId: number;
  entityName: string;
  entityType: 'Organization' | 'User';
  installationId: number;
  repoFullName: string | null;
  labels: string[];
  board: string;
  image: string;
  node: string | null;
  status: 'pending' | 'running' | 'completed' | 'failed';
  runnerId: number | null;
  reservedForJobId: number | null;
  createdAt: Date;
  podCreatedAt: Date | null;
  runningAt: Date | null;
  completedAt: Date | null;
  failureInfo: FailureInfo | null;
}

interface Row {
  pod_name: string;
  entity_id: string;
  entity_name: string;
  entity_type: 'Organization' | 'User';
  installation_id: string;
  repo_full_name: string | null;
  job_labels: string[];
  k8s_pool: string;
  k8s_image: string;
  k8s_node: string | null;
  status: WorkerRecord['status'];
  runner_id: string | null;
  reserved_for_job_id: string | null;
  created_at: Date;
  pod_created_at: Date | null;
  running_at: Date | null;
  completed_at: Date | null;
  failure_info: FailureInfo | null;
}

export const toWorker = (r: Row): WorkerRecord => ({
  podName: r.pod_name,
  entityId: Number(r.entity_id),
  entityName: r.entity_name,
  entityType: r.entity_type,
  installationId: Number(r.installation_id),
  repoFullName: r.repo_full_name,
  labels: r.job_labels,
  board: r.k8s_pool,
  image: r.k8s_image,
  node: r.k8s_node,
  status: r.status,
  runnerId: r.runner_id === null ? null : Number(r.runner_id),
  reservedForJobId: r.reserved_for_job_id === null ? null : Number(r.reserved_for_job_id),
  createdAt: r.created_at,
  podCreatedAt: r.pod_created_at,
  runningAt: r.running_at,
  completedAt: r.completed_at,
  failureInfo: r.failure_info,
});

export async function getWorker(db: Db, podName: string): Promise<WorkerRecord | undefined> {
  const { rows } = await db.$client.query<Row>('select * from workers where pod_name = $1', [
    podName,
  ]);
  return rows[0] ? toWorker(rows[0]) : undefined;
}

/** A worker with the repository of the job it was reserved for (repository overrides need it). */
export async function getWorkerForCreation(
  db: Db,
  podName: string,
): Promise<(WorkerRecord & { jobRepo: string | null }) | undefined> {
  const { rows } = await db.$client.query<Row & { job_repo: string | null }>(
    `select w.*, j.repo_full_name as job_repo from workers w
     left join jobs j on j.job_id = w.reserved_for_job_id where w.pod_name = $1`,
    [podName],
  );
  const r = rows[0];
  return r ? { ...toWorker(r), jobRepo: r.job_repo } : undefined;
}

export async function listWorkers(
  db: Db,
  filter: {
    statuses?: WorkerRecord['status'][];
    board?: string;
    entityId?: number;
    limit?: number;
  } = {},
): Promise<WorkerRecord[]> {
  const { rows } = await db.$client.query<Row>(
    `select * from workers
     where ($1::text[] is null or status = any($1)) and ($2::text is null or k8s_pool = $2)
       and ($3::bigint is null or entity_id = $3)
     order by created_at desc limit $4`,
    [filter.statuses ?? null, filter.board ?? null, filter.entityId ?? null, filter.limit ?? 1000],
  );
  return rows.map(toWorker);
}

/** Records what creating the runner produced; the status stays pending until the pod runs. */
/**
 * How long a worker's job had been queued (since its `queued` webhook was recorded) when the
 * worker reached a stage, by the database's clock; null when the worker serves no job we know.
 */
export interface QueueLatency {
  board: string;
  seconds: number | null;
}

const SINCE_QUEUED = (column: string) =>
  `extract(epoch from w.${column} - (select j.created_at from jobs j where j.job_id = w.reserved_for_job_id))::float8`;

/** Records the runner and pod made for a worker; returns the queue time to pod creation. */
export async function recordRunnerCreated(
  db: Db,
  podName: string,
  runnerId: number | null,
  podCreated: boolean,
): Promise<QueueLatency | undefined> {
  const { rows } = await db.$client.query<QueueLatency>(
    `update workers w set runner_id = coalesce($2, w.runner_id),
       pod_created_at = case when $3 then coalesce(w.pod_created_at, now()) else w.pod_created_at end,
       updated_at = now()
     where w.pod_name = $1
     returning w.k8s_pool as board, ${SINCE_QUEUED('pod_created_at')} as seconds`,
    [podName, runnerId, podCreated],
  );
  return rows[0];
}

/**
 * pending → running (forward only). Returns the previous status and the queue time to running,
 * or undefined if unchanged.
 */
export async function markWorkerRunning(
  db: Db,
  podName: string,
  at: Date,
  node: string | null,
): Promise<(QueueLatency & { previous: string }) | undefined> {
  const { rows } = await db.$client.query<QueueLatency & { previous: string }>(
    `update workers w set status = 'running', running_at = coalesce(w.running_at, $2),
       k8s_node = coalesce($3, w.k8s_node), updated_at = now()
     from (select pod_name, status as previous from workers where pod_name = $1 for update) p
     where w.pod_name = p.pod_name and w.status = 'pending'
     returning p.previous, w.k8s_pool as board, ${SINCE_QUEUED('running_at')} as seconds`,
    [podName, at, node],
  );
  return rows[0];
}

/**
 * Marks an active worker as being replaced, before its runner is deleted: deleting a runner makes
 * its process exit, and the pod follower may finish the worker before the replacer does. The mark
 * (a failure_info on an active worker) makes that finish a failure with the replacer's reason;
 * null takes the mark back (the runner was busy). Returns false when the worker is already finished.
 */
export async function markReplacing(
  db: Db,
  podName: string,
  failureInfo: FailureInfo | null,
): Promise<boolean> {
  const { rowCount } = await db.$client.query(
    `update workers set failure_info = $2::jsonb, updated_at = now()
     where pod_name = $1 and status in ('pending', 'running')`,
    [podName, failureInfo && JSON.stringify(failureInfo)],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * pending|running → completed|failed (forward only: a finished worker never changes again).
 * A worker marked by markReplacing finishes failed, its mark winning over the caller's reason.
 * Returns the previous status, or undefined when the worker was already finished or is unknown.
 */
export async function finishWorker(
  db: Db,
  podName: string,
  outcome: {
    status: 'completed' | 'failed';
    at?: Date;
    node?: string | null;
    runningAt?: Date | null;
    failureInfo?: FailureInfo;
  },
): Promise<
  { previous: string; board: string; entityId: number; waitingBoards: string[] } | undefined
> {
  const { rows } = await db.$client.query<{
    previous: string;
    k8s_pool: string;
    entity_id: string;
    waiting: string[] | null;
  }>(
    `update workers w
     set status = case when w.failure_info is null then $2 else 'failed' end,
       completed_at = coalesce($3, now()),
       running_at = coalesce(w.running_at, $5), k8s_node = coalesce($4, w.k8s_node),
       failure_info = nullif(coalesce($6::jsonb, '{}') || coalesce(w.failure_info, '{}'), '{}'),
       updated_at = now()
     from (select pod_name, status as previous from workers where pod_name = $1 for update) p
     where w.pod_name = p.pod_name and w.status in ('pending', 'running')
     returning p.previous, w.k8s_pool, w.entity_id,
       (select array_agg(distinct k8s_pool) from jobs
        where entity_id = w.entity_id and status = 'pending') as waiting`,
    [
      podName,
      outcome.status,
      outcome.at ?? null,
      outcome.node ?? null,
      outcome.runningAt ?? null,
      outcome.failureInfo ? JSON.stringify(outcome.failureInfo) : null,
    ],
  );
  const r = rows[0];
  // The boards where the entity has jobs waiting: its freed place under max_workers matters there.
  return r
    ? {
        previous: r.previous,
        board: r.k8s_pool,
        entityId: Number(r.entity_id),
        waitingBoards: r.waiting ?? [],
      }
    : undefined;
}

/**
 * Fails the pending jobs a permanent error makes unservable (an installation gone, a runner
 * group forbidden), so they stop asking for workers. Returns how many.
 */
export async function failPendingJobs(
  db: Db,
  scope: { installationId?: number; entityId?: number; labels?: string[] },
  failureInfo: Record<string, unknown>,
): Promise<number> {
  const { rowCount } = await db.$client.query(
    `update jobs set status = 'failed', failure_info = $4::jsonb, updated_at = now()
     where status = 'pending' and ($1::bigint is null or installation_id = $1)
       and ($2::bigint is null or entity_id = $2) and ($3::jsonb is null or job_labels = $3::jsonb)`,
    [
      scope.installationId ?? null,
      scope.entityId ?? null,
      scope.labels ? JSON.stringify(scope.labels) : null,
      JSON.stringify(failureInfo),
    ],
  );
  return rowCount ?? 0;
}
