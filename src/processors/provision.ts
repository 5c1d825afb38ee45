import { DelayedError } from 'bullmq';
import type { Db } from '../db/client.js';
import { isCovered, jobCoverage } from '../db/jobs.js';
import type { Payload } from '../queues/registry.js';
import type { PassResult } from '../matching/pass.js';
import type { JobContext } from './dispatch.js';

export interface ProvisionDeps {
  db: Db;
  passes: { run(board: string): Promise<PassResult> };
  /**
   * How long a job that cannot be served waits before looking again. A freed slot or a new node
   * runs a pass at once (a `match` kick), so this is only the safety net.
   */
  waitMs: number;
}

/**
 * `provision` (one per GitHub job): makes sure the job's pool has a worker for it. Runs a matching
 * pass for the job's board unless the job is already covered; a job left uncovered (its entity at
 * max_workers, or no free node) waits as a delayed job, never failed.
 */
export function provisionProcessor(deps: ProvisionDeps) {
  return async (data: Payload<'provision'>, ctx: JobContext) => {
    const before = await jobCoverage(deps.db, data.jobId);
    if (!before || before.status !== 'pending')
      return { outcome: 'not_pending', status: before?.status ?? 'unknown' };
    if (isCovered(before)) return { outcome: 'covered' };
    const pass = await deps.passes.run(before.board);
    const after = await jobCoverage(deps.db, data.jobId);
    if (!after || after.status !== 'pending')
      return { outcome: 'not_pending', status: after?.status ?? 'unknown' };
    if (isCovered(after)) return { outcome: 'covered', reserved: pass.reserved.length };
    const reason = pass.waiting.get(after.poolKey) ?? 'no_capacity';
    ctx.log.debug(
      { jobId: data.jobId, reason, ahead: after.ahead, available: after.available },
      'job waits',
    );
    await ctx.job.log(
      `${new Date().toISOString()} waiting: ${reason} (free slots ${pass.free}, ${after.ahead} jobs ahead, ${after.available} workers available)`,
    );
    await ctx.job.moveToDelayed(Date.now() + deps.waitMs, ctx.token);
    throw new DelayedError();
  };
}
