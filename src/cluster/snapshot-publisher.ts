import type { CoreV1Event } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { ClusterView } from '../kube/cluster-view.js';
import { isOurPod } from '../kube/constants.js';
import { clusterSnapshot } from '../kube/snapshot.js';
import type { Logger } from '../logger.js';
import type { Leadership } from '../queues/leadership.js';

/**
 * The leader publishes what operators see of the cluster, every `everyMs`, with a TTL so a stale
 * picture disappears (the web process never calls Kubernetes). Our pods' events are listed every
 * `eventsEveryMs` (a list of the namespace, so not on every tick; the Role grants `list` only).
 * Returns the stop function.
 */
export function publishClusterSnapshots(deps: {
  cluster: Pick<ClusterView, 'nodes' | 'pods'>;
  redis: Pick<Redis, 'set'>;
  key: string;
  deployEnv: string;
  leadership: Pick<Leadership, 'isLeader'>;
  log: Logger;
  /** The namespace's events (Kube.listEvents); none when absent. */
  events?: () => Promise<readonly CoreV1Event[]>;
  everyMs?: number;
  eventsEveryMs?: number;
}): () => void {
  let events: readonly CoreV1Event[] = [];
  let eventsAt = -Infinity;
  let listing = false;
  const refreshEvents = () => {
    const every = deps.eventsEveryMs ?? 10_000;
    if (!deps.events || listing || Date.now() - eventsAt < every) return;
    listing = true;
    deps
      .events()
      .then(
        (list) => {
          events = list;
          eventsAt = Date.now();
        },
        (err: unknown) => {
          // Tried again after the same pause; the last list stays shown meanwhile.
          eventsAt = Date.now();
          deps.log.warn({ err }, 'could not list pod events for the cluster snapshot');
        },
      )
      .finally(() => (listing = false));
  };
  const timer = setInterval(() => {
    if (!deps.leadership.isLeader()) return;
    refreshEvents();
    const snapshot = clusterSnapshot(
      deps.cluster.nodes(),
      deps.cluster.pods(),
      (pod) => isOurPod(pod, deps.deployEnv),
      events,
    );
    deps.redis
      .set(deps.key, JSON.stringify(snapshot), 'PX', 30_000)
      .catch((err: unknown) => deps.log.warn({ err }, 'could not publish the cluster snapshot'));
  }, deps.everyMs ?? 2_000);
  timer.unref();
  return () => clearInterval(timer);
}
