import type { Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import { acquireLease, type LeaseRedis } from '../queues/lease.js';

/** Every reconciliation task, its BullMQ job-scheduler id, and how often it runs. */
export const RECONCILE_TASKS = [
  'job-status',
  'redeliveries',
  'worker-pods',
  'runners',
  'pod-cleanup',
  'queue-sweep',
  'retention',
] as const;
export type ReconcileTask = (typeof RECONCILE_TASKS)[number];

const DAY_MS = 24 * 3600 * 1000;
export const schedulerId = (task: ReconcileTask) => `reconcile-${task}`;
export const taskInterval = (task: ReconcileTask, tickMs: number) =>
  task === 'retention' ? DAY_MS : tickMs;

type SchedulerQueue = Pick<Queue, 'upsertJobScheduler' | 'getJobSchedulers' | 'removeJobScheduler'>;

/**
 * Declares the schedulers (idempotent: upsert by stable id) and removes ids no longer declared.
 * Every worker process calls this; a short lease lets one do it at a time, since BullMQ has
 * reports of concurrent upserts of one scheduler misbehaving.
 */
export async function declareSchedulers(
  queue: SchedulerQueue,
  redis: LeaseRedis,
  lockKey: string,
  tickMs: number,
  log: Logger,
): Promise<'registered' | 'skipped'> {
  const lease = await acquireLease(redis, lockKey, 30_000);
  if (!lease) return 'skipped';
  try {
    for (const task of RECONCILE_TASKS) {
      await queue.upsertJobScheduler(
        schedulerId(task),
        { every: taskInterval(task, tickMs) },
        { name: 'reconcile', data: { task } },
      );
    }
    const declared = new Set<string>(RECONCILE_TASKS.map(schedulerId));
    for (const s of await queue.getJobSchedulers()) {
      const id = s.key;
      if (id && !declared.has(id)) {
        await queue.removeJobScheduler(id);
        log.info({ scheduler: id }, 'removed a job scheduler no longer declared');
      }
    }
    return 'registered';
  } finally {
    await lease.release();
  }
}

/**
 * Declares the schedulers now, and again every five ticks: they live in Redis, so after a wipe
 * whichever worker looks next declares them again. Returns the stop function.
 */
export async function keepSchedulersDeclared(
  queue: SchedulerQueue,
  redis: LeaseRedis,
  lockKey: string,
  tickMs: number,
  log: Logger,
): Promise<() => void> {
  const declare = () => declareSchedulers(queue, redis, lockKey, tickMs, log);
  log.info({ schedulers: await declare() }, 'reconciliation scheduled');
  const timer = setInterval(
    () =>
      void declare().catch((err: unknown) => log.warn({ err }, 'could not declare the schedulers')),
    Math.max(5 * tickMs, 5_000),
  );
  timer.unref();
  return () => clearInterval(timer);
}
