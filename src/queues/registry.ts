import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every queue, the jobs it carries and their payloads, in one place. Queue keys in Redis are
 * `<REDIS_PREFIX>:<queue>:…` (BullMQ's layout), e.g. `rise:prod:provision:wait`.
 */
export const QUEUES = {
  /** Deliveries accepted while PostgreSQL was unreachable, applied once it is back. */
  ingest: 'ingest',
  /** Matching demand to supply for a board, and one job per GitHub job waiting for a runner. */
  provision: 'provision',
  /** Minting a JIT config and creating the Secret and pod of one reserved worker. */
  runners: 'runners',
  /** Repeatable reconciliation ticks. */
  reconcile: 'reconcile',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const deliveryRecord = z.looseObject({
  deliveryId: z.string().min(1),
  event: z.string(),
  action: z.string().nullable(),
  outcome: z.string(),
});

export const PAYLOADS = {
  'apply-delivery': z.object({ records: z.array(deliveryRecord).min(1) }),
  provision: z.object({ jobId: z.number().int().positive(), board: z.string().min(1) }),
  match: z.object({ board: z.string().min(1), reason: z.string().optional() }),
  'create-runner': z.object({ podName: z.string().min(1) }),
  reconcile: z.object({ task: z.string().min(1) }),
} as const;
export type JobName = keyof typeof PAYLOADS;
export type Payload<N extends JobName> = z.infer<(typeof PAYLOADS)[N]>;

/** BullMQ job ids may contain neither ':' nor be all digits. */
export const jobIds = {
  provision: (jobId: number) => `job-${jobId}`,
  spool: (deliveryId: string) => `delivery-${deliveryId.replace(/:/g, '_')}`,
  createRunner: (podName: string) => `runner-${podName}`,
  match: (board: string) => `match-${board}`,
};

export const JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  // PostgreSQL may be down for a while: keep trying, with the gap capped by the worker's
  // backoff strategy, and keep what never applied for an operator to see.
  ingest: {
    attempts: 10_000,
    backoff: { type: 'capped', delay: 1_000 },
    removeOnComplete: true,
    removeOnFail: false,
  },
  // Removed on completion so the same id can be added again when the job must be looked at anew;
  // PostgreSQL, not BullMQ, is the record of what happened.
  provision: {
    attempts: 8,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600 },
  },
  // Five tries cover a GitHub or Kubernetes blip of a few seconds; after that the worker is
  // marked failed and matching starts a fresh one.
  runners: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  reconcile: {
    attempts: 1,
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 500 },
  },
};

/** Exponential from `delay`, capped at a minute: a long outage does not push retries to hours. */
export function cappedBackoff(attemptsMade: number, delay = 1_000): number {
  return Math.min(60_000, delay * 2 ** Math.max(0, attemptsMade - 1));
}
