import type { Payload } from '../queues/registry.js';
import type { JobContext } from '../processors/dispatch.js';
import { PermanentError } from '../errors.js';
import type { Counts, ReconcileDeps } from './deps.js';
import { reconcileJobStatus } from './job-status.js';
import { reconcilePodCleanup } from './pod-cleanup.js';
import { reconcileQueueSweep } from './queue-sweep.js';
import { reconcileRedeliveries } from './redeliveries.js';
import { reconcileRetention } from './retention.js';
import { reconcileRunners } from './runners.js';
import { RECONCILE_TASKS, withTaskLock, type ReconcileTask } from './schedule.js';
import { reconcileWorkerPods } from './worker-pods.js';
import { countReconciled, timeReconcile } from '../metrics/observe.js';

export const PASSES: Record<ReconcileTask, (deps: ReconcileDeps) => Promise<Counts>> = {
  'job-status': reconcileJobStatus,
  redeliveries: reconcileRedeliveries,
  'worker-pods': reconcileWorkerPods,
  runners: reconcileRunners,
  'pod-cleanup': reconcilePodCleanup,
  'queue-sweep': reconcileQueueSweep,
  retention: reconcileRetention,
};

/** Runs one pass; a pass still running elsewhere makes this tick a no-op. Logs its counts. */
export async function runPass(
  deps: ReconcileDeps,
  task: ReconcileTask,
  log = deps.log,
): Promise<Counts | 'busy'> {
  const started = Date.now();
  // Renewed while the pass runs: a process killed mid-pass holds the task up for this long at most.
  const lockMs = 15_000;
  const pass = () => PASSES[task](deps);
  const result = await withTaskLock(
    deps.redis,
    `${deps.config.redisPrefix}:lock:reconcile:${task}`,
    lockMs,
    deps.metrics ? () => timeReconcile(deps.metrics!, task, pass) : pass,
  );
  log.info({ task, ms: Date.now() - started, counts: result }, 'reconcile pass');
  if (deps.metrics && result !== 'busy') {
    for (const [action, n] of Object.entries(result))
      countReconciled(deps.metrics, task, action, n);
  }
  return result;
}

/** `reconcile` (one per tick per task, from the job schedulers). */
export function reconcileProcessor(deps: ReconcileDeps) {
  return async (data: Payload<'reconcile'>, ctx: JobContext) => {
    if (!(RECONCILE_TASKS as readonly string[]).includes(data.task)) {
      throw new PermanentError(`unknown reconcile task "${data.task}"`, 'bad_payload');
    }
    return runPass(deps, data.task as ReconcileTask, ctx.log);
  };
}
