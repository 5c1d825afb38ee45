/**
 * Redis keys outside BullMQ's own, all under the deployment's prefix. Values are caches or
 * coordination only, never secrets and never the record of anything (PostgreSQL is).
 */
export const cacheKeys = (prefix: string) => ({
  /** JSON ClusterSnapshot written by the pod-follower leader; read by web pages and the CLI. */
  cluster: `${prefix}:cache:cluster`,
  /** Hash: `board:<name>` / `entity:<id>` → JSON LastError of the latest failed runner creation. */
  lastErrors: `${prefix}:cache:last-errors`,
  /** The pod-follower leader's lease. */
  podFollowerLeader: `${prefix}:leader:pod-follower`,
});

export interface SnapshotNode {
  name: string;
  board: string;
  slots: number;
  ready: boolean;
  schedulable: boolean;
  /** Pods on the node holding a runner slot. */
  pods: string[];
}

export interface SnapshotPod {
  name: string;
  phase: string;
  node: string | null;
  board: string | null;
  entityId: string | null;
  /** Waiting or termination reason of the runner container, or the pod's own reason. */
  reason: string | null;
  createdAt: string | null;
}

export interface ClusterSnapshot {
  at: string;
  nodes: SnapshotNode[];
  /** Our runner pods (this DEPLOY_ENV). */
  pods: SnapshotPod[];
}

export interface LastError {
  at: string;
  api: 'github' | 'kubernetes' | 'other';
  message: string;
  status?: number;
  podName: string;
}
