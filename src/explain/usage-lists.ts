import { asc, inArray } from 'drizzle-orm';
import { runnerAttempts, type RunnerAttempt } from '../db/attempts.js';
import type { Db } from '../db/client.js';
import { jobs, type JobRow } from '../db/schema/jobs.js';
import { ACTIVE_STATUSES } from '../db/schema/status.js';
import { workers, type WorkerRow } from '../db/schema/workers.js';
import type { ClusterSnapshot, SnapshotEvent } from '../queues/cache-values.js';

/** Most active jobs and workers listed on /usage (the oldest first); the pool counts stay exact. */
export const LIST_LIMIT = 500;

/** An active job as its `jobs` row (drizzle's field names), with its failed runner attempts. */
export type UsageJob = JobRow & { attempts: RunnerAttempt[] };

/** An active worker as its `workers` row, with its pod as the cluster snapshot last saw it. */
export type UsageWorker = WorkerRow & {
  /** Live pod state; null when the snapshot has no such pod (or there is no snapshot). */
  pod: { phase: string; reason: string | null; node: string | null } | null;
  /** The pod's latest Kubernetes events, oldest first. */
  events: SnapshotEvent[];
};

/** Every active job and worker (up to LIST_LIMIT each), workers joined with the snapshot. */
export async function loadActive(
  db: Db,
  snapshot: Pick<ClusterSnapshot, 'pods'> | undefined,
): Promise<{ jobs: UsageJob[]; workers: UsageWorker[]; truncated: boolean }> {
  const [jobRows, workerRows] = await Promise.all([
    db
      .select()
      .from(jobs)
      .where(inArray(jobs.status, [...ACTIVE_STATUSES]))
      .orderBy(asc(jobs.createdAt), asc(jobs.jobId))
      .limit(LIST_LIMIT),
    db
      .select()
      .from(workers)
      .where(inArray(workers.status, [...ACTIVE_STATUSES]))
      .orderBy(asc(workers.createdAt), asc(workers.podName))
      .limit(LIST_LIMIT),
  ]);
  const pods = new Map((snapshot?.pods ?? []).map((p) => [p.name, p]));
  const attempts = await runnerAttempts(
    db,
    jobRows.map((j) => j.jobId),
  );
  return {
    jobs: jobRows.map((j) => ({ ...j, attempts: attempts.get(j.jobId) ?? [] })),
    workers: workerRows.map((w) => {
      const pod = pods.get(w.podName);
      return {
        ...w,
        pod: pod ? { phase: pod.phase, reason: pod.reason, node: pod.node } : null,
        events: pod?.events ?? [],
      };
    }),
    truncated: jobRows.length === LIST_LIMIT || workerRows.length === LIST_LIMIT,
  };
}

/** The key of an (entity, labels, board) pool, as /usage groups rows. */
export const poolKey = (entityId: number, labels: readonly string[], board: string): string =>
  JSON.stringify([entityId, board, labels]);
