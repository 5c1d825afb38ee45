import type { ClusterSnapshot } from '../queues/cache-values.js';

export interface BoardView {
  board: string;
  nodes: number;
  readyNodes: number;
  /** Runner slots on Ready, schedulable nodes. */
  slots: number;
  /** Pods holding or awaiting a slot, plus reserved workers whose pods do not exist yet. */
  busy: number;
  free: number;
  /** Usable nodes with every slot taken, with the pods on them. */
  busyNodes: { name: string; slots: number; pods: string[] }[];
  /** Nodes that offer nothing right now, and why. */
  unavailableNodes: { name: string; why: string }[];
}

/**
 * A board's capacity from the published snapshot, by the same rule as src/kube/capacity.ts
 * freeSlots: slots less every pod holding or waiting for one (ours and others') and every active
 * worker of ours (its pod may not exist yet).
 */
export function boardView(
  snapshot: Pick<ClusterSnapshot, 'nodes' | 'pods'>,
  board: string,
  activeWorkers: readonly string[],
): BoardView {
  const nodes = snapshot.nodes.filter((n) => n.board === board);
  const usable = nodes.filter((n) => n.ready && n.schedulable);
  const slots = usable.reduce((sum, n) => sum + n.slots, 0);
  const taken = new Set<string>(activeWorkers);
  for (const n of nodes) for (const p of n.pods) taken.add(p);
  for (const p of snapshot.pods) {
    if (p.board === board && p.node === null && p.phase === 'Pending') taken.add(p.name);
  }
  return {
    board,
    nodes: nodes.length,
    readyNodes: nodes.filter((n) => n.ready).length,
    slots,
    busy: taken.size,
    free: Math.max(0, slots - taken.size),
    busyNodes: usable
      .filter((n) => n.pods.length >= n.slots)
      .map((n) => ({ name: n.name, slots: n.slots, pods: [...n.pods] })),
    unavailableNodes: nodes
      .filter((n) => !n.ready || !n.schedulable || n.slots === 0)
      .map((n) => ({
        name: n.name,
        why: !n.ready ? 'not Ready' : !n.schedulable ? 'cordoned' : 'no runner slot',
      })),
  };
}
