import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { ClusterSnapshot, SnapshotEvent } from '../queues/cache-values.js';
import { boardCapacity } from './capacity.js';
import { BOARD_LABEL, ENTITY_LABEL } from './constants.js';
import { podStatus } from './pod-status.js';

/** Events kept per pod, and the longest message: the snapshot is one Redis value read per page. */
export const EVENTS_PER_POD = 5;
const MESSAGE_CHARS = 300;

const eventTime = (e: CoreV1Event): string | null => {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t).toISOString() : null;
};

/** The latest events of each pod, by pod name, oldest first. */
function eventsByPod(events: readonly CoreV1Event[]): Map<string, SnapshotEvent[]> {
  const byPod = new Map<string, SnapshotEvent[]>();
  for (const e of events) {
    if (e.involvedObject.kind !== 'Pod' || !e.involvedObject.name) continue;
    const list = byPod.get(e.involvedObject.name) ?? [];
    list.push({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: (e.message ?? '').slice(0, MESSAGE_CHARS),
      count: e.count ?? 1,
      at: eventTime(e),
    });
    byPod.set(e.involvedObject.name, list);
  }
  for (const [pod, list] of byPod) {
    list.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
    byPod.set(pod, list.slice(-EVENTS_PER_POD));
  }
  return byPod;
}

/** What operators see of the cluster: nodes with their slots and runner pods, and our pods. */
export function clusterSnapshot(
  nodes: readonly V1Node[],
  pods: readonly V1Pod[],
  ours: (pod: V1Pod) => boolean,
  events: readonly CoreV1Event[] = [],
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
  const podEvents = eventsByPod(events);
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
        events: podEvents.get(s.name) ?? [],
      };
    }),
  };
}
