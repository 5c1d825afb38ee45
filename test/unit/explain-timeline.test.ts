import { describe, expect, it } from 'vitest';
import { boardView } from '../../src/explain/capacity.js';
import { buildTimeline, type JobView, type WorkerView } from '../../src/explain/timeline.js';

const t = (s: number) => new Date(Date.UTC(2024, 4, 1, 12, 0, s));

const job: JobView = {
  jobId: 5,
  status: 'completed',
  entityId: 1,
  entityName: 'acme',
  entityType: 'Organization',
  repoFullName: 'acme/app',
  installationId: 9,
  labels: ['ubuntu-24.04-riscv'],
  board: 'b1',
  image: 'img',
  htmlUrl: null,
  runId: null,
  jobName: 'build',
  runnerName: 'r-b',
  conclusion: 'success',
  failureInfo: null,
  createdAt: t(1),
  updatedAt: t(40),
  queuedAt: t(0),
  startedAt: t(30),
  completedAt: t(40),
};

const worker = (over: Partial<WorkerView>): WorkerView => ({
  podName: 'r-a',
  status: 'completed',
  board: 'b1',
  node: 'n1',
  runnerId: 11,
  reservedForJobId: 5,
  createdAt: t(2),
  podCreatedAt: t(3),
  runningAt: t(10),
  completedAt: t(20),
  failureInfo: null,
  ...over,
});

describe('buildTimeline', () => {
  it('orders deliveries, worker steps and the job’s own transitions by time', () => {
    const events = buildTimeline(
      job,
      [
        {
          deliveryId: 'd1',
          event: 'workflow_job',
          action: 'queued',
          outcome: 'applied',
          detail: null,
          receiveCount: 2,
          receivedAt: t(1),
          lastReceivedAt: t(5),
        },
        {
          deliveryId: 'd2',
          event: 'workflow_job',
          action: 'completed',
          outcome: 'applied',
          detail: null,
          receiveCount: 1,
          receivedAt: t(41),
          lastReceivedAt: t(41),
        },
      ],
      [
        worker({
          status: 'failed',
          completedAt: t(20),
          failureInfo: {
            version: 2,
            reason: 'runner_never_registered',
            detail: 'no runner after 120 s',
          },
        }),
        worker({
          podName: 'r-b',
          reservedForJobId: 6,
          createdAt: t(21),
          podCreatedAt: t(22),
          runningAt: t(25),
          completedAt: t(42),
          node: 'n2',
        }),
      ],
    );
    expect(events.map((e) => e.what)).toEqual([
      'queued on GitHub',
      'recorded',
      'webhook workflow_job.queued',
      'worker r-a reserved',
      'pod r-a created',
      'pod r-a running',
      'worker r-a failed',
      'worker r-b reserved',
      'pod r-b created',
      'pod r-b running',
      'in progress',
      'completed',
      'webhook workflow_job.completed',
      'worker r-b completed',
    ]);
    const byWhat = (w: string) => events.find((e) => e.what === w)!;
    expect(byWhat('webhook workflow_job.queued').detail).toBe(
      'outcome applied, received 2 times (last 2024-05-01T12:00:05.000Z) (delivery d1)',
    );
    expect(byWhat('worker r-a failed')).toMatchObject({
      tone: 'error',
      detail: 'reason runner_never_registered: no runner after 120 s',
    });
    expect(byWhat('worker r-b reserved').detail).toBe(
      'ran it (reserved for another job of its pool)',
    );
    expect(byWhat('worker r-a reserved').detail).toBe('reserved for it');
    expect(byWhat('pod r-b running').detail).toBe('on node n2');
    expect(byWhat('completed')).toMatchObject({ tone: 'ok', detail: 'success' });
  });

  it('a failed job ends with its failure_info', () => {
    const failed = {
      ...job,
      status: 'failed' as const,
      startedAt: null,
      completedAt: null,
      failureInfo: { reason: 'github_refused', message: 'forbidden' },
    };
    const events = buildTimeline(failed, [], []);
    expect(events.at(-1)).toMatchObject({
      what: 'failed',
      tone: 'error',
      detail: 'reason github_refused: forbidden',
      at: t(40),
    });
  });
});

describe('boardView', () => {
  const n = (name: string, pods: string[], extra = {}) => ({
    name,
    board: 'b',
    slots: 1,
    ready: true,
    schedulable: true,
    pods,
    ...extra,
  });
  it('counts slots of usable nodes and everything that holds or awaits one', () => {
    const v = boardView(
      {
        nodes: [
          n('a', ['p1']),
          n('b', []),
          n('c', [], { slots: 2 }),
          n('d', [], { ready: false, slots: 4 }),
          n('e', [], { board: 'x' }),
        ],
        pods: [
          {
            name: 'q',
            phase: 'Pending',
            node: null,
            board: 'b',
            entityId: null,
            reason: null,
            createdAt: null,
          },
          {
            name: 'done',
            phase: 'Succeeded',
            node: null,
            board: 'b',
            entityId: null,
            reason: null,
            createdAt: null,
          },
        ],
      },
      'b',
      ['w1', 'p1'],
    );
    expect(v).toMatchObject({ nodes: 4, readyNodes: 3, slots: 4, busy: 3, free: 1 });
    expect(v.busyNodes).toEqual([{ name: 'a', slots: 1, pods: ['p1'] }]);
    expect(v.unavailableNodes).toEqual([{ name: 'd', why: 'not Ready' }]);
  });
});
