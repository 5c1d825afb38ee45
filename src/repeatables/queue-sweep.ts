import { asc, eq } from 'drizzle-orm';
import { jobs } from '../db/schema/index.js';
import { enqueueProvision, kickBoard } from '../queues/producers.js';
import { jobIds } from '../queues/registry.js';
import { counter, type Counts, type ReconcileDeps } from './deps.js';

const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * PostgreSQL, not Redis, is the record: every pending job without a live provisioning job (Redis
 * was wiped, an enqueue failed, a job exhausted its attempts) gets one again, and every board with
 * pending jobs is matched once more, which also recovers a missed wake-up.
 */
export async function reconcileQueueSweep(
  deps: Pick<ReconcileDeps, 'db' | 'queues' | 'log'>,
): Promise<Counts> {
  const { counts, add } = counter();
  const rows = await deps.db
    .select({ jobId: jobs.jobId, board: jobs.k8sPool })
    .from(jobs)
    .where(eq(jobs.status, 'pending'))
    .orderBy(asc(jobs.createdAt));
  add('pending', rows.length);
  const missing: { jobId: number; board: string }[] = [];
  for (let i = 0; i < rows.length; i += 100) {
    await Promise.all(
      rows.slice(i, i + 100).map(async (r) => {
        const { jobId } = r;
        const job = await deps.queues.provision.getJob(jobIds.provision(jobId));
        if (job && LIVE.has(await job.getState())) return;
        if (job) await job.remove();
        missing.push({ jobId, board: r.board });
      }),
    );
  }
  await enqueueProvision(deps.queues, missing);
  add('requeued', missing.length);
  for (const board of new Set(rows.map((r) => r.board)))
    await kickBoard(deps.queues, board, 'sweep');
  return counts;
}
