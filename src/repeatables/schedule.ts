import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

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

/**
 * Declares the schedulers (idempotent: upsert by stable id) and removes ids no longer declared.
 * Every worker process calls this at start; a short Redis lock lets one do it at a time, since
 * BullMQ has reports of concurrent upserts of one scheduler misbehaving.
 */
export async function registerSchedulers(
  queue: Pick<Queue, 'upsertJobScheduler' | 'getJobSchedulers' | 'removeJobScheduler'>,
  redis: Pick<Redis, 'set' | 'eval'>,
  lockKey: string,
  tickMs: number,
  log: Logger,
): Promise<'registered' | 'skipped'> {
  const token = `${process.pid}:${Date.now()}`;
  if ((await redis.set(lockKey, token, 'PX', 30_000, 'NX')) !== 'OK') return 'skipped';
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
    await redis.eval(
      `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`,
      1,
      lockKey,
      token,
    );
  }
}

/**
 * Runs a task unless another process is still running it (a pass longer than the interval makes
 * ticks overlap). The lock lives `ttlMs` and is renewed every third of that while the pass runs,
 * so a crashed holder blocks the task for `ttlMs` at most, however long passes may take.
 */
export async function withTaskLock<T>(
  redis: Pick<Redis, 'set' | 'eval'>,
  key: string,
  ttlMs: number,
  run: () => Promise<T>,
): Promise<T | 'busy'> {
  const token = `${process.pid}:${Math.random()}`;
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return 'busy';
  const renew = setInterval(
    () => {
      redis
        .eval(
          `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`,
          1,
          key,
          token,
          ttlMs,
        )
        .catch(() => undefined);
    },
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  try {
    return await run();
  } finally {
    clearInterval(renew);
    await redis.eval(
      `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`,
      1,
      key,
      token,
    );
  }
}
