import { countReconciled, timeReconcile } from '../metrics/observe.js';
import { withLease } from '../queues/lease.js';
import { redisKeys } from '../queues/keys.js';
import type { Counts, ReconcileDeps } from './deps.js';
import type { ReconcileTask } from './job-schedulers.js';
import { reconcileJobStatus } from './job-status.js';
import { reconcilePodCleanup } from './pod-cleanup.js';
import { reconcileQueueSweep } from './queue-sweep.js';
import { reconcileRedeliveries } from './redeliveries.js';
import { reconcileRetention } from './retention.js';
import { reconcileRunners } from './runners.js';
import { reconcileWorkerPods } from './worker-pods.js';

export const PASSES: Record<ReconcileTask, (deps: ReconcileDeps) => Promise<Counts>> = {
  'job-status': reconcileJobStatus,
  redeliveries: reconcileRedeliveries,
  'worker-pods': reconcileWorkerPods,
  runners: reconcileRunners,
  'pod-cleanup': reconcilePodCleanup,
  'queue-sweep': reconcileQueueSweep,
  retention: reconcileRetention,
};

// A process killed mid-pass holds its task up for this long at most (the lease is extended while
// the pass runs).
const TASK_LEASE_MS = 15_000;

/** Runs one pass; a pass still running elsewhere makes this tick a no-op. Logs its counts. */
export async function runPass(
  deps: ReconcileDeps,
  task: ReconcileTask,
  log = deps.log,
): Promise<Counts | 'busy'> {
  const started = Date.now();
  const pass = () => PASSES[task](deps);
  const result = await withLease(
    deps.redis,
    redisKeys(deps.config.redisPrefix).reconcileLock(task),
    TASK_LEASE_MS,
    deps.metrics ? () => timeReconcile(deps.metrics!, task, pass) : pass,
  );
  log.info({ task, ms: Date.now() - started, counts: result }, 'reconcile pass');
  if (deps.metrics && result !== 'busy') {
    for (const [action, n] of Object.entries(result))
      countReconciled(deps.metrics, task, action, n);
  }
  return result;
}
