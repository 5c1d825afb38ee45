import { workersByName } from '../db/reconcile.js';
import { podStatus } from '../kube/pod-status.js';
import { isOurPod } from '../kube/constants.js';
import { counter, nowMs, settleMs, type Counts, type ReconcileDeps } from './deps.js';

/**
 * Finished runner pods stay POD_DELETE_GRACE_SECONDS so their logs and events can be read, then go
 * (their Secret with them, by owner reference). Pods and Secrets of ours that no worker row knows
 * are removed too. Worker rows change at the phase change; a finished pod whose worker row is
 * still active is applied to it first, so deleting the pod never loses how its worker ended.
 */
export async function reconcilePodCleanup(
  deps: Pick<ReconcileDeps, 'db' | 'kube' | 'cluster' | 'follower' | 'config' | 'log' | 'now'>,
): Promise<Counts> {
  const { counts, add } = counter();
  const now = nowMs(deps);
  const cached = deps.cluster.pods();
  const pods = (
    cached.length > 0 ? cached : await deps.kube.listPods(deps.kube.runnerSelector)
  ).filter((p) => isOurPod(p, deps.config.deployEnv));
  const workers = await workersByName(
    deps.db,
    pods.map((p) => p.metadata?.name ?? ''),
  );
  const remove = async (name: string, what: string) => {
    try {
      await deps.kube.deletePod(name);
      await deps.kube.deleteSecret(name);
      add(what);
    } catch (err) {
      add('errors');
      deps.log.warn({ err, pod: name }, 'could not delete a pod');
    }
  };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const s = podStatus(pod);
    const age = now - new Date(pod.metadata?.creationTimestamp ?? now).getTime();
    if (!workers.has(name) && age > settleMs(deps.config)) {
      await remove(name, 'orphan_pods_deleted');
      continue;
    }
    if (s.state !== 'succeeded' && s.state !== 'failed') continue;
    const w = workers.get(name);
    if (w && (w.status === 'pending' || w.status === 'running')) {
      // The pod is the only record of how the worker ended until its row says so (the live
      // follower may lag, e.g. while a dead leader's lease runs out): record it before deleting.
      try {
        const outcome = await deps.follower.onPod(pod);
        add(`worker_${outcome}`);
      } catch (err) {
        add('errors');
        deps.log.warn({ err, pod: name }, 'could not apply a finished pod; it is kept');
        continue;
      }
    }
    const finished = s.finishedAt?.getTime() ?? w?.completedAt?.getTime() ?? now;
    if (now - finished > deps.config.timings.podDeleteGraceSeconds * 1000)
      await remove(name, 'finished_pods_deleted');
    else add('finished_pods_kept');
  }

  const podNames = new Set(pods.map((p) => p.metadata?.name));
  const secrets = await deps.kube.listSecrets(deps.kube.runnerSelector);
  const secretWorkers = await workersByName(
    deps.db,
    secrets.map((s) => s.metadata?.name ?? ''),
  );
  for (const secret of secrets) {
    const name = secret.metadata?.name ?? '';
    const age = now - new Date(secret.metadata?.creationTimestamp ?? now).getTime();
    const w = secretWorkers.get(name);
    // A Secret waits for its pod while the worker is pending; otherwise it outlived its pod.
    if (podNames.has(name) || age < settleMs(deps.config) || w?.status === 'pending') continue;
    try {
      add(`orphan_secrets_${await deps.kube.deleteSecret(name)}`);
    } catch (err) {
      add('errors');
      deps.log.warn({ err, secret: name }, 'could not delete a secret');
    }
  }
  return counts;
}
