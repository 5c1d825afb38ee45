import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import type { RawRow } from './raw.js';
import { ACTIVE_STATUSES, jobs, workers, type WorkerRow } from './schema/index.js';

export type FailureInfo = { version: 2; reason: string } & Record<string, unknown>;

/**
 * A `workers` row as the code sees it: the schema's row, with the pool columns under the names
 * the matcher uses (`labels`, `board`, `image`, `node`) and `failure_info` in its version-2 shape.
 */
export type WorkerRecord = Omit<
  WorkerRow,
  'jobLabels' | 'k8sPool' | 'k8sImage' | 'k8sNode' | 'failureInfo' | 'updatedAt'
> & {
  labels: WorkerRow['jobLabels'];
  board: WorkerRow['k8sPool'];
  image: WorkerRow['k8sImage'];
  node: WorkerRow['k8sNode'];
  failureInfo: FailureInfo | null;
};

export const toWorker = ({
  jobLabels,
  k8sPool,
  k8sImage,
  k8sNode,
  failureInfo,
  updatedAt: _updatedAt,
  ...rest
}: WorkerRow): WorkerRecord => ({
  ...rest,
  labels: jobLabels,
  board: k8sPool,
  image: k8sImage,
  node: k8sNode,
  failureInfo: failureInfo as FailureInfo | null,
});

export async function getWorker(db: Db, podName: string): Promise<WorkerRecord | undefined> {
  const [row] = await db.select().from(workers).where(eq(workers.podName, podName));
  return row ? toWorker(row) : undefined;
}

/** A worker with the repository of the job it was reserved for (repository overrides need it). */
export async function getWorkerForCreation(
  db: Db,
  podName: string,
): Promise<(WorkerRecord & { jobRepo: string | null }) | undefined> {
  const [row] = await db
    .select({ worker: workers, jobRepo: jobs.repoFullName })
    .from(workers)
    .leftJoin(jobs, eq(jobs.jobId, workers.reservedForJobId))
    .where(eq(workers.podName, podName));
  return row ? { ...toWorker(row.worker), jobRepo: row.jobRepo } : undefined;
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
  const rows = await db
    .select()
    .from(workers)
    .where(
      and(
        filter.statuses && inArray(workers.status, filter.statuses),
        filter.board === undefined ? undefined : eq(workers.k8sPool, filter.board),
        filter.entityId === undefined ? undefined : eq(workers.entityId, filter.entityId),
      ),
    )
    .orderBy(desc(workers.createdAt))
    .limit(filter.limit ?? 1000);
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

/** Seconds from the worker's job being recorded to `stage`, read after the update. */
const sinceQueued = (stage: typeof workers.podCreatedAt | typeof workers.runningAt) =>
  sql<number | null>`extract(epoch from ${stage} - (select ${jobs.createdAt} from ${jobs}
    where ${jobs.jobId} = ${workers.reservedForJobId}))::float8`;

/** The same, in raw SQL over the worker aliased `w`. */
const SINCE_QUEUED = (column: string) =>
  `extract(epoch from w.${column} - (select j.created_at from jobs j where j.job_id = w.reserved_for_job_id))::float8`;

/** Records the runner and pod made for a worker; returns the queue time to pod creation. */
export async function recordRunnerCreated(
  db: Db,
  podName: string,
  runnerId: number | null,
  podCreated: boolean,
): Promise<QueueLatency | undefined> {
  const [row] = await db
    .update(workers)
    .set({
      ...(runnerId === null ? {} : { runnerId }),
      ...(podCreated ? { podCreatedAt: sql`coalesce(${workers.podCreatedAt}, now())` } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(workers.podName, podName))
    .returning({ board: workers.k8sPool, seconds: sinceQueued(workers.podCreatedAt) });
  return row;
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
  // Raw: the row lock reads the previous status in the same statement.
  const { rows } = await db.$client.query<
    QueueLatency & { previous: RawRow<typeof workers>['status'] }
  >(
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
  const { rowCount } = await db
    .update(workers)
    .set({ failureInfo, updatedAt: sql`now()` })
    .where(and(eq(workers.podName, podName), inArray(workers.status, ACTIVE_STATUSES)));
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
  // Raw: the row lock reads the previous status, and the boards waiting, in the same statement.
  const { rows } = await db.$client.query<
    Pick<RawRow<typeof workers>, 'k8s_pool' | 'entity_id'> & {
      previous: RawRow<typeof workers>['status'];
      waiting: RawRow<typeof jobs>['k8s_pool'][] | null;
    }
  >(
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
  const { rowCount } = await db
    .update(jobs)
    .set({ status: 'failed', failureInfo, updatedAt: sql`now()` })
    .where(
      and(
        eq(jobs.status, 'pending'),
        scope.installationId === undefined
          ? undefined
          : eq(jobs.installationId, scope.installationId),
        scope.entityId === undefined ? undefined : eq(jobs.entityId, scope.entityId),
        scope.labels === undefined ? undefined : eq(jobs.jobLabels, scope.labels),
      ),
    );
  return rowCount ?? 0;
}
