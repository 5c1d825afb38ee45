import type { Queue } from 'bullmq';
import { and, asc, eq, inArray, or } from 'drizzle-orm';
import { entitySettings, type RunnersConfig } from '../config/runners.js';
import { runnerAttempts, type RunnerAttempt } from '../db/attempts.js';
import type { Db } from '../db/client.js';
import { drainedBoards } from '../db/drains.js';
import { jobCoverage } from '../db/jobs.js';
import { AVAILABLE_WORKER, WORKER_OWNER } from '../db/reservations.js';
import type { RawRow } from '../db/raw.js';
import { ACTIVE_STATUSES, deliveries, jobs, workers } from '../db/schema/index.js';
import { toWorker } from '../db/workers.js';
import { jobIds } from '../queues/registry.js';
import { readLastErrors, readSnapshot, type CacheRedis } from './cluster-cache.js';
import { explainJob, type ExplainInput, type Explanation } from './explain.js';
import { toDeliveryView, toJobView } from './rows.js';
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
  const { db } = deps;
  const q = db.$client;
  const ownerName = job.repoFullName.split('/')[0]!.toLowerCase();
  const [coverage, pool, entity, board, drains, snapshot, lastErrors, provisioning, owner, served] =
    await Promise.all([
      jobCoverage(db, job.jobId),
      // Raw: AVAILABLE_WORKER and WORKER_OWNER are shared with the reservation SQL (alias `w`).
      q.query<Pick<RawRow<typeof workers>, 'pod_name' | 'status' | 'pod_created_at'>>(
        `select w.pod_name, w.status, w.pod_created_at from workers w
         where w.k8s_pool = $1 and w.entity_id = $2 and w.job_labels = $3::jsonb and ${AVAILABLE_WORKER}
         order by w.created_at`,
        [job.board, job.entityId, JSON.stringify(job.labels)],
      ),
      db.$count(
        workers,
        and(eq(workers.entityId, job.entityId), inArray(workers.status, ACTIVE_STATUSES)),
      ),
      db
        .select({ podName: workers.podName })
        .from(workers)
        .where(and(eq(workers.k8sPool, job.board), inArray(workers.status, ACTIVE_STATUSES))),
      drainedBoards(db),
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
      q.query<Pick<RawRow<typeof jobs>, 'entity_id' | 'entity_name'> & { at: Date | null }>(
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
      active: entity,
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
    activeOnBoard: board.map((r) => r.podName),
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
  const { db } = deps;
  const [row] = await db.select().from(jobs).where(eq(jobs.jobId, jobId));
  if (!row) return undefined;
  const job = toJobView(row);
  const [deliveryRows, workerRows, attempts] = await Promise.all([
    db
      .select()
      .from(deliveries)
      .where(eq(deliveries.jobId, jobId))
      .orderBy(asc(deliveries.receivedAt)),
    db
      .select()
      .from(workers)
      .where(
        or(
          eq(workers.reservedForJobId, jobId),
          job.runnerName === null ? undefined : eq(workers.podName, job.runnerName),
        ),
      )
      .orderBy(asc(workers.createdAt)),
    runnerAttempts(db, [jobId]),
  ]);
  const deliveryViews = deliveryRows.map(toDeliveryView);
  const workerViews = workerRows.map(toWorker);
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
