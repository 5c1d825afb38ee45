import type { Redis } from 'ioredis';
import type { ClusterView } from '../kube/cluster-view.js';
import { isOurPod } from '../kube/constants.js';
import { clusterSnapshot } from '../kube/snapshot.js';
import type { Logger } from '../logger.js';
import type { Leadership } from '../queues/leadership.js';

/**
 * The leader publishes what operators see of the cluster, every `everyMs`, with a TTL so a stale
 * picture disappears (the web process never calls Kubernetes). Returns the stop function.
 */
export function publishClusterSnapshots(deps: {
  cluster: Pick<ClusterView, 'nodes' | 'pods'>;
  redis: Pick<Redis, 'set'>;
  key: string;
  deployEnv: string;
  leadership: Pick<Leadership, 'isLeader'>;
  log: Logger;
  everyMs?: number;
}): () => void {
  const timer = setInterval(() => {
    if (!deps.leadership.isLeader()) return;
    const snapshot = clusterSnapshot(deps.cluster.nodes(), deps.cluster.pods(), (pod) =>
      isOurPod(pod, deps.deployEnv),
    );
    deps.redis
      .set(deps.key, JSON.stringify(snapshot), 'PX', 30_000)
      .catch((err: unknown) => deps.log.warn({ err }, 'could not publish the cluster snapshot'));
  }, deps.everyMs ?? 2_000);
  timer.unref();
  return () => clearInterval(timer);
}
