/**
 * Nodes as a cluster operator adds them: a RISC-V board with a number of runner slots (the
 * extended resource `riseproject.com/runner` a device plugin would advertise), and the
 * operations a node goes through (NotReady, cordon, removal).
 */
import { timestamp } from './state/naming.js';
import type { KubeState, NewObject } from './state/store.js';
import type { Node, Taint } from './state/types.js';

export const boardLabel = 'riseproject.dev/board';
export const runnerResource = 'riseproject.com/runner';

export interface AddNodeOptions {
  name: string;
  /** The board model, as the `riseproject.dev/board` label. */
  board?: string;
  /** How many runner pods fit (`riseproject.com/runner` allocatable); default 1. */
  slots?: number;
  labels?: Record<string, string>;
  /** Extra or overriding allocatable resources (cpu, memory, …). */
  allocatable?: Record<string, string>;
  taints?: Taint[];
  ready?: boolean;
  unschedulable?: boolean;
}

function readyCondition(ready: boolean, at: string) {
  return {
    type: 'Ready',
    status: ready ? ('True' as const) : ('False' as const),
    reason: ready ? 'KubeletReady' : 'KubeletNotReady',
    message: ready ? 'kubelet is posting ready status' : 'container runtime is down',
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  };
}

export function nodeManifest(options: AddNodeOptions, index: number): NewObject<Node> {
  const resources = {
    cpu: '8',
    memory: '16Gi',
    pods: '110',
    'ephemeral-storage': '100Gi',
    [runnerResource]: String(options.slots ?? 1),
    ...(options.allocatable ?? {}),
  };
  const at = timestamp();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: options.name,
      labels: {
        'kubernetes.io/arch': 'riscv64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': options.name,
        ...(options.board ? { [boardLabel]: options.board } : {}),
        ...(options.labels ?? {}),
      },
    },
    spec: {
      ...(options.unschedulable ? { unschedulable: true } : {}),
      ...(options.taints ? { taints: options.taints } : {}),
    },
    status: {
      capacity: { ...resources },
      allocatable: { ...resources },
      conditions: [readyCondition(options.ready ?? true, at)],
      addresses: [
        { type: 'InternalIP', address: `10.0.${Math.floor(index / 250)}.${(index % 250) + 10}` },
        { type: 'Hostname', address: options.name },
      ],
      nodeInfo: {
        architecture: 'riscv64',
        operatingSystem: 'linux',
        kubeletVersion: 'v1.31.0-sim',
        containerRuntimeVersion: 'containerd://1.7.0-sim',
      },
    },
  };
}

export function setNodeReady(state: KubeState, name: string, ready: boolean): Node | undefined {
  return state.update('Node', undefined, name, (draft) => {
    const current = draft.status.conditions.find((c) => c.type === 'Ready');
    if ((current?.status === 'True') === ready) return;
    draft.status.conditions = [
      ...draft.status.conditions.filter((c) => c.type !== 'Ready'),
      readyCondition(ready, timestamp()),
    ];
  });
}

/** `kubectl cordon` / `uncordon`: spec.unschedulable. */
export function setNodeUnschedulable(
  state: KubeState,
  name: string,
  unschedulable: boolean,
): Node | undefined {
  return state.update('Node', undefined, name, (draft) => {
    if (unschedulable) draft.spec.unschedulable = true;
    else delete draft.spec.unschedulable;
  });
}
