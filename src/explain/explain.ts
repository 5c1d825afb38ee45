import type { ClusterSnapshot, LastError } from '../queues/cache-values.js';
import { boardView } from './capacity.js';
import { asText } from '../util/text.js';

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed';

/** Everything the explainer looks at, read from PostgreSQL and Redis by job-report.ts. */
export interface ExplainInput {
  now: Date;
  job: {
    jobId: number;
    status: JobStatus;
    board: string;
    entityId: number;
    entityName: string;
    createdAt: Date;
    startedAt: Date | null;
    completedAt: Date | null;
    runnerName: string | null;
    conclusion: string | null;
    failureInfo: Record<string, unknown> | null;
  };
  /** As src/db/jobs.ts jobCoverage: pending jobs of the pool ahead of it, available workers. */
  coverage: { ahead: number; available: number };
  /** The pool's available workers (AVAILABLE_WORKER), oldest first. */
  poolWorkers: { podName: string; status: JobStatus; podCreatedAt: Date | null }[];
  /** Active workers of the entity on every board, and its max_workers (null: unlimited). */
  entity: { active: number; cap: number | null };
  /**
   * The installation owner (login, lower case): active workers of all its entities on every
   * board, and the entity's max_workers_per_owner (null: unlimited). Absent: not looked up.
   */
  owner?: { name: string; active: number; cap: number | null };
  /**
   * Fair turns on the board: the other entities with pending jobs there that were served less
   * recently than this job's entity (they get the next free slots first), least recent first.
   */
  turn?: { ahead: string[]; lastServedAt: Date | null };
  drain: { reason: string | null; drainedAt: Date } | null;
  /** Undefined: no worker leader is publishing the cluster. */
  snapshot: ClusterSnapshot | undefined;
  /** Names of the board's active workers (they hold or will hold a slot). */
  activeOnBoard: string[];
  lastErrors: { board?: LastError; entity?: LastError };
  /** The job's BullMQ provisioning job: null when there is none; undefined when not looked up. */
  provisioning?: {
    state: string;
    delayedUntil?: Date;
    lastLog?: string;
    failedReason?: string;
  } | null;
}

export type ReasonCode =
  | 'covered'
  | 'board_drained'
  | 'entity_at_cap'
  | 'owner_at_cap'
  | 'turn'
  | 'cluster_unknown'
  | 'no_nodes'
  | 'no_free_node'
  | 'jobs_ahead'
  | 'not_queued'
  | 'should_start'
  | 'last_error'
  | 'provisioning';

export interface Reason {
  code: ReasonCode;
  /** blocker: why it has no runner; context: what else an operator should know. */
  kind: 'blocker' | 'context';
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export interface Explanation {
  jobId: number;
  status: JobStatus;
  waiting: boolean;
  summary: string;
  reasons: Reason[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const CLI = 'npm run cli --';

function podState(input: ExplainInput, podName: string, podCreated: boolean): string {
  const pod = input.snapshot?.pods.find((p) => p.name === podName);
  if (pod)
    return `pod ${pod.phase}${pod.reason ? ` (${pod.reason})` : ''}${pod.node ? ` on ${pod.node}` : ''}`;
  if (!podCreated) return 'no pod yet (runner being created)';
  return input.snapshot ? 'pod not seen in the cluster' : 'pod state unknown';
}

function notWaiting(input: ExplainInput): Explanation {
  const { job } = input;
  const at = (d: Date | null) => (d ? d.toISOString() : 'an unknown time');
  const failure = job.failureInfo;
  const summary =
    job.status === 'running'
      ? `Running on ${job.runnerName ?? 'a runner'} since ${at(job.startedAt)}.`
      : job.status === 'completed'
        ? `Completed${job.conclusion ? ` (${job.conclusion})` : ''} at ${at(job.completedAt)}.`
        : `Failed: ${asText(failure?.reason) || 'no failure_info'}${failure?.message ? `: ${asText(failure.message)}` : ''}.`;
  return { jobId: job.jobId, status: job.status, waiting: false, summary, reasons: [] };
}

function lastErrorReasons(input: ExplainInput): Reason[] {
  const seen = new Set<string>();
  const out: Reason[] = [];
  for (const [scope, error] of [
    ['board', input.lastErrors.board],
    ['entity', input.lastErrors.entity],
  ] as const) {
    // Only errors since the job arrived say anything about why it waits.
    if (!error || Date.parse(error.at) < input.job.createdAt.getTime()) continue;
    const key = `${error.at}|${error.podName}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const api =
      error.api === 'kubernetes' ? 'Kubernetes' : error.api === 'github' ? 'GitHub' : 'An';
    out.push({
      code: 'last_error',
      kind: 'context',
      message: `${api} error${error.status ? ` ${error.status}` : ''} creating runner ${error.podName} at ${error.at} (latest for its ${scope}): ${error.message}`,
      details: { scope, ...error },
    });
  }
  return out;
}

function provisioningReason(input: ExplainInput, blocked: boolean): Reason | undefined {
  const p = input.provisioning;
  if (p === undefined) return undefined;
  if (p === null || p.state === 'failed' || p.state === 'completed' || p.state === 'unknown') {
    const what =
      p === null || p.state === 'unknown'
        ? 'There is no provisioning job for it in the queue (Redis wiped or the job was lost)'
        : p.state === 'failed'
          ? `Its provisioning job failed${p.failedReason ? `: ${p.failedReason}` : ''}`
          : 'Its provisioning job finished without a runner for it';
    return {
      code: 'not_queued',
      // A matching pass for the board still serves it when a slot frees; alone it is the reason.
      kind: blocked ? 'context' : 'blocker',
      message: `${what}.`,
      hint: `${CLI} retry ${input.job.jobId} (or ${CLI} requeue for every pending job)`,
      details: { state: p?.state ?? null },
    };
  }
  const when = p.delayedUntil ? `; it looks again at ${p.delayedUntil.toISOString()}` : '';
  return {
    code: 'provisioning',
    kind: 'context',
    message: `Provisioning job ${p.state}${when}${p.lastLog ? `. Last log: ${p.lastLog}` : ''}.`,
    details: { ...p, delayedUntil: p.delayedUntil?.toISOString() },
  };
}

function covered(input: ExplainInput): Reason {
  const { ahead, available } = input.coverage;
  const workers = input.poolWorkers.map((w) => ({
    podName: w.podName,
    status: w.status,
    state: podState(input, w.podName, w.podCreatedAt !== null),
  }));
  return {
    code: 'covered',
    kind: 'blocker',
    message: `A runner is on its way: ${plural(available, 'worker')} of its pool ${available === 1 ? 'is' : 'are'} available for the ${plural(ahead, 'job')} ahead of it and this one (GitHub gives a pool's runners to its oldest jobs first).`,
    hint: workers.map((w) => `${w.podName}: ${w.state}`).join('; ') || undefined,
    details: { ahead, available, workers },
  };
}

/** The blockers of an uncovered job, in the order the matching pass meets them. */
function blockers(input: ExplainInput): Reason[] {
  const { job, coverage, entity } = input;
  const out: Reason[] = [];
  const needed = coverage.ahead + 1 - coverage.available;
  if (input.drain) {
    out.push({
      code: 'board_drained',
      kind: 'blocker',
      message: `Board ${job.board} is drained${input.drain.reason ? ` (${input.drain.reason})` : ''} since ${input.drain.drainedAt.toISOString()}: no new workers start there.`,
      hint: `${CLI} undrain ${job.board}`,
      details: { board: job.board, reason: input.drain.reason, drainedAt: input.drain.drainedAt },
    });
  }
  const owner = input.owner;
  const ownerRoom = !owner || owner.cap === null ? Infinity : owner.cap - owner.active;
  const capRoom = Math.min(entity.cap === null ? Infinity : entity.cap - entity.active, ownerRoom);
  if (entity.cap !== null && entity.cap - entity.active <= 0) {
    out.push({
      code: 'entity_at_cap',
      kind: 'blocker',
      message: `${job.entityName} is at max_workers ${entity.cap}: ${plural(entity.active, 'worker')} active across all boards.`,
      hint: 'A place frees when one of its runners finishes; raise max_workers in RUNNERS_CONFIG if the cap is wrong.',
      details: { active: entity.active, cap: entity.cap },
    });
  }
  if (owner && ownerRoom <= 0) {
    out.push({
      code: 'owner_at_cap',
      kind: 'blocker',
      message: `owner ${owner.name} is at max_workers_per_owner (${owner.active} of ${owner.cap}): the runners of all its repositories count together.`,
      hint: `A place frees when one of ${owner.name}'s runners finishes; raise max_workers_per_owner in RUNNERS_CONFIG if the cap is wrong.`,
      details: { ...owner },
    });
  }
  let free = Infinity;
  if (!input.snapshot) {
    out.push({
      code: 'cluster_unknown',
      kind: 'blocker',
      message:
        'No cluster snapshot in Redis, so free nodes cannot be judged (the worker leader publishes one every 2 s).',
      hint: 'Check that at least one worker process is running and connected to Kubernetes.',
    });
  } else {
    const view = boardView(input.snapshot, job.board, input.activeOnBoard);
    free = view.free;
    if (view.nodes === 0) {
      out.push({
        code: 'no_nodes',
        kind: 'blocker',
        message: `Board ${job.board} has no nodes (no node is labelled riseproject.dev/board=${job.board}).`,
        details: { board: job.board },
      });
    } else if (view.free === 0) {
      const turn = input.turn;
      if (turn && turn.ahead.length > 0) {
        out.push({
          code: 'turn',
          kind: 'blocker',
          message: `its entity had the last slot on board ${job.board}; next turn after ${turn.ahead.join(', ')}.`,
          hint: 'Entities take turns on a full board: the next free slot goes to the waiting entity served least recently there.',
          details: { ahead: turn.ahead, lastServedAt: turn.lastServedAt?.toISOString() ?? null },
        });
      }
      const busy = view.busyNodes.map((n) => `${n.name} (${n.pods.join(', ')})`).join('; ');
      const down = view.unavailableNodes.map((n) => `${n.name}: ${n.why}`).join('; ');
      out.push({
        code: 'no_free_node',
        kind: 'blocker',
        message: `No free node of board ${job.board}: ${view.busy} of ${plural(view.slots, 'slot')} taken${busy ? `. Busy: ${busy}` : ''}${down ? `. Unavailable: ${down}` : ''}.`,
        hint: 'It starts when a runner on the board finishes or a node is added or becomes Ready.',
        details: { ...view },
      });
    }
  }
  if (out.length === 0 && needed > Math.min(free, capRoom)) {
    const room =
      free <= capRoom
        ? `${plural(free, 'free slot')}`
        : `${plural(capRoom, 'place')} under ${ownerRoom === capRoom ? 'max_workers_per_owner' : 'max_workers'}`;
    out.push({
      code: 'jobs_ahead',
      kind: 'blocker',
      message: `${plural(coverage.ahead, 'job')} of its pool ${coverage.ahead === 1 ? 'is' : 'are'} ahead of it and get the ${room} first.`,
      details: { ...coverage, needed },
    });
  }
  return out;
}

/**
 * Why a job has no runner yet, from current state. Pure: the same rules as the matching pass
 * (src/db/jobs.ts isCovered, src/matching/allocate.ts caps, src/kube/capacity.ts free slots).
 */
export function explainJob(input: ExplainInput): Explanation {
  const { job, coverage } = input;
  if (job.status !== 'pending') return notWaiting(input);
  const reasons: Reason[] = [];
  const isCovered = coverage.available > coverage.ahead;
  if (isCovered) {
    reasons.push(covered(input));
  } else {
    reasons.push(...blockers(input));
    if (coverage.ahead > 0 && !reasons.some((r) => r.code === 'jobs_ahead')) {
      reasons.push({
        code: 'jobs_ahead',
        kind: 'context',
        message: `${plural(coverage.ahead, 'job')} of its pool ${coverage.ahead === 1 ? 'is' : 'are'} ahead of it (${plural(coverage.available, 'worker')} available for them).`,
        details: { ...coverage },
      });
    }
  }
  const blocked = reasons.some((r) => r.kind === 'blocker');
  const provisioning = provisioningReason(input, blocked);
  // A covered job's provisioning job has done its work and is gone: that is normal.
  if (provisioning && !(isCovered && provisioning.code === 'not_queued'))
    reasons.push(provisioning);
  if (!reasons.some((r) => r.kind === 'blocker')) {
    reasons.unshift({
      code: 'should_start',
      kind: 'blocker',
      message: `Nothing blocks it: board ${job.board} has free slots and ${job.entityName} is under its cap, so a matching pass should reserve a worker within seconds.`,
      hint: `If it stays pending: check the worker processes and the provision queue (/admin/queues), or ${CLI} retry ${job.jobId}.`,
    });
  }
  reasons.push(...lastErrorReasons(input));
  const first = reasons.find((r) => r.kind === 'blocker')!;
  const others = reasons.filter((r) => r.kind === 'blocker' && r !== first).length;
  return {
    jobId: job.jobId,
    status: job.status,
    waiting: true,
    summary: `${isCovered ? 'Covered' : 'Waiting'}: ${first.message}${others > 0 ? ` (and ${plural(others, 'more reason')})` : ''}`,
    reasons,
  };
}
