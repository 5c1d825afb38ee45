import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { podStatus } from './pod-status.js';

const LOG_LINES = 50;
/** What one container's log may add to a `failure_info` row: the API stops sending after it. */
export const LOG_LIMIT_BYTES = 64 * 1024;
/** A longer line (a minified bundle, a base64 blob) is cut, so one line cannot take it all. */
export const LOG_LINE_BYTES = 2 * 1024;

/** `line` within LOG_LINE_BYTES of UTF-8, with a marker saying how much was cut. */
export function cutLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= LOG_LINE_BYTES) return line;
  // Decoding a cut multi-byte character gives U+FFFD; drop it rather than keep half a glyph.
  const kept = bytes
    .subarray(0, LOG_LINE_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${kept} […cut ${bytes.length - Buffer.byteLength(kept)} bytes]`;
}

/**
 * Everything an operator needs to know why a runner pod failed, captured before the pod is
 * deleted: per container exit code, reason, message and last log lines (at most LOG_LIMIT_BYTES,
 * each line at most LOG_LINE_BYTES); the pod's events; the
 * pod's own reason and message. A call that fails leaves its part out rather than losing the rest.
 */
export async function collectDiagnostics(
  kube: Pick<Kube, 'podLog' | 'podEvents'>,
  pod: V1Pod,
): Promise<Record<string, unknown>> {
  const status = podStatus(pod);
  const containers = await Promise.all(
    status.containers.map(async (c) => {
      const log = await kube
        .podLog(status.name, c.name, LOG_LINES, LOG_LIMIT_BYTES)
        .catch(() => '');
      return {
        ...c,
        logTail: log
          .split('\n')
          .filter((l) => l.length > 0)
          .slice(-LOG_LINES)
          .map(cutLine),
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
