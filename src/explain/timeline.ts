import type { WorkerRecord } from '../db/workers.js';
import type { DeliveryView, JobView } from './rows.js';
import { asText } from '../util/text.js';

export type { DeliveryView, JobView } from './rows.js';

export type WorkerView = Pick<
  WorkerRecord,
  | 'podName'
  | 'status'
  | 'board'
  | 'node'
  | 'runnerId'
  | 'reservedForJobId'
  | 'createdAt'
  | 'podCreatedAt'
  | 'runningAt'
  | 'completedAt'
  | 'failureInfo'
>;

export interface TimelineEvent {
  at: Date;
  what: string;
  detail?: string;
  tone: 'info' | 'ok' | 'warn' | 'error';
}

const failureText = (f: Record<string, unknown> | null): string | undefined => {
  if (!f) return undefined;
  const parts = [`reason ${asText(f.reason) || '?'}`];
  for (const key of ['message', 'detail']) if (typeof f[key] === 'string') parts.push(f[key]);
  const error = f.error as Record<string, unknown> | undefined;
  if (error && typeof error.message === 'string') parts.push(error.message);
  return parts.join(': ');
};

/**
 * The job's story in time order: GitHub's queue time, each webhook delivery (with its outcome and
 * how often GitHub sent it), the workers reserved for it or whose runner took it (reserved → pod
 * created → running → finished), and the job's own start and end.
 */
export function buildTimeline(
  job: JobView,
  deliveries: readonly DeliveryView[],
  workers: readonly WorkerView[],
): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const add = (at: Date | null, what: string, tone: TimelineEvent['tone'], detail?: string) => {
    if (at) events.push({ at, what, tone, ...(detail ? { detail } : {}) });
  };
  add(job.queuedAt, 'queued on GitHub', 'info');
  add(job.createdAt, 'recorded', 'info', `labels ${job.labels.join(', ')} → board ${job.board}`);
  for (const d of deliveries) {
    const again =
      d.receiveCount > 1
        ? `, received ${d.receiveCount} times (last ${d.lastReceivedAt.toISOString()})`
        : '';
    const tone = d.outcome === 'invalid' || d.outcome === 'forward_failed' ? 'warn' : 'info';
    add(
      d.receivedAt,
      `webhook ${d.event}${d.action ? `.${d.action}` : ''}`,
      tone,
      `outcome ${d.outcome}${again}${d.detail ? ` — ${d.detail}` : ''} (delivery ${d.deliveryId})`,
    );
  }
  for (const w of workers) {
    const role =
      w.podName === job.runnerName
        ? w.reservedForJobId === job.jobId
          ? 'reserved for it, ran it'
          : 'ran it (reserved for another job of its pool)'
        : 'reserved for it';
    add(w.createdAt, `worker ${w.podName} reserved`, 'info', role);
    add(
      w.podCreatedAt,
      `pod ${w.podName} created`,
      'info',
      w.runnerId ? `runner id ${w.runnerId}` : undefined,
    );
    add(w.runningAt, `pod ${w.podName} running`, 'ok', w.node ? `on node ${w.node}` : undefined);
    if (w.status === 'completed') add(w.completedAt, `worker ${w.podName} completed`, 'ok');
    if (w.status === 'failed')
      add(w.completedAt, `worker ${w.podName} failed`, 'error', failureText(w.failureInfo));
  }
  add(
    job.startedAt,
    'in progress',
    'ok',
    job.runnerName ? `on runner ${job.runnerName}` : undefined,
  );
  if (job.status === 'completed')
    add(
      job.completedAt ?? job.updatedAt,
      'completed',
      job.conclusion === 'success' ? 'ok' : 'warn',
      job.conclusion ?? undefined,
    );
  if (job.status === 'failed')
    add(job.completedAt ?? job.updatedAt, 'failed', 'error', failureText(job.failureInfo));
  // Stable: equal times keep the order above (recorded before its webhook, reserved before pod).
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at.getTime() - b.e.at.getTime() || a.i - b.i)
    .map(({ e }) => e);
}
