import { afterAll, expect, it } from 'vitest';
import { closeQueues, createQueues, enqueueCreateRunners } from '../../src/queues/producers.js';
import { org } from '../helpers/scenario.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

let sys: TestSystem | undefined;
afterAll(async () => sys?.close());

it('releases a reserved worker whose job vanished (cancelled) without minting a JIT config', async () => {
  sys = await startSystem({ workers: 0 });
  const s = sys;
  const o = org(s.sim, 'acme', 'app', 8801);
  // A worker reserved for a job that was cancelled before its runner was created.
  await s.query(
    `insert into jobs (job_id, status, entity_id, entity_name, entity_type, repo_full_name,
       installation_id, job_labels, k8s_pool, k8s_image, conclusion)
     values (1, 'completed', 8801, 'acme', 'Organization', $1, $2, '["ubuntu-24.04-riscv"]',
       'scw-em-rv1', 'runner:24.04', 'cancelled')`,
    [o.repo, o.installation.id],
  );
  await s.query(
    `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id,
       job_labels, k8s_pool, k8s_image, reserved_for_job_id)
     values ('rise-riscv-runner-surplus', 8801, 'acme', 'Organization', $1,
       '["ubuntu-24.04-riscv"]', 'scw-em-rv1', 'runner:24.04', 1)`,
    [o.installation.id],
  );
  const queues = createQueues(s.redis.redis, s.redis.prefix);
  await enqueueCreateRunners(queues, ['rise-riscv-runner-surplus']);
  await closeQueues(queues);
  s.sim.github.resetCalls();
  await s.startWorker();
  await waitFor(
    async () =>
      (await s.query(`select 1 from workers where pod_name = 'rise-riscv-runner-surplus'`))
        .length === 0 || undefined,
    { timeoutMs: 15_000, what: 'the surplus worker released' },
  );
  const routes = Object.keys(s.sim.github.calls().byRoute);
  expect(routes.filter((r) => r.includes('jitconfig') || r.includes('runner-groups'))).toEqual([]);
  expect(await s.query('select pod_name from workers')).toEqual([]);
});
