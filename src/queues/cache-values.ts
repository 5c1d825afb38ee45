/** What the JSON values of our Redis caches hold (key names: keys.ts). */
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
  /** The pod's latest Kubernetes events, newest last (absent in snapshots of older workers). */
  events?: SnapshotEvent[];
}

export interface SnapshotEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  /** When it last happened (ISO). */
  at: string | null;
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
