import type { Queue } from 'bullmq';
import { entitySettings, type RunnersConfig } from '../config/runners.js';
import { runnerAttempts, type RunnerAttempt } from '../db/attempts.js';
import type { Db } from '../db/client.js';
import { drainedBoards } from '../db/drains.js';
import { jobCoverage } from '../db/jobs.js';
import { AVAILABLE_WORKER, WORKER_OWNER } from '../db/reservations.js';
import { toWorker } from '../db/workers.js';
import { jobIds } from '../queues/registry.js';
import { readLastErrors, readSnapshot, type CacheRedis } from './cluster-cache.js';
import { explainJob, type ExplainInput, type Explanation, type JobStatus } from './explain.js';
import { toDeliveryView, toJobView, type DeliveryRowRaw, type JobRowRaw } from './rows.js';
import {
  buildTimeline,
  type DeliveryView,
  type JobView,
  type TimelineEvent,
  type WorkerView,
} from './timeline.js';

export interface ReportDeps {
  db: Db;
  redis: CacheRedis;
  prefix: string;
  runners: RunnersConfig;
  /** When given, the job's BullMQ provisioning job is looked at too. */
  provision?: Pick<Queue, 'getJob' | 'getJobLogs' | 'toKey'>;
}

export interface JobReport {
  job: JobView;
  deliveries: DeliveryView[];
  workers: WorkerView[];
  /** Runners that failed before the job started (MAX_RUNNER_ATTEMPTS of them fail the job). */
  attempts: RunnerAttempt[];
  timeline: TimelineEvent[];
  explanation: Explanation;
}

type WorkerRaw = Parameters<typeof toWorker>[0];

async function provisioningState(
  queue: NonNullable<ReportDeps['provision']>,
  redis: CacheRedis,
  jobId: number,
): Promise<ExplainInput['provisioning']> {
  const id = jobIds.provision(jobId);
  const job = await queue.getJob(id);
  if (!job) return null;
  const state = await job.getState();
  const { logs } = await queue.getJobLogs(id, 0, 0, false);
  let delayedUntil: Date | undefined;
  if (state === 'delayed') {
    // BullMQ scores delayed jobs as timestamp * 0x1000 + a counter.
    const score = await redis.zscore(queue.toKey('delayed'), id);
    if (score !== null) delayedUntil = new Date(Math.floor(Number(score) / 0x1000));
  }
  return {
    state,
    ...(delayedUntil ? { delayedUntil } : {}),
    ...(logs[0] ? { lastLog: logs[0] } : {}),
    ...(state === 'failed' && job.failedReason ? { failedReason: job.failedReason } : {}),
  };
}

async function explainInput(
  deps: ReportDeps,
  job: JobView,
  now: Date,
): Promise<Omit<ExplainInput, 'job'>> {
  const q = deps.db.$client;
  const ownerName = job.repoFullName.split('/')[0]!.toLowerCase();
  const [coverage, pool, entity, board, drains, snapshot, lastErrors, provisioning, owner, served] =
    await Promise.all([
      jobCoverage(deps.db, job.jobId),
      q.query<{ pod_name: string; status: JobStatus; pod_created_at: Date | null }>(
        `select w.pod_name, w.status, w.pod_created_at from workers w
         where w.k8s_pool = $1 and w.entity_id = $2 and w.job_labels = $3::jsonb and ${AVAILABLE_WORKER}
         order by w.created_at`,
        [job.board, job.entityId, JSON.stringify(job.labels)],
      ),
      q.query<{ active: number }>(
        `select count(*)::int as active from workers
         where entity_id = $1 and status in ('pending', 'running')`,
        [job.entityId],
      ),
      q.query<{ pod_name: string }>(
        `select pod_name from workers where k8s_pool = $1 and status in ('pending', 'running')`,
        [job.board],
      ),
      drainedBoards(deps.db),
      readSnapshot(deps.redis, deps.prefix),
      readLastErrors(deps.redis, deps.prefix, { board: job.board, entityId: job.entityId }),
      deps.provision
        ? provisioningState(deps.provision, deps.redis, job.jobId)
        : Promise.resolve(undefined),
      q.query<{ active: number }>(
        `select count(*)::int as active from workers w
         where w.status in ('pending', 'running') and ${WORKER_OWNER} = $1`,
        [ownerName],
      ),
      // Entities waiting on the board and when each last got a worker there (as allocate.ts).
      q.query<{ entity_id: string; entity_name: string; at: Date | null }>(
        `select e.entity_id, e.entity_name,
           (select max(created_at) from workers w where w.k8s_pool = $1 and w.entity_id = e.entity_id) as at
         from (select distinct on (entity_id) entity_id, entity_name from jobs
               where k8s_pool = $1 and status = 'pending' order by entity_id, created_at desc) e`,
        [job.board],
      ),
    ]);
  const servedAt = (r: { at: Date | null } | undefined) => r?.at?.getTime() ?? -Infinity;
  const mine = served.rows.find((r) => Number(r.entity_id) === job.entityId);
  const ahead = served.rows
    .filter((r) => Number(r.entity_id) !== job.entityId && servedAt(r) < servedAt(mine))
    .sort((a, b) => servedAt(a) - servedAt(b) || 0)
    .map((r) => r.entity_name);
  const drain = drains.find((d) => d.board === job.board);
  return {
    now,
    coverage: { ahead: coverage?.ahead ?? 0, available: coverage?.available ?? 0 },
    poolWorkers: pool.rows.map((r) => ({
      podName: r.pod_name,
      status: r.status,
      podCreatedAt: r.pod_created_at,
    })),
    entity: {
      active: entity.rows[0]?.active ?? 0,
      cap: entitySettings(deps.runners, job.entityId).maxWorkers,
    },
    owner: {
      name: ownerName,
      active: owner.rows[0]?.active ?? 0,
      cap: entitySettings(deps.runners, job.entityId).maxWorkersPerOwner,
    },
    turn: { ahead, lastServedAt: mine?.at ?? null },
    drain: drain ? { reason: drain.reason, drainedAt: drain.drainedAt } : null,
    snapshot,
    activeOnBoard: board.rows.map((r) => r.pod_name),
    lastErrors,
    provisioning,
  };
}

/** Everything `/jobs/:id` and `cli job ID` show: the row, its timeline and why it waits. */
export async function loadJobReport(
  deps: ReportDeps,
  jobId: number,
  now = new Date(),
): Promise<JobReport | undefined> {
  const q = deps.db.$client;
  const { rows } = await q.query<JobRowRaw>('select * from jobs where job_id = $1', [jobId]);
  if (!rows[0]) return undefined;
  const job = toJobView(rows[0]);
  const [deliveries, workers, attempts] = await Promise.all([
    q.query<DeliveryRowRaw>('select * from deliveries where job_id = $1 order by received_at', [
      jobId,
    ]),
    q.query<WorkerRaw>(
      `select * from workers where reserved_for_job_id = $1 or pod_name = $2 order by created_at`,
      [jobId, job.runnerName],
    ),
    runnerAttempts(deps.db, [jobId]),
  ]);
  const deliveryViews = deliveries.rows.map(toDeliveryView);
  const workerViews = workers.rows.map(toWorker);
  const base =
    job.status === 'pending'
      ? await explainInput(deps, job, now)
      : {
          now,
          coverage: { ahead: 0, available: 0 },
          poolWorkers: [],
          entity: { active: 0, cap: null },
          drain: null,
          snapshot: undefined,
          activeOnBoard: [],
          lastErrors: {},
        };
  return {
    job,
    deliveries: deliveryViews,
    workers: workerViews,
    attempts: attempts.get(jobId) ?? [],
    timeline: buildTimeline(job, deliveryViews, workerViews),
    explanation: explainJob({ ...base, job }),
  };
}
