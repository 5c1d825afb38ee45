import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeliveryRecord } from '../db/ingest.js';
import { JOB_OPTIONS, QUEUES, jobIds, type Payload, type QueueName } from './registry.js';

export type Queues = Record<QueueName, Queue>;

/** Queues for adding jobs (and for Bull Board). Built by the entry points, never at import time. */
export function createQueues(
  connection: Redis,
  prefix: string,
  overrides: Partial<Record<QueueName, DefaultJobOptions>> = {},
): Queues {
  const make = (name: QueueName) =>
    new Queue(name, {
      connection,
      prefix,
      defaultJobOptions: { ...JOB_OPTIONS[name], ...overrides[name] },
    });
  return {
    ingest: make(QUEUES.ingest),
    provision: make(QUEUES.provision),
    runners: make(QUEUES.runners),
    reconcile: make(QUEUES.reconcile),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/** One provisioning job per new pending GitHub job; the stable id makes a second add a no-op. */
export async function enqueueProvision(
  queues: Pick<Queues, 'provision'>,
  jobs: Payload<'provision'>[],
): Promise<void> {
  if (jobs.length === 0) return;
  await queues.provision.addBulk(
    jobs.map((data) => ({
      name: 'provision',
      data,
      opts: { jobId: jobIds.provision(data.jobId) },
    })),
  );
}

/** Keeps deliveries durably in Redis while PostgreSQL cannot take them. */
export async function spoolDeliveries(
  queues: Pick<Queues, 'ingest'>,
  records: DeliveryRecord[],
): Promise<void> {
  await queues.ingest.addBulk(
    records.map((r) => ({
      name: 'apply-delivery',
      data: { records: [r] },
      opts: { jobId: jobIds.spool(r.deliveryId) },
    })),
  );
}

/**
 * Asks for a matching pass on a board (a slot freed, a node appeared, a worker failed). At most
 * one pass per board runs and one waits, however many kicks arrive meanwhile.
 */
export async function kickBoard(
  queues: Pick<Queues, 'provision'>,
  board: string,
  reason: string,
): Promise<void> {
  await queues.provision.add(
    'match',
    { board, reason },
    { deduplication: { id: jobIds.match(board), keepLastIfActive: true } },
  );
}

/** One runner-creation job per reserved worker; the pod name is the stable id. */
export async function enqueueCreateRunners(
  queues: Pick<Queues, 'runners'>,
  podNames: string[],
): Promise<void> {
  if (podNames.length === 0) return;
  await queues.runners.addBulk(
    podNames.map((podName) => ({
      name: 'create-runner',
      data: { podName },
      opts: { jobId: jobIds.createRunner(podName) },
    })),
  );
}
