import { and, asc, eq, isNull } from 'drizzle-orm';
import { jobs, workers } from '../../db/schema/index.js';
import type { Queue } from 'bullmq';
import { recordAudit } from '../../db/audit.js';
import { enqueueCreateRunners, enqueueProvision, kickBoard } from '../../queues/producers.js';
import { jobIds } from '../../queues/registry.js';
import { CommandError, positiveInt, printJson, type Command } from '../command.js';

const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

type Slot = 'live' | 'absent' | 'cleared';

/**
 * Makes room for adding a BullMQ job with this id again: a finished (failed or completed) job with
 * the id is removed, since adding the same id would otherwise return it unchanged.
 */
async function clearFinished(
  queue: Queue,
  id: string,
  dryRun = false,
): Promise<{ slot: Slot; state?: string }> {
  const job = await queue.getJob(id);
  if (!job) return { slot: 'absent' };
  const state = await job.getState();
  if (LIVE.has(state)) return { slot: 'live', state };
  if (!dryRun) await job.remove();
  return { slot: 'cleared', state };
}

async function inChunks<T, R>(items: T[], f: (t: T) => Promise<R>, size = 50): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(f))));
  return out;
}

export const retry: Command = {
  name: 'retry',
  args: 'JOB_ID',
  summary:
    'provision a pending job again now (its failed provisioning job is replaced; a delayed one runs at once)',
  positionals: [1, 1],
  check: ({ positionals }) => void positiveInt('JOB_ID', positionals[0]),
  async run(ctx, { positionals, json, out }) {
    const jobId = positiveInt('JOB_ID', positionals[0]);
    const [row] = await ctx.db
      .select({ status: jobs.status, board: jobs.k8sPool })
      .from(jobs)
      .where(eq(jobs.jobId, jobId));
    if (!row) throw new CommandError(`no job ${jobId} is recorded`);
    if (row.status !== 'pending')
      throw new CommandError(`job ${jobId} is ${row.status}: only pending jobs are provisioned`);
    const id = jobIds.provision(jobId);
    const existing = await ctx.queues.provision.getJob(id);
    const state = existing ? await existing.getState() : undefined;
    let action: string;
    if (existing && state === 'delayed') {
      await existing.promote();
      action = 'promoted its delayed provisioning job: it runs now';
    } else if (existing && state !== undefined && LIVE.has(state)) {
      action = `its provisioning job is already ${state}`;
    } else {
      if (existing) await existing.remove();
      await enqueueProvision(ctx.queues, [{ jobId, board: row.board }]);
      action = existing ? `replaced its ${state} provisioning job` : 'enqueued a provisioning job';
    }
    await recordAudit(ctx.db, {
      actor: 'cli',
      action: 'retry',
      target: String(jobId),
      detail: { board: row.board, previousState: state ?? null, action },
    });
    if (json)
      return void printJson(out, {
        jobId,
        board: row.board,
        previousState: state ?? null,
        action,
      });
    out.write(`job ${jobId}: ${action}\n`);
  },
};

export const requeue: Command = {
  name: 'requeue',
  summary:
    'rebuild the queues from PostgreSQL (after a Redis wipe): every pending job and every reserved worker without a pod',
  positionals: [0, 0],
  options: { 'dry-run': { type: 'boolean', help: 'count what would be enqueued, change nothing' } },
  async run(ctx, { values, json, out }) {
    const dryRun = values['dry-run'] === true;
    const pendingJobs = await ctx.db
      .select({ jobId: jobs.jobId, board: jobs.k8sPool })
      .from(jobs)
      .where(eq(jobs.status, 'pending'))
      .orderBy(asc(jobs.createdAt), asc(jobs.jobId));
    const jobSlots = await inChunks(pendingJobs, async (r) => ({
      ...r,
      ...(await clearFinished(ctx.queues.provision, jobIds.provision(r.jobId), dryRun)),
    }));
    const toProvision = jobSlots.filter((s) => s.slot !== 'live');
    const unstarted = await ctx.db
      .select({ podName: workers.podName })
      .from(workers)
      .where(and(eq(workers.status, 'pending'), isNull(workers.podCreatedAt)))
      .orderBy(asc(workers.createdAt));
    const workerSlots = await inChunks(unstarted, async (r) => ({
      ...r,
      ...(await clearFinished(ctx.queues.runners, jobIds.createRunner(r.podName), dryRun)),
    }));
    const toCreate = workerSlots.filter((s) => s.slot !== 'live');
    const boards = [...new Set(toProvision.map((s) => s.board))];
    if (!dryRun) {
      await enqueueProvision(
        ctx.queues,
        toProvision.map(({ jobId, board }) => ({ jobId, board })),
      );
      await enqueueCreateRunners(
        ctx.queues,
        toCreate.map((s) => s.podName),
      );
      for (const board of boards) await kickBoard(ctx.queues, board, 'requeue by an operator');
    }
    const summary = {
      dryRun,
      provision: {
        pending: jobSlots.length,
        enqueued: toProvision.length,
        alreadyQueued: jobSlots.length - toProvision.length,
      },
      createRunner: {
        pending: workerSlots.length,
        enqueued: toCreate.length,
        alreadyQueued: workerSlots.length - toCreate.length,
      },
      boardsKicked: dryRun ? [] : boards,
    };
    if (!dryRun) {
      await recordAudit(ctx.db, {
        actor: 'cli',
        action: 'requeue',
        detail: {
          provisionEnqueued: summary.provision.enqueued,
          createRunnerEnqueued: summary.createRunner.enqueued,
          boards,
        },
      });
    }
    if (json) return void printJson(out, summary);
    const verb = dryRun ? 'would enqueue' : 'enqueued';
    out.write(
      `provision: ${summary.provision.pending} pending jobs, ${verb} ${summary.provision.enqueued}, ${summary.provision.alreadyQueued} already queued\n`,
    );
    out.write(
      `create-runner: ${summary.createRunner.pending} reserved workers without a pod, ${verb} ${summary.createRunner.enqueued}, ${summary.createRunner.alreadyQueued} already queued\n`,
    );
    if (!dryRun && boards.length > 0)
      out.write(`matching passes queued for ${boards.join(', ')}\n`);
  },
};
