import { describe, expect, it } from 'vitest';
import { explainJob, type ExplainInput, type ReasonCode } from '../../src/explain/explain.js';
import type { ClusterSnapshot } from '../../src/queues/cache-values.js';

const T0 = new Date('2024-05-01T12:00:00Z');
const NOW = new Date('2024-05-01T13:00:00Z');

const node = (
  name: string,
  pods: string[] = [],
  extra: Partial<ClusterSnapshot['nodes'][0]> = {},
) => ({
  name,
  board: 'b1',
  slots: 1,
  ready: true,
  schedulable: true,
  pods,
  ...extra,
});

const snapshot = (
  nodes: ClusterSnapshot['nodes'],
  pods: ClusterSnapshot['pods'] = [],
): ClusterSnapshot => ({
  at: NOW.toISOString(),
  nodes,
  pods,
});

/** A pending job of pool (acme, [x]) on board b1 with one free node and nothing in its way. */
function input(over: Partial<ExplainInput> = {}): ExplainInput {
  return {
    now: NOW,
    job: {
      jobId: 42,
      status: 'pending',
      board: 'b1',
      entityId: 7,
      entityName: 'acme',
      createdAt: T0,
      startedAt: null,
      completedAt: null,
      runnerName: null,
      conclusion: null,
      failureInfo: null,
    },
    coverage: { ahead: 0, available: 0 },
    poolWorkers: [],
    entity: { active: 0, cap: 5 },
    drain: null,
    snapshot: snapshot([node('n1'), node('n2', ['other-pod'])]),
    activeOnBoard: [],
    lastErrors: {},
    provisioning: {
      state: 'delayed',
      delayedUntil: new Date('2024-05-01T13:00:30Z'),
      lastLog: 'waiting: no_capacity',
    },
    ...over,
  };
}

const codes = (i: ExplainInput, kind?: 'blocker' | 'context'): ReasonCode[] =>
  explainJob(i)
    .reasons.filter((r) => !kind || r.kind === kind)
    .map((r) => r.code);

const full = snapshot([node('n1', ['p1']), node('n2', ['p2'])]);

describe('explainJob: jobs that are not waiting', () => {
  it('running: names the runner and the start, no reasons', () => {
    const e = explainJob(
      input({ job: { ...input().job, status: 'running', runnerName: 'r-1', startedAt: T0 } }),
    );
    expect(e).toMatchObject({ waiting: false, reasons: [] });
    expect(e.summary).toBe('Running on r-1 since 2024-05-01T12:00:00.000Z.');
  });

  it('completed: gives the conclusion', () => {
    const e = explainJob(
      input({
        job: { ...input().job, status: 'completed', conclusion: 'success', completedAt: T0 },
      }),
    );
    expect(e.summary).toBe('Completed (success) at 2024-05-01T12:00:00.000Z.');
  });

  it('failed: reads failure_info', () => {
    const failed = { ...input().job, status: 'failed' as const };
    expect(
      explainJob(
        input({ job: { ...failed, failureInfo: { reason: 'github_refused', message: 'no' } } }),
      ).summary,
    ).toBe('Failed: github_refused: no.');
    expect(explainJob(input({ job: failed })).summary).toBe('Failed: no failure_info.');
  });
});

describe('explainJob: covered by a worker already', () => {
  it('covered when available workers outnumber the jobs ahead (isCovered), with each worker’s pod state', () => {
    const i = input({
      coverage: { ahead: 1, available: 3 },
      poolWorkers: [
        { podName: 'w1', status: 'pending', podCreatedAt: null },
        { podName: 'w2', status: 'pending', podCreatedAt: T0 },
        { podName: 'w3', status: 'running', podCreatedAt: T0 },
      ],
      snapshot: snapshot(
        [node('n1', ['w3'])],
        [
          {
            name: 'w2',
            phase: 'Pending',
            node: null,
            board: 'b1',
            entityId: '7',
            reason: 'ImagePullBackOff',
            createdAt: null,
          },
          {
            name: 'w3',
            phase: 'Running',
            node: 'n1',
            board: 'b1',
            entityId: '7',
            reason: null,
            createdAt: null,
          },
        ],
      ),
      // Capacity, cap and drain do not matter once covered.
      drain: { reason: 'maintenance', drainedAt: T0 },
      entity: { active: 5, cap: 5 },
      provisioning: null,
    });
    const e = explainJob(i);
    expect(codes(i)).toEqual(['covered']);
    expect(e.summary).toMatch(
      /^Covered: A runner is on its way: 3 workers of its pool are available for the 1 job ahead/,
    );
    expect(e.reasons[0]!.hint).toBe(
      'w1: no pod yet (runner being created); w2: pod Pending (ImagePullBackOff); w3: pod Running on n1',
    );
  });

  it('not covered when available equals the jobs ahead', () => {
    expect(codes(input({ coverage: { ahead: 2, available: 2 } }))).not.toContain('covered');
  });

  it('a covered job with a live provisioning job still shows it as context', () => {
    expect(codes(input({ coverage: { ahead: 0, available: 1 } }))).toEqual([
      'covered',
      'provisioning',
    ]);
  });
});

describe('explainJob: blockers of an uncovered job', () => {
  it('nothing blocks: should_start, with the provisioning state as context', () => {
    const i = input();
    expect(codes(i)).toEqual(['should_start', 'provisioning']);
    const e = explainJob(i);
    expect(e.waiting).toBe(true);
    expect(e.summary).toMatch(/^Waiting: Nothing blocks it/);
    expect(e.reasons[1]!.message).toBe(
      'Provisioning job delayed; it looks again at 2024-05-01T13:00:30.000Z. Last log: waiting: no_capacity.',
    );
  });

  it('board drained: the reason, the time and how to undrain', () => {
    const i = input({ drain: { reason: 'firmware update', drainedAt: T0 } });
    const e = explainJob(i);
    expect(codes(i, 'blocker')).toEqual(['board_drained']);
    expect(e.summary).toBe(
      'Waiting: Board b1 is drained (firmware update) since 2024-05-01T12:00:00.000Z: no new workers start there.',
    );
    expect(e.reasons[0]!.hint).toBe('npm run cli -- undrain b1');
  });

  it('entity at max_workers M, counting active workers across boards', () => {
    const i = input({ entity: { active: 3, cap: 3 } });
    expect(codes(i, 'blocker')).toEqual(['entity_at_cap']);
    expect(explainJob(i).reasons[0]!.message).toBe(
      'acme is at max_workers 3: 3 workers active across all boards.',
    );
    expect(codes(input({ entity: { active: 4, cap: 3 } }), 'blocker')).toEqual(['entity_at_cap']);
    expect(codes(input({ entity: { active: 500, cap: null } }), 'blocker')).toEqual([
      'should_start',
    ]);
  });

  it('owner at max_workers_per_owner, counting all its repositories', () => {
    const i = input({ owner: { name: 'alice', active: 4, cap: 4 } });
    expect(codes(i, 'blocker')).toEqual(['owner_at_cap']);
    expect(explainJob(i).summary).toBe(
      'Waiting: owner alice is at max_workers_per_owner (4 of 4): the runners of all its repositories count together.',
    );
    expect(codes(input({ owner: { name: 'alice', active: 3, cap: 4 } }), 'blocker')).toEqual([
      'should_start',
    ]);
    expect(codes(input({ owner: { name: 'alice', active: 9, cap: null } }), 'blocker')).toEqual([
      'should_start',
    ]);
  });

  it('full board: names the entities whose turn comes first', () => {
    const full = snapshot([node('n1', ['p1']), node('n2', ['p2'])]);
    const i = input({
      snapshot: full,
      turn: { ahead: ['pytorch', 'llvm'], lastServedAt: T0 },
    });
    expect(codes(i, 'blocker')).toEqual(['turn', 'no_free_node']);
    expect(explainJob(i).summary).toBe(
      'Waiting: its entity had the last slot on board b1; next turn after pytorch, llvm. (and 1 more reason)',
    );
    // Its turn is next: only the full board blocks it.
    const next = input({ snapshot: full, turn: { ahead: [], lastServedAt: null } });
    expect(codes(next, 'blocker')).toEqual(['no_free_node']);
  });

  it('no free node: slots all taken, busy nodes named with their pods, unavailable nodes with why', () => {
    const i = input({
      snapshot: snapshot([
        node('n1', ['p1']),
        node('n2', ['p2']),
        node('n3', [], { ready: false }),
        node('n4', [], { schedulable: false }),
        node('other', [], { board: 'b2' }),
      ]),
    });
    const e = explainJob(i);
    expect(codes(i, 'blocker')).toEqual(['no_free_node']);
    expect(e.reasons[0]!.message).toBe(
      'No free node of board b1: 2 of 2 slots taken. Busy: n1 (p1); n2 (p2). Unavailable: n3: not Ready; n4: cordoned.',
    );
    expect(e.reasons[0]!.details).toMatchObject({ slots: 2, busy: 2, free: 0 });
  });

  it('reserved workers without a pod and unbound Pending pods take slots too', () => {
    const reserved = input({
      snapshot: snapshot([node('n1'), node('n2')]),
      activeOnBoard: ['w1', 'w2'],
    });
    expect(codes(reserved, 'blocker')).toEqual(['no_free_node']);
    const unbound = input({
      snapshot: snapshot(
        [node('n1', ['p1']), node('n2')],
        [
          {
            name: 'p9',
            phase: 'Pending',
            node: null,
            board: 'b1',
            entityId: '1',
            reason: null,
            createdAt: null,
          },
        ],
      ),
    });
    expect(codes(unbound, 'blocker')).toEqual(['no_free_node']);
    // A pod of another board or an active worker already on a node is not counted twice.
    const counted = input({
      snapshot: snapshot([node('n1', ['w1']), node('n2')]),
      activeOnBoard: ['w1'],
    });
    expect(codes(counted, 'blocker')).toEqual(['should_start']);
  });

  it('a board with no node at all', () => {
    const i = input({ snapshot: snapshot([node('x', [], { board: 'b2' })]) });
    expect(codes(i, 'blocker')).toEqual(['no_nodes']);
    expect(explainJob(i).reasons[0]!.message).toContain('riseproject.dev/board=b1');
  });

  it('no cluster snapshot: says capacity cannot be judged', () => {
    const i = input({ snapshot: undefined });
    expect(codes(i, 'blocker')).toEqual(['cluster_unknown']);
    expect(explainJob(i).reasons[0]!.hint).toMatch(/worker process/);
  });

  it('K jobs ahead take the free slots first', () => {
    const i = input({ coverage: { ahead: 3, available: 1 } }); // needs 3 workers, 1 free slot
    const e = explainJob(i);
    expect(codes(i, 'blocker')).toEqual(['jobs_ahead']);
    expect(e.reasons[0]!.message).toBe(
      '3 jobs of its pool are ahead of it and get the 1 free slot first.',
    );
    expect(e.reasons[0]!.details).toMatchObject({ ahead: 3, available: 1, needed: 3 });
  });

  it('K jobs ahead take the last places under max_workers first', () => {
    const i = input({
      coverage: { ahead: 2, available: 0 },
      entity: { active: 4, cap: 5 },
      snapshot: snapshot([node('a'), node('b'), node('c'), node('d')]),
    });
    expect(explainJob(i).reasons[0]!.message).toBe(
      '2 jobs of its pool are ahead of it and get the 1 place under max_workers first.',
    );
  });

  it('jobs ahead that enough room serves: context only', () => {
    const i = input({
      coverage: { ahead: 1, available: 1 },
      snapshot: snapshot([node('a'), node('b')]),
    });
    expect(codes(i)).toEqual(['should_start', 'jobs_ahead', 'provisioning']);
    expect(explainJob(i).reasons[1]!.message).toBe(
      '1 job of its pool is ahead of it (1 worker available for them).',
    );
  });

  it('several blockers: all listed, the summary names the first and counts the rest', () => {
    const i = input({
      drain: { reason: null, drainedAt: T0 },
      entity: { active: 2, cap: 2 },
      snapshot: full,
      coverage: { ahead: 4, available: 0 },
    });
    expect(codes(i, 'blocker')).toEqual(['board_drained', 'entity_at_cap', 'no_free_node']);
    expect(codes(i, 'context')).toEqual(['jobs_ahead', 'provisioning']);
    expect(explainJob(i).summary).toBe(
      'Waiting: Board b1 is drained since 2024-05-01T12:00:00.000Z: no new workers start there. (and 2 more reasons)',
    );
  });
});

describe('explainJob: the provisioning queue', () => {
  it('no BullMQ job and nothing else in the way: not_queued is the reason, with the fix', () => {
    const i = input({ provisioning: null });
    const e = explainJob(i);
    expect(codes(i)).toEqual(['not_queued']);
    expect(e.reasons[0]!.hint).toBe(
      'npm run cli -- retry 42 (or npm run cli -- requeue for every pending job)',
    );
  });

  it('a failed provisioning job gives its reason', () => {
    const i = input({ provisioning: { state: 'failed', failedReason: 'boom' } });
    expect(explainJob(i).reasons[0]).toMatchObject({
      code: 'not_queued',
      message: 'Its provisioning job failed: boom.',
    });
  });

  it('behind another blocker, a missing job is context (a matching pass still serves it)', () => {
    const i = input({ provisioning: null, snapshot: full });
    expect(codes(i, 'blocker')).toEqual(['no_free_node']);
    expect(codes(i, 'context')).toEqual(['not_queued']);
  });

  it('not looked up (undefined): nothing said about it', () => {
    expect(codes(input({ provisioning: undefined }))).toEqual(['should_start']);
  });
});

describe('explainJob: the last GitHub or Kubernetes error', () => {
  const error = (at: string, podName = 'w9') => ({
    at,
    api: 'github' as const,
    status: 503,
    message: 'Service Unavailable',
    podName,
  });

  it('shows errors since the job arrived, once when board and entity share it', () => {
    const e = error('2024-05-01T12:30:00Z');
    const i = input({ lastErrors: { board: e, entity: e } });
    const reasons = explainJob(i).reasons.filter((r) => r.code === 'last_error');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]!.message).toBe(
      'GitHub error 503 creating runner w9 at 2024-05-01T12:30:00Z (latest for its board): Service Unavailable',
    );
  });

  it('shows a Kubernetes error for the entity next to a GitHub one for the board', () => {
    const k8s = { ...error('2024-05-01T12:40:00Z', 'w8'), api: 'kubernetes' as const, status: 422 };
    const i = input({ lastErrors: { board: error('2024-05-01T12:30:00Z'), entity: k8s } });
    const messages = explainJob(i)
      .reasons.filter((r) => r.code === 'last_error')
      .map((r) => r.message);
    expect(messages[1]).toMatch(
      /^Kubernetes error 422 creating runner w8 .* \(latest for its entity\)/,
    );
  });

  it('ignores errors older than the job', () => {
    const i = input({ lastErrors: { board: error('2024-05-01T11:00:00Z') } });
    expect(codes(i)).not.toContain('last_error');
  });
});
