import { ApiException } from '@kubernetes/client-node';
import { DelayedError } from 'bullmq';
import { runnerGroupPolicy } from '../config/repo-access.js';
import { entitySettings, resolvePool, type RunnersConfig } from '../config/runners.js';
import type { Db } from '../db/client.js';
import { releaseIfUnneeded } from '../db/reservations.js';
import {
  failPendingJobs,
  finishWorker,
  getWorker,
  getWorkerForCreation,
  recordRunnerCreated,
  type WorkerRecord,
} from '../db/workers.js';
import { PermanentError } from '../errors.js';
import type { GitHub } from '../github/client.js';
import { RateLimitedError, describeGitHubError, isStatus } from '../github/errors.js';
import { describeKubeError, type Kube } from '../kube/client.js';
import { jitSecret, runnerPod } from '../kube/manifests.js';
import { kickBoard, type Queues } from '../queues/producers.js';
import type { LastError } from '../queues/cache-values.js';
import type { Payload } from '../queues/registry.js';
import { workerScope } from '../provisioning/scope.js';
import { teardownWorker } from '../provisioning/teardown.js';
import type { JobContext } from './dispatch.js';
import { countError, observeQueueLatency } from '../metrics/observe.js';
import type { Metrics } from '../metrics/registry.js';

export interface CreateRunnerDeps {
  db: Db;
  github: Pick<GitHub, 'ensureRunnerGroup' | 'generateJitConfig' | 'findRunner' | 'deleteRunner'>;
  kube: Pick<
    Kube,
    | 'namespace'
    | 'getPod'
    | 'createPod'
    | 'putSecret'
    | 'setSecretOwner'
    | 'deletePod'
    | 'deleteSecret'
  >;
  queues: Pick<Queues, 'provision'>;
  runners: RunnersConfig;
  settings: { deployEnv: string; runnerGroup: string; activeDeadlineSeconds: number };
  /** Keeps the latest failure per board and entity for operators ("why is this job waiting?"). */
  noteError?: (w: Pick<WorkerRecord, 'board' | 'entityId'>, error: LastError) => Promise<void>;
  /** rise_job_queued_to_pod_created_seconds and rise_errors_total{component="runner_creation"}. */
  metrics?: Pick<Metrics, 'latency' | 'errors'>;
}

function lastError(podName: string, err: unknown): LastError {
  const at = new Date().toISOString();
  if (err instanceof ApiException) {
    const d = describeKubeError(err);
    return { at, api: 'kubernetes', podName, status: err.code, message: String(d.message) };
  }
  if (err instanceof PermanentError) return { at, api: 'github', podName, message: err.message };
  const d = describeGitHubError(err);
  const status = typeof d.status === 'number' ? d.status : undefined;
  return {
    at,
    api: status === undefined ? 'other' : 'github',
    podName,
    status,
    message: String(d.message),
  };
}

/** A low-cardinality reason for rise_errors_total: the API and its status class. */
function errorReason(noted: LastError, err: unknown): string {
  if (err instanceof RateLimitedError) return 'github_rate_limited';
  if (err instanceof PermanentError) return `permanent_${err.reason}`;
  if (noted.status === undefined) return `${noted.api}_network`;
  return `${noted.api}_${noted.status >= 500 ? '5xx' : String(noted.status)}`;
}

/** GitHub answers that no retry will change: the entity or installation cannot get runners. */
function permanent(err: unknown): PermanentError | undefined {
  if (err instanceof PermanentError) return err;
  if (isStatus(err, 403, 404, 422)) {
    return new PermanentError('GitHub refused to register a runner', 'github_refused', {
      ...describeGitHubError(err),
      scope: 'entity',
    });
  }
  return undefined;
}

async function mintJit(deps: CreateRunnerDeps, w: WorkerRecord) {
  const { inst, scope } = workerScope(w);
  const groupId =
    scope.kind === 'org'
      ? await deps.github.ensureRunnerGroup(
          inst,
          scope.org,
          deps.settings.runnerGroup,
          // The group follows the entity's repositories and public_repositories settings.
          runnerGroupPolicy(entitySettings(deps.runners, w.entityId)),
        )
      : undefined;
  const runner = { name: w.podName, labels: w.labels, groupId };
  try {
    return await deps.github.generateJitConfig(inst, scope, runner);
  } catch (err) {
    if (!isStatus(err, 409)) throw err;
    // An earlier attempt registered this name but never made the pod (it died in between):
    // the JIT config cannot be fetched again, so remove that runner and mint anew.
    const old = await deps.github.findRunner(inst, scope, w.podName);
    if (old && (await deps.github.deleteRunner(inst, scope, old.id)) === 'busy') {
      throw new Error(`runner ${w.podName} already exists and is busy`);
    }
    return deps.github.generateJitConfig(inst, scope, runner);
  }
}

/**
 * `create-runner` (one per reserved worker): mint the JIT config, hand it to a Secret, create the
 * pod, and make the pod own the Secret. Every step finds what an earlier try made (deterministic
 * names; 409s resolved). When it cannot succeed, the worker is failed with `pod_allocation_failure`,
 * what was made is removed, and the board is kicked so a fresh worker is reserved.
 */
export function createRunnerProcessor(deps: CreateRunnerDeps) {
  return async (data: Payload<'create-runner'>, ctx: JobContext) => {
    const w = await getWorkerForCreation(deps.db, data.podName);
    if (!w || w.status !== 'pending')
      return { outcome: 'not_pending', status: w?.status ?? 'unknown' };
    // Only a retry (or a job taken over from a dead worker) can find the pod already made.
    if (
      (ctx.job.attemptsStarted > 1 || ctx.job.attemptsMade > 0) &&
      (await deps.kube.getPod(w.podName))
    ) {
      await recordRunnerCreated(deps.db, w.podName, null, true);
      return { outcome: 'exists' };
    }
    // Demand may have vanished since the reservation (a cancelled job): mint nothing for it.
    if (await releaseIfUnneeded(deps.db, w.podName)) {
      ctx.log.info({ runnerName: w.podName, board: w.board }, 'no uncovered demand: released');
      return { outcome: 'released' };
    }
    // The image (and pod options) come from the runners config as it is now, never from the
    // stored row: a row written by a tampered delivery or an old config cannot pick the image.
    const pool = resolvePool(deps.runners, {
      labels: w.labels,
      entityId: w.entityId,
      repoFullName: w.repoFullName ?? w.jobRepo ?? '',
    });
    if (!pool) return noPool(deps, w, ctx);
    try {
      const jit = await mintJit(deps, w);
      const spec = {
        name: w.podName,
        namespace: deps.kube.namespace,
        board: w.board,
        image: pool.image,
        entityId: w.entityId,
        entityName: w.entityName,
        labels: w.labels,
        deployEnv: deps.settings.deployEnv,
        activeDeadlineSeconds: deps.settings.activeDeadlineSeconds,
        pod: pool.pod,
      };
      await deps.kube.putSecret(jitSecret(spec, jit.jitConfig));
      const pod = await deps.kube.createPod(runnerPod(spec));
      await deps.kube.setSecretOwner(w.podName, { name: w.podName, uid: pod.metadata?.uid ?? '' });
      const latency = await recordRunnerCreated(deps.db, w.podName, jit.runnerId, true);
      ctx.log.info(
        { runnerName: w.podName, entityId: w.entityId, board: w.board, runnerId: jit.runnerId },
        'runner pod created',
      );
      if (deps.metrics && latency) observeQueueLatency(deps.metrics, 'pod_created', latency);
      return { outcome: 'created', runnerId: jit.runnerId };
    } catch (err) {
      const noted = lastError(w.podName, err);
      await deps.noteError?.(w, noted).catch(() => undefined);
      if (deps.metrics) countError(deps.metrics, 'runner_creation', errorReason(noted, err));
      if (err instanceof RateLimitedError) {
        // Waiting for GitHub's reset does not use up an attempt.
        await ctx.job.moveToDelayed(err.resetAt, ctx.token);
        throw new DelayedError();
      }
      const fatal = permanent(err);
      if (fatal || ctx.job.attemptsMade + 1 >= (ctx.job.opts.attempts ?? 1)) {
        await abandon(deps, w, err, fatal, ctx);
        if (fatal) throw fatal;
      }
      throw err;
    }
  };
}

/**
 * The pool this worker was reserved for is gone from the runners config: nothing to create it
 * with. The worker fails before any JIT config is minted; its job waits for a pool to match.
 */
async function noPool(deps: CreateRunnerDeps, w: WorkerRecord, ctx: JobContext) {
  const message = `no pool in the runners config matches labels ${JSON.stringify(w.labels)} of entity ${w.entityId} any more`;
  await finishWorker(deps.db, w.podName, {
    status: 'failed',
    failureInfo: {
      version: 2,
      reason: 'pod_allocation_failure',
      permanent: true,
      error: { message },
    },
  });
  ctx.log.warn({ runnerName: w.podName, entityId: w.entityId, board: w.board }, message);
  return { outcome: 'no_pool' };
}

async function abandon(
  deps: CreateRunnerDeps,
  w: WorkerRecord,
  err: unknown,
  fatal: PermanentError | undefined,
  ctx: JobContext,
) {
  const fresh = (await getWorker(deps.db, w.podName)) ?? w;
  const removed = await teardownWorker({ ...deps, log: ctx.log }, fresh);
  const error =
    err instanceof PermanentError
      ? { message: err.message, ...err.details }
      : err instanceof ApiException
        ? { api: 'kubernetes', ...describeKubeError(err) }
        : { api: 'github', ...describeGitHubError(err) };
  await finishWorker(deps.db, w.podName, {
    status: 'failed',
    failureInfo: {
      version: 2,
      reason: 'pod_allocation_failure',
      permanent: Boolean(fatal),
      error,
      attempts: ctx.job.attemptsMade + 1,
      removed,
    },
  });
  if (fatal) {
    // The jobs this worker was for can never be served: fail them instead of retrying forever.
    const scope =
      fatal.details.scope === 'installation'
        ? { installationId: w.installationId }
        : { entityId: w.entityId };
    const failed = await failPendingJobs(deps.db, scope, {
      version: 2,
      reason: fatal.reason,
      message: fatal.message,
      ...fatal.details,
    });
    ctx.log.error(
      { runnerName: w.podName, failedJobs: failed, reason: fatal.reason },
      'permanent error: pending jobs failed',
    );
  }
  await kickBoard(deps.queues, w.board, 'worker allocation failed');
}
