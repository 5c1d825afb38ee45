import { advanceJob, failJob, takeStaleJobs, type StaleJob } from '../db/reconcile.js';
import { PermanentError } from '../errors.js';
import { describeGitHubError } from '../github/errors.js';
import { counter, nowMs, type Counts, type ReconcileDeps } from './deps.js';

/** Runs `f` over `items` with at most `n` in flight. */
export async function eachLimited<T>(
  items: readonly T[],
  n: number,
  f: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

/**
 * Webhooks get lost: active jobs that have been quiet for JOB_STATUS_STALE_SECONDS are checked
 * against GitHub, at most RECONCILE_BATCH per pass, least recently checked first. A conclusion
 * means completed; a job or installation GitHub no longer knows fails the job. No active job
 * gone quiet, no GitHub call.
 */
export async function reconcileJobStatus(
  deps: Pick<ReconcileDeps, 'db' | 'github' | 'config' | 'log' | 'now'>,
): Promise<Counts> {
  const { counts, add } = counter();
  const stale = await takeStaleJobs(
    deps.db,
    deps.config.timings.jobStatusStaleSeconds,
    deps.config.reconcileBatch,
    new Date(nowMs(deps)),
  );
  add('checked', stale.length);
  await eachLimited(stale, 8, async (job: StaleJob) => {
    try {
      const gh = await deps.github.getJob(
        { installationId: job.installationId, entityType: job.entityType },
        job.repoFullName,
        job.jobId,
      );
      if (!gh) {
        if (
          await failJob(deps.db, job.jobId, {
            version: 2,
            reason: 'job_not_found',
            detail: 'GitHub no longer knows this job',
          })
        )
          add('failed');
        return;
      }
      const done = gh.conclusion !== null || gh.status === 'completed';
      if (!done && gh.status !== 'in_progress') return add('unchanged');
      const previous = await advanceJob(deps.db, job.jobId, {
        status: done ? 'completed' : 'running',
        runnerName: gh.runnerName,
        conclusion: gh.conclusion,
        startedAt: gh.startedAt,
        completedAt: gh.completedAt,
      });
      add(previous ? (done ? 'completed' : 'running') : 'unchanged');
    } catch (err) {
      if (err instanceof PermanentError) {
        const failed = await failJob(deps.db, job.jobId, {
          version: 2,
          reason: err.reason,
          message: err.message,
          ...err.details,
        });
        if (failed) add('failed');
        return;
      }
      add('errors');
      deps.log.warn(
        { jobId: job.jobId, error: describeGitHubError(err) },
        'job status check failed',
      );
    }
  });
  return counts;
}
