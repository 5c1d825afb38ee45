import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { BOARD_LABEL, RUNNER_RESOURCE } from './constants.js';

export interface BoardNode {
  name: string;
  slots: number;
  ready: boolean;
  schedulable: boolean;
}

export interface BoardCapacity {
  board: string;
  nodes: BoardNode[];
  /** Runner slots on Ready, schedulable nodes of the board. */
  slots: number;
  /** Pods holding or waiting for a slot of this board (any owner), by name, with their node. */
  occupants: Map<string, string | null>;
}

const FINISHED = new Set(['Succeeded', 'Failed']);

const podWantsRunner = (pod: V1Pod) =>
  (pod.spec?.containers ?? []).some(
    (c) => c.resources?.limits?.[RUNNER_RESOURCE] ?? c.resources?.requests?.[RUNNER_RESOURCE],
  );

function nodeReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * What a board offers right now, from the cluster's nodes and pods. Pods count while they hold a
 * slot (bound and not finished) or wait for one (Pending with the board's node selector).
 */
export function boardCapacity(
  board: string,
  nodes: readonly V1Node[],
  pods: readonly V1Pod[],
): BoardCapacity {
  const onBoard = nodes.filter((n) => n.metadata?.labels?.[BOARD_LABEL] === board);
  const described = onBoard.map((n) => ({
    name: n.metadata?.name ?? '',
    slots: Number(n.status?.allocatable?.[RUNNER_RESOURCE] ?? 0) || 0,
    ready: nodeReady(n),
    schedulable: !n.spec?.unschedulable,
  }));
  const names = new Set(described.map((n) => n.name));
  const occupants = new Map<string, string | null>();
  for (const pod of pods) {
    if (FINISHED.has(pod.status?.phase ?? '') || !podWantsRunner(pod)) continue;
    const node = pod.spec?.nodeName;
    if (node ? names.has(node) : pod.spec?.nodeSelector?.[BOARD_LABEL] === board) {
      occupants.set(pod.metadata?.name ?? '', node ?? null);
    }
  }
  return {
    board,
    nodes: described,
    slots: described.filter((n) => n.ready && n.schedulable).reduce((sum, n) => sum + n.slots, 0),
    occupants,
  };
}

/**
 * Free slots: the board's slots less everything that holds or will hold one: pods the cluster
 * knows (ours and others') and our reserved workers whose pods may not exist yet.
 */
export function freeSlots(capacity: BoardCapacity, activeWorkers: readonly string[]): number {
  const taken = new Set([...capacity.occupants.keys(), ...activeWorkers]);
  return Math.max(0, capacity.slots - taken.size);
}
