import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export type PodState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface PodStatusView {
  name: string;
  state: PodState;
  node: string | null;
  /** When the runner container started (the worker's running_at). */
  startedAt: Date | null;
  /** When the runner container ended (the worker's completed_at). */
  finishedAt: Date | null;
  reason: string | null;
  message: string | null;
  containers: {
    name: string;
    ready: boolean;
    exitCode: number | null;
    reason: string | null;
    message: string | null;
    startedAt: string | null;
    finishedAt: string | null;
  }[];
}

const asDate = (d: Date | string | undefined | null): Date | null => (d ? new Date(d) : null);

function describe(c: V1ContainerStatus) {
  const s = c.state ?? {};
  return {
    name: c.name,
    ready: c.ready,
    exitCode: s.terminated?.exitCode ?? null,
    reason: s.terminated?.reason ?? s.waiting?.reason ?? null,
    message: s.terminated?.message ?? s.waiting?.message ?? null,
    startedAt: asDate(s.running?.startedAt ?? s.terminated?.startedAt)?.toISOString() ?? null,
    finishedAt: asDate(s.terminated?.finishedAt)?.toISOString() ?? null,
  };
}

/** What a runner pod's status means for its worker row. */
export function podStatus(pod: V1Pod): PodStatusView {
  const phase = pod.status?.phase ?? 'Pending';
  const containers = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].map(describe);
  const runner =
    (pod.status?.containerStatuses ?? []).find((c) => c.name === 'runner') ??
    pod.status?.containerStatuses?.[0];
  const rs = runner?.state ?? {};
  const state: PodState =
    phase === 'Running'
      ? 'running'
      : phase === 'Succeeded'
        ? 'succeeded'
        : phase === 'Failed'
          ? 'failed'
          : 'pending';
  return {
    name: pod.metadata?.name ?? '',
    state,
    node: pod.spec?.nodeName ?? null,
    startedAt:
      asDate(rs.running?.startedAt ?? rs.terminated?.startedAt) ??
      (state === 'running' ? asDate(pod.status?.startTime) : null),
    finishedAt: asDate(rs.terminated?.finishedAt),
    reason: pod.status?.reason ?? null,
    message: pod.status?.message ?? null,
    containers,
  };
}
