import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { rng } from '../../src/demo/scenario.js';
import { RECONCILE_TASKS, schedulerId } from '../../src/repeatables/job-schedulers.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { org, user } from '../helpers/scenario.js';
import { startSystem, type SystemOptions, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

let sys: TestSystem | undefined;
let redis: RedisServer | undefined;
afterEach(async () => {
  await sys?.close();
  await redis?.stop();
  sys = redis = undefined;
});

const LABELS = ['ubuntu-24.04-riscv'];
const PREFIX = 'rise-riscv-runner-';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nodes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, board: 'scw-em-rv1' }));
const count = async (s: TestSystem, sql: string) =>
  (await s.query<{ n: number }>(`select count(*)::int as n from ${sql}`))[0]!.n;

/**
 * Organizations and a personal account; `queue(i)` queues job i on one of them, and every
 * runner that takes a job is recorded (the simulated GitHub knows which runner took which job).
 */
function tenants(s: TestSystem) {
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
async function reconcileUntilSettled(s: TestSystem, jobs: number, timeoutMs: number) {
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
async function expectOneRunnerPerJob(s: TestSystem, t: ReturnType<typeof tenants>) {
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

async function expectNothingLeft(s: TestSystem) {
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
const timings: SystemOptions['timings'] = {
  reconcileIntervalSeconds: 2,
  podDeleteGraceSeconds: 0.5,
  runnerScanIntervalSeconds: 0.5,
};

it('FLUSHALL in the middle of a burst of 100 jobs: every job still gets exactly one runner', async () => {
  const JOBS = 100;
  redis = await startRedisServer();
  sys = await startSystem({ redisUrl: redis.url, timings, sim: { nodes: nodes(30) } });
  const s = sys;
  const t = tenants(s);
  const accepted = (n: number) =>
    waitFor(async () => (await count(s, 'jobs')) >= n, {
      timeoutMs: 30_000,
      what: `${n} jobs recorded`,
    });

  // Wiped while the first 40 are being provisioned (30 nodes: some wait for a slot)…
  for (let i = 0; i < 40; i++) t.queue(i);
  await accepted(40);
  await redis.flushAll();
  // …and again once every job is recorded: no new job will arrive to start a matching pass.
  for (let i = 40; i < JOBS; i++) t.queue(i);
  await accepted(JOBS);
  await redis.flushAll();

  await reconcileUntilSettled(s, JOBS, 90_000);
  await expectOneRunnerPerJob(s, t);
  await expectNothingLeft(s);
  // The schedulers are declared again without a restart.
  const q = s.workers[0]!.queues.reconcile;
  await waitFor(async () => (await q.getJobSchedulers()).length === RECONCILE_TASKS.length, {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: 'schedulers declared again',
  });
  expect((await q.getJobSchedulers()).map((j) => j.key).sort()).toEqual(
    RECONCILE_TASKS.map(schedulerId).sort(),
  );
}, 180_000);

it('kill -9 of worker processes at random points while provisioning, 10 times: one runner per job, nothing left over', async () => {
  const KILLS = 10;
  const PER_ROUND = 6;
  const seed = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`kill -9 schedule: FAULTS_SEED=${seed}`);
  const random = rng(seed);
  sys = await startSystem({ workers: 0, timings, sim: { nodes: nodes(KILLS * PER_ROUND + 4) } });
  const s = sys;
  // Slow enough that a kill lands between minting a runner, writing its Secret and creating its pod.
  for (const scope of ['/orgs/{org}', '/repos/{owner}/{repo}'])
    s.sim.github.faults.latency(`POST ${scope}/actions/runners/generate-jitconfig`, 300);
  s.sim.kube.control.setLatency('POST /api/v1/namespaces/{namespace}/pods', 150);
  s.sim.kube.control.setLatency('POST /api/v1/namespaces/{namespace}/secrets', 100);
  const t = tenants(s);
  // A job whose process died is taken over after JOB_LOCK_MS. Scheduled passes stay an hour
  // away: a pass killed half-way holds its task's lock for 4 intervals.
  const env = {
    JOB_LOCK_MS: '2000',
    RECONCILE_INTERVAL_SECONDS: '3600',
    PROVISION_CONCURRENCY: '2',
    RUNNER_CONCURRENCY: '2',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
  };
  const live: ChildProcess[] = [s.spawnWorker(env), s.spawnWorker(env)];
  // Declaring the schedulers runs every task once at once; kills wait until those passes are done
  // (re-declaring them later does not run them again).
  const reconcileQueue = s.web.queues.reconcile;
  await waitFor(
    async () => {
      const schedulers = await reconcileQueue.getJobSchedulers();
      const n = await reconcileQueue.getJobCounts('wait', 'active', 'prioritized');
      const busy = Object.values(n).reduce((a, b) => a + b, 0);
      return schedulers.length === RECONCILE_TASKS.length && busy === 0;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the first scheduled passes done' },
  );
  const runnersQueue = s.web.queues.runners;
  const kills: string[] = [];
  for (let round = 0; round < KILLS; round++) {
    // Both processes are up and taking jobs, a batch arrives, and one dies at a random moment.
    await waitFor(async () => (await runnersQueue.getWorkersCount()) === live.length, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'worker processes connected',
    });
    for (let i = 0; i < PER_ROUND; i++) t.queue(round * PER_ROUND + i);
    const delay = Math.round(50 + random() * 1000);
    await sleep(delay);
    const [victim] = live.splice(Math.floor(random() * live.length), 1);
    if (victim!.exitCode === null && victim!.signalCode === null) {
      const exited = once(victim!, 'exit');
      victim!.kill('SIGKILL');
      await exited;
    }
    const created = await count(s, 'workers where pod_created_at is not null');
    kills.push(
      `#${round + 1} +${delay} ms: ${await count(s, 'workers')} reserved, ${created} pods`,
    );
    live.push(s.spawnWorker(env));
  }
  const deletes = Object.entries(s.sim.github.calls().byRoute)
    .filter(([route]) => route.startsWith('DELETE'))
    .reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `kill -9 at: ${kills.join('; ')}; runners deleted during the kills (minted again): ${deletes}`,
  );

  // The survivors carry on; reconciliation (this process) repairs what the dead left half-done.
  await s.startWorker();
  await reconcileUntilSettled(s, t.ids.length, 90_000);
  await expectOneRunnerPerJob(s, t);
  await expectNothingLeft(s);
}, 180_000);
