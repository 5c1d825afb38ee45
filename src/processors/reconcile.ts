import { PermanentError } from '../errors.js';
import type { Payload } from '../queues/registry.js';
import type { ReconcileDeps } from '../repeatables/deps.js';
import { RECONCILE_TASKS, type ReconcileTask } from '../repeatables/job-schedulers.js';
import { runPass } from '../repeatables/run-pass.js';
import type { JobContext } from './dispatch.js';

const isTask = (task: string): task is ReconcileTask =>
  (RECONCILE_TASKS as readonly string[]).includes(task);

/** `reconcile` (one per tick per task, from the job schedulers). */
export function reconcileProcessor(deps: ReconcileDeps) {
  return async (data: Payload<'reconcile'>, ctx: JobContext) => {
    if (!isTask(data.task)) {
      throw new PermanentError(`unknown reconcile task "${data.task}"`, 'bad_payload');
    }
    return runPass(deps, data.task, ctx.log);
  };
}
