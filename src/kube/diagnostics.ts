import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { podStatus } from './pod-status.js';

const LOG_LINES = 50;

/**
 * Everything an operator needs to know why a runner pod failed, captured before the pod is
 * deleted: per container exit code, reason, message and last log lines; the pod's events; the
 * pod's own reason and message. A call that fails leaves its part out rather than losing the rest.
 */
export async function collectDiagnostics(
  kube: Pick<Kube, 'podLog' | 'podEvents'>,
  pod: V1Pod,
): Promise<Record<string, unknown>> {
  const status = podStatus(pod);
  const containers = await Promise.all(
    status.containers.map(async (c) => {
      const log = await kube.podLog(status.name, c.name, LOG_LINES).catch(() => '');
      return {
        ...c,
        logTail: log
          .split('\n')
          .filter((l) => l.length > 0)
          .slice(-LOG_LINES),
      };
    }),
  );
  const events = await kube.podEvents(status.name).catch(() => []);
  return {
    pod: {
      name: status.name,
      phase: pod.status?.phase ?? null,
      node: status.node,
      reason: status.reason,
      message: status.message,
    },
    containers,
    events: events.map((e) => {
      const at = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
      return {
        type: e.type,
        reason: e.reason,
        message: e.message,
        count: e.count,
        at: at ? new Date(at).toISOString() : null,
      };
    }),
    capturedAt: new Date().toISOString(),
  };
}
