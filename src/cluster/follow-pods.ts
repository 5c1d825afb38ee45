import type { V1Pod } from '@kubernetes/client-node';
import type { Db } from '../db/client.js';
import { finishWorker, getWorker, markWorkerRunning } from '../db/workers.js';
import { isOurPod } from '../kube/constants.js';
import type { Kube } from '../kube/client.js';
import { collectDiagnostics } from '../kube/diagnostics.js';
import { podStatus } from '../kube/pod-status.js';
import type { Logger } from '../logger.js';
import { observeQueueLatency } from '../metrics/observe.js';
import type { Metrics } from '../metrics/registry.js';
import { kickBoard, type Queues } from '../queues/producers.js';

export interface FollowDeps {
  db: Db;
  kube: Pick<Kube, 'podLog' | 'podEvents'>;
  queues: Pick<Queues, 'provision'>;
  deployEnv: string;
  log: Logger;
  /** rise_job_queued_to_runner_running_seconds, observed once per worker at its running move. */
  metrics?: Pick<Metrics, 'latency'>;
}

export type FollowOutcome =
  'running' | 'completed' | 'failed' | 'orphaned' | 'unchanged' | 'not_ours';

/**
 * Workers follow their pods: Running → running (running_at from the container start), Succeeded →
 * completed, Failed → failed with diagnostics, deleted while active → failed `orphaned`. The row
 * changes at the phase change (forward only, so every worker process may apply the same event),
 * and a finished worker kicks its board: its slot, and a place under its entity's cap, are free.
 */
export function createPodFollower(deps: FollowDeps) {
  async function onPod(pod: V1Pod, gone = false): Promise<FollowOutcome> {
    if (!isOurPod(pod, deps.deployEnv)) return 'not_ours';
    const s = podStatus(pod);
    let outcome: FollowOutcome = 'unchanged';
    let finished: { board: string; waitingBoards: string[] } | undefined;
    if (s.state === 'running' && !gone) {
      const moved = await markWorkerRunning(deps.db, s.name, s.startedAt ?? new Date(), s.node);
      if (moved) {
        outcome = 'running';
        if (deps.metrics) observeQueueLatency(deps.metrics, 'running', moved);
      }
    } else if (s.state === 'succeeded') {
      finished = await finishWorker(deps.db, s.name, {
        status: 'completed',
        at: s.finishedAt ?? new Date(),
        node: s.node,
        runningAt: s.startedAt,
      });
      if (finished) outcome = 'completed';
    } else if (s.state === 'failed') {
      const worker = await getWorker(deps.db, s.name);
      if (worker && (worker.status === 'pending' || worker.status === 'running')) {
        const diagnostics = await collectDiagnostics(deps.kube, pod);
        finished = await finishWorker(deps.db, s.name, {
          status: 'failed',
          at: s.finishedAt ?? new Date(),
          node: s.node,
          runningAt: s.startedAt,
          failureInfo: { version: 2, reason: 'pod_failed', ...diagnostics },
        });
        if (finished) outcome = 'failed';
      }
    } else if (gone) {
      finished = await finishWorker(deps.db, s.name, {
        status: 'failed',
        node: s.node,
        failureInfo: {
          version: 2,
          reason: 'orphaned',
          detail: 'the pod was deleted while its worker was active',
          phase: pod.status?.phase ?? null,
        },
      });
      if (finished) outcome = 'orphaned';
    }
    if (finished) {
      deps.log.info({ runnerName: s.name, outcome, board: finished.board }, 'worker finished');
      const boards = new Set([finished.board, ...finished.waitingBoards]);
      for (const board of boards) await kickBoard(deps.queues, board, `worker ${outcome}`);
    }
    return outcome;
  }
  return { onPod };
}
