import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { cappedBackoff, type QueueName } from './registry.js';

export interface WorkerSettings {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** Jobs whose lock lapses (a worker died) are retried after this long. */
  lockDuration?: number;
  extra?: Partial<WorkerOptions>;
}

/** A BullMQ worker for one of our queues, with the backoff strategies the registry names. */
export function createQueueWorker(
  name: QueueName,
  processor: Processor,
  s: WorkerSettings,
): Worker {
  return new Worker(name, processor, {
    connection: s.connection,
    prefix: s.prefix,
    concurrency: s.concurrency,
    lockDuration: s.lockDuration ?? 30_000,
    // A job whose worker died is found stalled and retried within about one lock duration.
    stalledInterval: Math.max(500, Math.floor((s.lockDuration ?? 30_000) / 2)),
    maxStalledCount: 5,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) =>
        type === 'capped' ? cappedBackoff(attemptsMade) : 1_000,
    },
    ...s.extra,
  });
}
