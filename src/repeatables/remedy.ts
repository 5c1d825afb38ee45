import type { V1Pod } from '@kubernetes/client-node';
import { finishWorker, markReplacing, type WorkerRecord } from '../db/workers.js';
import { collectDiagnostics } from '../kube/diagnostics.js';
import { kickBoard } from '../queues/producers.js';
import { workerScope } from '../provisioning/scope.js';
import type { ReconcileDeps } from './deps.js';

export type HealthReason =
  'runner_never_registered' | 'pod_stuck_pending' | 'runner_idle' | 'runner_surplus' | 'orphaned';

/**
 * Replaces an unhealthy worker: its GitHub runner goes first (GitHub refuses to delete a busy
 * runner, and then the worker is left alone this tick: it is running a job after all), then its
 * diagnostics are captured, the worker is failed, and its pod deleted at once, because the slot is
 * needed. Demand matching then provisions a replacement for the job.
 */
export async function replaceWorker(
  deps: Pick<ReconcileDeps, 'db' | 'github' | 'kube' | 'queues' | 'log'>,
  worker: WorkerRecord,
  reason: HealthReason,
  pod: V1Pod | undefined,
  detail: Record<string, unknown> = {},
): Promise<'replaced' | 'busy' | 'already_finished'> {
  const { inst, scope } = workerScope(worker);
  const failureInfo = { version: 2 as const, reason, ...detail };
  // Marked first: the runner's process exits once the runner is deleted, and the pod follower may
  // finish the worker before this does; the mark keeps the reason.
  const marked = await markReplacing(deps.db, worker.podName, failureInfo);
  let runner: string = 'none';
  const runnerId =
    worker.runnerId ?? (await deps.github.findRunner(inst, scope, worker.podName))?.id;
  if (runnerId !== undefined) {
    runner = await deps.github.deleteRunner(inst, scope, runnerId);
    if (runner === 'busy') {
      if (marked) await markReplacing(deps.db, worker.podName, null);
      return 'busy';
    }
  }
  const diagnostics = pod ? await collectDiagnostics(deps.kube, pod) : {};
  const finished = await finishWorker(deps.db, worker.podName, {
    status: 'failed',
    failureInfo: { ...failureInfo, ...diagnostics, runner },
  });
  await deps.kube.deletePod(worker.podName);
  await deps.kube.deleteSecret(worker.podName);
  // Not finished here but marked: the pod follower finished it, failed for this reason, and kicked.
  if (!finished && !marked) return 'already_finished';
  deps.log.warn({ runnerName: worker.podName, reason, board: worker.board }, 'worker replaced');
  for (const board of new Set(finished ? [finished.board, ...finished.waitingBoards] : [])) {
    await kickBoard(deps.queues, board, `worker ${reason}`);
  }
  return 'replaced';
}
