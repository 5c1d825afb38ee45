import type { QueueLatency } from '../db/workers.js';
import type { ApplyResult, DeliveryRecord } from '../db/ingest.js';
import type { Metrics } from './registry.js';

const seconds = (ms: number) => Math.max(0, ms) / 1000;

/**
 * Where a worker reached a stage (pod created, or running): observes the time since the queued
 * webhook of its job, which the same UPDATE returned (both ends from PostgreSQL's clock or the
 * pod's, never mixed with this process's). Called once per transition, where it happens.
 */
export function observeQueueLatency(
  metrics: Pick<Metrics, 'latency'>,
  stage: 'pod_created' | 'running',
  latency: QueueLatency,
): void {
  if (latency.seconds === null) return;
  const histogram =
    stage === 'pod_created' ? metrics.latency.podCreated : metrics.latency.podRunning;
  histogram.observe({ board: latency.board }, Math.max(0, latency.seconds));
}

const time = (v: Date | string | null | undefined): number | undefined => {
  if (v === null || v === undefined) return undefined;
  // Spooled records went through JSON: their dates are strings.
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * After a delivery was applied: an `in_progress` that moved its job forward observes GitHub's
 * queued → started time (both from GitHub's payload, one clock). Redeliveries and deliveries
 * that changed nothing are skipped, so each job is observed once.
 */
export function observeDelivery(
  metrics: Pick<Metrics, 'latency'>,
  record: DeliveryRecord,
  result: Pick<ApplyResult, 'jobChanged' | 'redelivery'>,
): void {
  const job = record.job;
  if (!job || job.action !== 'in_progress' || !result.jobChanged || result.redelivery) return;
  const queued = time(job.facts.queuedAt);
  const started = time(job.facts.startedAt);
  if (queued === undefined || started === undefined) return;
  metrics.latency.inProgress.observe({ board: job.facts.board }, seconds(started - queued));
}

/** Times one reconciliation pass of `task` and counts it as ok or error (rethrowing errors). */
export async function timeReconcile<T>(
  metrics: Pick<Metrics, 'reconcile'>,
  task: string,
  run: () => Promise<T>,
): Promise<T> {
  const end = metrics.reconcile.duration.startTimer({ task });
  try {
    const result = await run();
    metrics.reconcile.runs.inc({ task, outcome: 'ok' });
    return result;
  } catch (err) {
    metrics.reconcile.runs.inc({ task, outcome: 'error' });
    throw err;
  } finally {
    end();
  }
}

/** What a reconciliation pass changed: `countReconciled(m, 'runners', 'deleted_orphan', 3)`. */
export function countReconciled(
  metrics: Pick<Metrics, 'reconcile'>,
  task: string,
  action: string,
  n = 1,
): void {
  if (n > 0) metrics.reconcile.items.inc({ task, action }, n);
}

/** One error worth alerting on: `countError(m, 'runner_creation', 'github_5xx')`. */
export function countError(
  metrics: Pick<Metrics, 'errors'>,
  component: string,
  reason: string,
): void {
  metrics.errors.inc({ component, reason });
}
