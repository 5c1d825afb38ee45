import { activeWorkers } from '../db/reconcile.js';
import { enqueueCreateRunners } from '../queues/producers.js';
import { jobIds } from '../queues/registry.js';
import { podStatus } from '../kube/pod-status.js';
import { isOurPod } from '../kube/constants.js';
import { counter, nowMs, settleMs, type Counts, type ReconcileDeps } from './deps.js';
import { replaceWorker } from './remedy.js';

const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Workers follow pods, as a backstop for the live watch: every pod of ours whose phase is ahead of
 * its worker's row is applied again. An active worker whose pod is gone fails as `orphaned`; one
 * whose pod was never made and whose creation job is gone (Redis wiped, process killed between
 * reserving and enqueueing) gets a new creation job.
 */
export async function reconcileWorkerPods(
  deps: Pick<
    ReconcileDeps,
    'db' | 'github' | 'kube' | 'cluster' | 'queues' | 'follower' | 'config' | 'log' | 'now'
  >,
): Promise<Counts> {
  const { counts, add } = counter();
  const cached = deps.cluster.pods();
  const pods = (
    cached.length > 0 ? cached : await deps.kube.listPods(deps.kube.runnerSelector)
  ).filter((p) => isOurPod(p, deps.config.deployEnv));
  add('pods', pods.length);
  // Read once: only a pod whose phase is ahead of its active worker's row is applied (one round
  // trip for the pass instead of one per pod).
  const active = new Map((await activeWorkers(deps.db)).map((w) => [w.podName, w.status]));
  for (const pod of pods) {
    const status = active.get(pod.metadata?.name ?? '');
    const state = podStatus(pod).state;
    const ahead =
      status !== undefined &&
      ((state === 'running' && status === 'pending') ||
        state === 'succeeded' ||
        state === 'failed');
    if (!ahead) continue;
    try {
      const outcome = await deps.follower.onPod(pod);
      if (outcome !== 'unchanged' && outcome !== 'not_ours') add(`worker_${outcome}`);
    } catch (err) {
      add('errors');
      deps.log.warn({ err, pod: pod.metadata?.name }, 'could not apply a pod to its worker');
    }
  }
  const names = new Set(pods.map((p) => p.metadata?.name));
  const requeue: string[] = [];
  // Read again: the loop above may have finished some.
  for (const w of await activeWorkers(deps.db)) {
    if (names.has(w.podName)) continue;
    try {
      if (w.podCreatedAt) {
        // The cache may trail a pod created a moment ago: ask the API before calling it gone.
        if (await deps.kube.getPod(w.podName)) continue;
        const r = await replaceWorker(deps, w, 'orphaned', undefined, {
          detail: 'the pod is gone',
        });
        if (r === 'replaced') add('orphaned');
        continue;
      }
      if (nowMs(deps) - w.createdAt.getTime() < settleMs(deps.config)) continue;
      const job = await deps.queues.runners.getJob(jobIds.createRunner(w.podName));
      const state = job ? await job.getState() : 'missing';
      if (LIVE.has(state)) continue;
      if (job) await job.remove();
      requeue.push(w.podName);
    } catch (err) {
      add('errors');
      deps.log.warn({ err, runnerName: w.podName }, 'could not check a worker');
    }
  }
  await enqueueCreateRunners(deps.queues, requeue);
  add('creation_requeued', requeue.length);
  return counts;
}
