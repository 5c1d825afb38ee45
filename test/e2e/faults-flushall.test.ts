import { afterEach, expect, it } from 'vitest';
import { RECONCILE_TASKS, schedulerId } from '../../src/repeatables/job-schedulers.js';
import {
  count,
  expectNothingLeft,
  expectOneRunnerPerJob,
  nodes,
  reconcileUntilSettled,
  tenants,
  timings,
} from '../helpers/faults.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

let sys: TestSystem | undefined;
let redis: RedisServer | undefined;
afterEach(async () => {
  await sys?.close();
  await redis?.stop();
  sys = redis = undefined;
});

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
