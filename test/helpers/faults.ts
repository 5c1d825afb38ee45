/**
 * What the fault tests (test/e2e/faults-*.test.ts) share: tenants that queue jobs and record
 * which runner took each, full reconciliation passes until everything settles, and the
 * assertions that every job ran once on a runner of its own with nothing left over.
 */
import { expect } from 'vitest';
import { RECONCILE_TASKS } from '../../src/repeatables/job-schedulers.js';
import { org, user } from './scenario.js';
import type { SystemOptions, TestSystem } from './system.js';

const LABELS = ['ubuntu-24.04-riscv'];
const PREFIX = 'rise-riscv-runner-';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const nodes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, board: 'scw-em-rv1' }));
export const count = async (s: TestSystem, sql: string) =>
  (await s.query<{ n: number }>(`select count(*)::int as n from ${sql}`))[0]!.n;

/**
 * Organizations and a personal account; `queue(i)` queues job i on one of them, and every
 * runner that takes a job is recorded (the simulated GitHub knows which runner took which job).
 */
export function tenants(s: TestSystem) {
  const repos = [
    org(s.sim, 'org-a', 'ci').repo,
    org(s.sim, 'org-b', 'ci').repo,
    org(s.sim, 'org-c', 'ci').repo,
    user(s.sim, 'dev-d', 'tool').repo,
  ];
  const ids: number[] = [];
  const takenBy = new Map<number, string[]>();
  s.sim.github.state.subscribe('job:started', (job) =>
    takenBy.set(job.id, [...(takenBy.get(job.id) ?? []), job.runnerName ?? '?']),
  );
  const queue = (i: number) => {
    const repo = repos[i % repos.length]!;
    ids.push(
      s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 150 + ((i * 37) % 200) }).id,
    );
  };
  return { ids, takenBy, queue };
}

/** Our pods, Secrets and GitHub runners that no active worker (or, for a Secret, no pod) explains. */
async function leftovers(s: TestSystem) {
  const live = new Set(
    (
      await s.query<{ pod_name: string }>(
        `select pod_name from workers where status in ('pending', 'running')`,
      )
    ).map((w) => w.pod_name),
  );
  const pods = s.sim.kube.state.list('Pod').map((p) => p.metadata.name);
  const secrets = s.sim.kube.state.list('Secret').map((x) => x.metadata.name);
  const runners = s.sim.github
    .listRunners()
    .map((r) => r.name)
    .filter((n) => n.startsWith(PREFIX));
  return {
    podsWithoutWorker: pods.filter((n) => !live.has(n)),
    secretsWithoutPod: secrets.filter((n) => !pods.includes(n)),
    runnersWithoutWorker: runners.filter((n) => !live.has(n)),
    activeWorkers: live.size,
    pods: pods.length,
    secrets: secrets.length,
    runners: runners.length,
  };
}

/**
 * Full reconciliation passes (every task, in order) until every job is done and nothing is left
 * over, or the deadline passes; the assertions that follow say what is missing.
 */
export async function reconcileUntilSettled(s: TestSystem, jobs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const task of RECONCILE_TASKS) await s.pass(task);
    const left = await leftovers(s);
    if (
      s.sim.github.listJobs({ status: 'completed' }).length === jobs &&
      (await count(s, `jobs where status = 'completed'`)) === jobs &&
      left.activeWorkers + left.pods + left.secrets + left.runners === 0
    )
      return;
    await sleep(500);
  }
}

/** Every job ran once, on a runner of its own, and every worker ran exactly one job. */
export async function expectOneRunnerPerJob(s: TestSystem, t: ReturnType<typeof tenants>) {
  const jobs = t.ids.map((id) => s.sim.github.getJob(id)!);
  const unfinished = jobs.filter((j) => j.status !== 'completed' || j.conclusion !== 'success');
  expect(unfinished.map((j) => `${j.id} ${j.status} ${j.conclusion}`)).toEqual([]);
  expect(t.ids.filter((id) => t.takenBy.get(id)?.length !== 1)).toEqual([]);
  const runnerNames = jobs.map((j) => j.runnerName);
  expect(new Set(runnerNames).size).toBe(t.ids.length);

  const workers = await s.query<{ pod_name: string; status: string; failure_info: unknown }>(
    'select pod_name, status, failure_info from workers order by created_at',
  );
  expect(workers.filter((w) => w.status !== 'completed')).toEqual([]);
  expect(workers).toHaveLength(t.ids.length);
  expect(new Set(workers.map((w) => w.pod_name))).toEqual(new Set(runnerNames));

  const rows = await s.query<{ job_id: string; status: string; runner_name: string }>(
    'select job_id, status, runner_name from jobs',
  );
  expect(rows).toHaveLength(t.ids.length);
  expect(new Map(rows.map((r) => [Number(r.job_id), [r.status, r.runner_name]]))).toEqual(
    new Map(jobs.map((j) => [j.id, ['completed', j.runnerName]])),
  );
  // One pod per worker, bound once, never two on a node.
  expect(s.sim.kube.control.bindings()).toHaveLength(t.ids.length);
  expect(s.sim.kube.control.maxConcurrentPodsPerNode()).toBe(1);
}

export async function expectNothingLeft(s: TestSystem) {
  expect(await leftovers(s)).toEqual({
    podsWithoutWorker: [],
    secretsWithoutPod: [],
    runnersWithoutWorker: [],
    activeWorkers: 0,
    pods: 0,
    secrets: 0,
    runners: 0,
  });
}

// Reconciliation settles reserved-but-never-created workers after max(10 s, 2 ticks): short
// ticks keep that at 10 s. Finished pods go after half a second, runner scopes are listed every pass.
export const timings: SystemOptions['timings'] = {
  reconcileIntervalSeconds: 2,
  podDeleteGraceSeconds: 0.5,
  runnerScanIntervalSeconds: 0.5,
};
