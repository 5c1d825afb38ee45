import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, it } from 'vitest';
import { rng } from '../../src/demo/scenario.js';
import { RECONCILE_TASKS } from '../../src/repeatables/job-schedulers.js';
import {
  count,
  expectNothingLeft,
  expectOneRunnerPerJob,
  nodes,
  reconcileUntilSettled,
  sleep,
  tenants,
  timings,
} from '../helpers/faults.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

let sys: TestSystem | undefined;
afterEach(async () => {
  await sys?.close();
  sys = undefined;
});

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
    // The victim's replacement starts now, so its start-up (about a second) overlaps the round;
    // it is never the victim of the round it starts in.
    const replacement = s.spawnWorker(env);
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
    live.push(replacement);
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
