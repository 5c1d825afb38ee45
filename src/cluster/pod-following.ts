import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterView } from '../kube/cluster-view.js';
import type { Logger } from '../logger.js';
import type { Leadership } from '../queues/leadership.js';
import type { createPodFollower } from './follow-pods.js';

/**
 * Every worker process watches pods (for its own capacity view); only the leader applies pod
 * changes to worker rows. A newly elected leader first applies every pod it sees, catching up on
 * what happened while nobody led.
 */
export function followPods(deps: {
  cluster: Pick<ClusterView, 'onPod' | 'pods'>;
  follower: ReturnType<typeof createPodFollower>;
  leadership: Pick<Leadership, 'isLeader'>;
  log: Logger;
}): { onElected: () => void } {
  const follow = (pod: V1Pod, gone: boolean) => {
    deps.follower
      .onPod(pod, gone)
      .catch((err: unknown) =>
        deps.log.warn({ err, pod: pod.metadata?.name }, 'could not follow a pod change'),
      );
  };
  deps.cluster.onPod((pod, type) => {
    if (deps.leadership.isLeader()) follow(pod, type === 'delete');
  });
  return {
    onElected: () => {
      deps.log.info('elected to follow pods');
      for (const pod of deps.cluster.pods()) follow(pod, false);
    },
  };
}
