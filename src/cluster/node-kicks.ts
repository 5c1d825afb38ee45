import type { V1Node } from '@kubernetes/client-node';
import type { ClusterView } from '../kube/cluster-view.js';
import { BOARD_LABEL, RUNNER_RESOURCE } from '../kube/constants.js';
import type { Logger } from '../logger.js';
import type { Leadership } from '../queues/leadership.js';
import { kickBoard, type Queues } from '../queues/producers.js';

/** Changes that can free capacity: a node that became usable or changed its slot count. */
export function nodeSignature(node: V1Node): string {
  const ready = (node.status?.conditions ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
  return `${ready}/${Boolean(node.spec?.unschedulable)}/${node.status?.allocatable?.[RUNNER_RESOURCE] ?? 0}`;
}

/**
 * A node that appears, becomes ready or schedulable, or changes its slot count runs a matching
 * pass for its board at once (the leader kicks, so one pass per change across processes).
 */
export function kickBoardsOnNodeChanges(deps: {
  cluster: Pick<ClusterView, 'onNode'>;
  queues: Pick<Queues, 'provision'>;
  leadership: Pick<Leadership, 'isLeader'>;
  log: Logger;
}): void {
  const seen = new Map<string, string>();
  deps.cluster.onNode((node, type) => {
    const name = node.metadata?.name ?? '';
    const board = node.metadata?.labels?.[BOARD_LABEL];
    const signature = type === 'delete' ? 'gone' : nodeSignature(node);
    const changed = seen.get(name) !== signature;
    seen.set(name, signature);
    if (board && changed && type !== 'delete' && deps.leadership.isLeader()) {
      kickBoard(deps.queues, board, `node ${name} ${type}`).catch((err: unknown) =>
        deps.log.warn({ err }, 'could not kick a board'),
      );
    }
  });
}
