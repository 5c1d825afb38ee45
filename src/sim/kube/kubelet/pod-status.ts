/**
 * Pod status as the kubelet derives it from its containers' states: the phase (restartPolicy
 * decides whether an exited container is final) and the standard conditions, each keeping its
 * lastTransitionTime while its status does not change.
 */
import { timestamp } from '../state/naming.js';
import type {
  Condition,
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
  PodPhase,
} from '../state/types.js';
import { isSidecar } from './resources.js';

export function isFinished(pod: Pod): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
}

export function newContainerStatus(container: Container, waitingReason: string): ContainerStatus {
  return {
    name: container.name,
    image: container.image,
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: { waiting: { reason: waitingReason } },
    lastState: {},
  };
}

export function findStatus(pod: Pod, name: string): ContainerStatus | undefined {
  return [
    ...(pod.status.initContainerStatuses ?? []),
    ...(pod.status.containerStatuses ?? []),
  ].find((s) => s.name === name);
}

/** Replaces a container's state (and optional fields) in a draft pod. */
export function setContainerState(
  draft: Pod,
  name: string,
  state: ContainerState,
  extra: Partial<ContainerStatus> = {},
): void {
  const status = findStatus(draft, name);
  if (!status) return;
  Object.assign(status, extra);
  status.state = state;
  status.ready = state.running !== undefined;
  status.started = state.running !== undefined;
}

export function setCondition(
  draft: Pod,
  type: string,
  status: Condition['status'],
  reason?: string,
  message?: string,
): void {
  const conditions = (draft.status.conditions ??= []);
  const index = conditions.findIndex((c) => c.type === type);
  const existing = conditions[index];
  const next: Condition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime:
      existing && existing.status === status ? existing.lastTransitionTime : timestamp(),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
  if (index >= 0) conditions[index] = next;
  else conditions.push(next);
}

function everStarted(s: ContainerStatus): boolean {
  return s.restartCount > 0 || s.state.running !== undefined || s.state.terminated !== undefined;
}

function phaseOf(pod: Pod): PodPhase {
  if (isFinished(pod)) return pod.status.phase;
  const failedInit = (pod.status.initContainerStatuses ?? []).some((s, i) => {
    const spec = pod.spec.initContainers?.[i];
    return spec && !isSidecar(spec) && (s.state.terminated?.exitCode ?? 0) !== 0;
  });
  if (failedInit) return 'Failed';
  const main = pod.status.containerStatuses ?? [];
  if (main.length > 0 && main.every((s) => s.state.terminated)) {
    return main.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  return main.length > 0 && main.every(everStarted) ? 'Running' : 'Pending';
}

/** Recomputes phase and the Initialized / ContainersReady / Ready conditions of a draft pod. */
export function derivePodStatus(draft: Pod): void {
  draft.status.phase = phaseOf(draft);
  const inits = draft.spec.initContainers ?? [];
  const incomplete = (draft.status.initContainerStatuses ?? [])
    .filter((s, i) => {
      const spec = inits[i];
      if (!spec) return false;
      return isSidecar(spec)
        ? !s.state.running && !s.state.terminated
        : s.state.terminated?.exitCode !== 0;
    })
    .map((s) => s.name);
  if (incomplete.length === 0) setCondition(draft, 'Initialized', 'True');
  else {
    const message = `containers with incomplete status: [${incomplete.join(' ')}]`;
    setCondition(draft, 'Initialized', 'False', 'ContainersNotInitialized', message);
  }
  const unready = (draft.status.containerStatuses ?? []).filter((s) => !s.ready).map((s) => s.name);
  for (const type of ['ContainersReady', 'Ready']) {
    if (unready.length === 0) setCondition(draft, type, 'True');
    else if (draft.status.phase === 'Succeeded') setCondition(draft, type, 'False', 'PodCompleted');
    else {
      const message = `containers with unready status: [${unready.join(' ')}]`;
      setCondition(draft, type, 'False', 'ContainersNotReady', message);
    }
  }
}
