import { afterEach, describe, expect, it } from 'vitest';
import { closeQueues, createQueues, enqueueCreateRunners } from '../../src/queues/producers.js';
import { org, waitForJob } from '../helpers/scenario.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

let sys: TestSystem | undefined;
afterEach(async () => {
  await sys?.close();
  sys = undefined;
});

const LABELS = ['ubuntu-24.04-riscv'];
const workers = (s: TestSystem) => s.query('select * from workers order by created_at');

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

describe('an idle runner whose job was cancelled after its pod was made', () => {
  /** A runner online and idle: its pod was held until the job it was made for was cancelled. */
  async function idleRunner() {
    sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
    const s = sys;
    const o = org(s.sim, 'acme', 'app', 8802);
    s.sim.kube.control.holdPods({ count: 1 });
    const job = s.sim.github.queueJob({ repo: o.repo, labels: LABELS });
    await waitFor(async () => (await workers(s))[0]?.pod_created_at, { what: 'pod created' });
    s.sim.github.cancelJob(job.id);
    await waitForJob(s, job.id, 'completed');
    return { s, o };
  }
  const online = (s: TestSystem) =>
    waitFor(() => s.sim.github.listRunners().some((r) => r.status === 'online'), {
      what: 'runner online',
    });

  it('is removed once idle for RUNNER_SURPLUS_IDLE_SECONDS (60), not before (not after the 10-minute idle timeout)', async () => {
    const { s } = await idleRunner();
    s.sim.kube.control.releaseHeldPods();
    await online(s);
    s.clock.advance(50_000);
    expect(await s.pass('runners')).not.toHaveProperty('runner_surplus');
    expect(s.sim.github.listRunners()).toHaveLength(1);
    s.clock.advance(11_000);
    expect(await s.pass('runners')).toMatchObject({ runner_surplus: 1 });
    expect(s.sim.github.listRunners()).toHaveLength(0);
    expect((await workers(s))[0]).toMatchObject({
      status: 'failed',
      failure_info: { reason: 'runner_surplus' },
    });
  });

  it('keeps the 10-minute idle timeout while its pool still has a job waiting', async () => {
    const { s, o } = await idleRunner();
    // Our record still has a job of the pool waiting (GitHub has not offered it to the runner).
    await s.query(
      `insert into jobs (job_id, status, entity_id, entity_name, entity_type, repo_full_name,
         installation_id, job_labels, k8s_pool, k8s_image)
       values (999001, 'pending', 8802, 'acme', 'Organization', $1, $2, '["ubuntu-24.04-riscv"]',
         'scw-em-rv1', 'runner:24.04')`,
      [o.repo, o.installation.id],
    );
    s.sim.kube.control.releaseHeldPods();
    await online(s);
    s.clock.advance(61_000);
    const early = await s.pass('runners');
    expect(early).not.toHaveProperty('runner_surplus');
    expect(early).not.toHaveProperty('runner_idle');
    expect(s.sim.github.listRunners()).toHaveLength(1);
    s.clock.advance(540_000);
    expect(await s.pass('runners')).toMatchObject({ runner_idle: 1 });
    expect((await workers(s))[0]).toMatchObject({
      status: 'failed',
      failure_info: { reason: 'runner_idle' },
    });
  });
});
