import { redisKeys } from '../queues/keys.js';
import type { V1Pod } from '@kubernetes/client-node';
import {
  activeWorkers,
  runnersThatTookJobs,
  scopesToScan,
  workersByName,
  workersWithDemand,
  type RunnerScopeRow,
} from '../db/reconcile.js';
import type { WorkerRecord } from '../db/workers.js';
import type { GitHubRunner } from '../github/client.js';
import { describeGitHubError } from '../github/errors.js';
import { isOurPod } from '../kube/constants.js';
import { workerScope } from '../provisioning/scope.js';
import { counter, nowMs, type Counts, type ReconcileDeps } from './deps.js';
import { replaceWorker, type HealthReason } from './remedy.js';

const CLEANUP_LOOKBACK_MS = 6 * 3600 * 1000;
const scopeKey = (s: Pick<RunnerScopeRow, 'entityType' | 'entityName' | 'repoFullName'>) =>
  s.entityType === 'Organization'
    ? `org:${s.entityName}`
    : `repo:${s.repoFullName ?? s.entityName}`;

/**
 * Runner health and GitHub clean-up. Kubernetes alone tells a pod stuck Pending. For the rest,
 * each scope (an organization's runner group, or a repository) is listed once: a Running pod whose
 * runner never appeared after RUNNER_REGISTRATION_TIMEOUT_SECONDS, or an online runner idle past
 * RUNNER_IDLE_TIMEOUT_SECONDS, is replaced; so is one idle past RUNNER_SURPLUS_IDLE_SECONDS whose
 * pool has no pending job left (the job it was made for was cancelled); runners of ours whose worker is finished or unknown are
 * deleted (404 counts as done). Scopes with suspects are listed every pass; the others at most once
 * per RUNNER_SCAN_INTERVAL_SECONDS, so GitHub calls follow the work there is.
 */
export async function reconcileRunners(
  deps: Pick<
    ReconcileDeps,
    'db' | 'github' | 'kube' | 'cluster' | 'queues' | 'redis' | 'config' | 'log' | 'now'
  >,
): Promise<Counts> {
  const { counts, add } = counter();
  const t = deps.config.timings;
  const now = nowMs(deps);
  const pods = new Map<string, V1Pod>(
    deps.cluster
      .pods()
      .filter((p) => isOurPod(p, deps.config.deployEnv))
      .map((p) => [p.metadata?.name ?? '', p]),
  );
  const active = await activeWorkers(deps.db);
  const remedy = async (
    w: WorkerRecord,
    reason: HealthReason,
    detail: Record<string, unknown> = {},
  ) => {
    try {
      const r = await replaceWorker(deps, w, reason, pods.get(w.podName), detail);
      add(r === 'replaced' ? reason : `${reason}_${r}`);
    } catch (err) {
      add('errors');
      deps.log.warn({ err, runnerName: w.podName, reason }, 'could not replace a worker');
    }
  };

  for (const w of active) {
    const pod = pods.get(w.podName);
    const created = pod?.metadata?.creationTimestamp
      ? new Date(pod.metadata.creationTimestamp).getTime()
      : undefined;
    if (
      pod?.status?.phase === 'Pending' &&
      created !== undefined &&
      now - created > t.podPendingTimeoutSeconds * 1000
    ) {
      await remedy(w, 'pod_stuck_pending', { pendingSeconds: Math.round((now - created) / 1000) });
    }
  }

  // Running long enough that the runner must have registered or may be surplus, and not known
  // to have taken a job.
  const suspectAfterMs =
    Math.min(t.runnerRegistrationTimeoutSeconds, t.runnerSurplusIdleSeconds) * 1000;
  const old = active.filter(
    (w) => w.status === 'running' && w.runningAt && now - w.runningAt.getTime() > suspectAfterMs,
  );
  const tookJobs = await runnersThatTookJobs(
    deps.db,
    old.map((w) => w.podName),
  );
  const withDemand = await workersWithDemand(
    deps.db,
    old.map((w) => w.podName),
  );
  const suspects = new Map<string, WorkerRecord[]>();
  for (const w of old.filter((w) => !tookJobs.has(w.podName))) {
    const key = scopeKey(w);
    suspects.set(key, [...(suspects.get(key) ?? []), w]);
  }

  const scansKey = redisKeys(deps.config.redisPrefix).runnerScans;
  const scopes = new Map<string, RunnerScopeRow>();
  for (const s of await scopesToScan(deps.db, new Date(now - CLEANUP_LOOKBACK_MS))) {
    const key = scopeKey(s);
    const last = Number((await deps.redis.hget(scansKey, key)) ?? 0);
    if (suspects.has(key) || now - last > t.runnerScanIntervalSeconds * 1000) scopes.set(key, s);
  }

  let listed = 0;
  for (const [key, s] of scopes) {
    if (listed >= deps.config.reconcileBatch) break;
    listed++;
    const { inst, scope } = workerScope({ ...s, repoFullName: s.repoFullName });
    let runners: GitHubRunner[];
    try {
      const groupId =
        scope.kind === 'org'
          ? await deps.github.ensureRunnerGroup(inst, scope.org, deps.config.names.runnerGroup)
          : undefined;
      runners = (await deps.github.listRunners(inst, scope, groupId)).filter((r) =>
        r.name.startsWith(deps.config.names.runnerPrefix),
      );
    } catch (err) {
      add('errors');
      deps.log.warn({ scope: key, error: describeGitHubError(err) }, 'could not list runners');
      continue;
    }
    add('scopes_listed');
    const byName = new Map(runners.map((r) => [r.name, r]));
    for (const w of suspects.get(key) ?? []) {
      const r = byName.get(w.podName);
      const runningFor = now - (w.runningAt?.getTime() ?? now);
      const seconds = Math.round(runningFor / 1000);
      if (!r || r.status !== 'online') {
        if (runningFor > t.runnerRegistrationTimeoutSeconds * 1000)
          await remedy(w, 'runner_never_registered', { runningSeconds: seconds });
      } else if (r.busy) continue;
      else if (withDemand.has(w.podName)) {
        if (runningFor > t.runnerIdleTimeoutSeconds * 1000)
          await remedy(w, 'runner_idle', { idleSeconds: seconds });
      } else if (runningFor > t.runnerSurplusIdleSeconds * 1000)
        await remedy(w, 'runner_surplus', { idleSeconds: seconds });
    }
    // Fresh rows, not the list read at the start: a runner is minted only after its worker row exists.
    const workers = await workersByName(
      deps.db,
      runners.map((r) => r.name),
    );
    for (const r of runners) {
      const w = workers.get(r.name);
      if (w && (w.status === 'pending' || w.status === 'running')) continue;
      try {
        add(`runner_${await deps.github.deleteRunner(inst, scope, r.id)}`);
      } catch (err) {
        add('errors');
        deps.log.warn(
          { runnerName: r.name, error: describeGitHubError(err) },
          'could not delete a runner',
        );
      }
    }
    await deps.redis.hset(scansKey, key, String(now));
  }
  return counts;
}
