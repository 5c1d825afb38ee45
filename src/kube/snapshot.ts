import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ClusterSnapshot } from '../queues/cache-values.js';
import { boardCapacity } from './capacity.js';
import { BOARD_LABEL, ENTITY_LABEL } from './constants.js';
import { podStatus } from './pod-status.js';

/** What operators see of the cluster: nodes with their slots and runner pods, and our pods. */
export function clusterSnapshot(
  nodes: readonly V1Node[],
  pods: readonly V1Pod[],
  ours: (pod: V1Pod) => boolean,
): ClusterSnapshot {
  const boards = [
    ...new Set(
      nodes.map((n) => n.metadata?.labels?.[BOARD_LABEL]).filter((b): b is string => Boolean(b)),
    ),
  ];
  const snapshotNodes = boards.flatMap((board) => {
    const cap = boardCapacity(board, nodes, pods);
    return cap.nodes.map((n) => ({
      ...n,
      board,
      pods: [...cap.occupants].filter(([, node]) => node === n.name).map(([pod]) => pod),
    }));
  });
  return {
    at: new Date().toISOString(),
    nodes: snapshotNodes,
    pods: pods.filter(ours).map((pod) => {
      const s = podStatus(pod);
      const runner = s.containers.find((c) => c.name === 'runner');
      return {
        name: s.name,
        phase: pod.status?.phase ?? 'Pending',
        node: s.node,
        board: pod.metadata?.labels?.[BOARD_LABEL] ?? null,
        entityId: pod.metadata?.labels?.[ENTITY_LABEL] ?? null,
        reason: runner?.reason ?? s.reason,
        createdAt: pod.metadata?.creationTimestamp
          ? new Date(pod.metadata.creationTimestamp).toISOString()
          : null,
      };
    }),
  };
}
