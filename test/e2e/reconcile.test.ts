import { afterEach, describe, expect, it } from 'vitest';
import { markReplacing, getWorker } from '../../src/db/workers.js';
import { createGitHub } from '../../src/github/client.js';
import { createLogger } from '../../src/logger.js';
import { replaceWorker } from '../../src/repeatables/remedy.js';
import { RECONCILE_TASKS, schedulerId } from '../../src/repeatables/job-schedulers.js';
import { jobRow, org, waitForJob } from '../helpers/scenario.js';
import { startSystem, type SystemOptions, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { SECRET } from '../helpers/web.js';

let sys: TestSystem | undefined;
afterEach(async () => {
  await sys?.close();
  sys = undefined;
});

const LABELS = ['ubuntu-24.04-riscv'];
const node = (name: string, board = 'scw-em-rv1') => ({ name, board });
async function start(opts: SystemOptions = {}) {
  sys = await startSystem({ sim: { nodes: [node('n1'), node('n2')] }, ...opts });
  return sys;
}
const pass = (s: TestSystem, task: Parameters<TestSystem['pass']>[0]) => s.pass(task);
const workers = (s: TestSystem) => s.query('select * from workers order by created_at');
// Just past the system's timings (test/helpers/system.ts): the clock is moved past them.
const STALE_MS = 61_000; // jobStatusStaleSeconds 60
const REGISTRATION_MS = 121_000; // runnerRegistrationTimeoutSeconds 120
const PENDING_MS = 601_000; // podPendingTimeoutSeconds 600
const GRACE_MS = 21_601_000; // podDeleteGraceSeconds 21600
const RETENTION_MS = 91 * 24 * 3600 * 1000; // retentionDays 90

describe('schedulers', () => {
  it('declares one job scheduler per task and removes ones no longer declared', async () => {
    const s = await start();
    const q = s.workers[0]!.queues.reconcile;
    expect((await q.getJobSchedulers()).map((j) => j.key).sort()).toEqual(
      RECONCILE_TASKS.map(schedulerId).sort(),
    );
    await q.upsertJobScheduler(
      'reconcile-obsolete',
      { every: 60_000 },
      { name: 'reconcile', data: { task: 'obsolete' } },
    );
    await s.startWorker();
    expect((await q.getJobSchedulers()).map((j) => j.key)).not.toContain('reconcile-obsolete');
  });
});

describe('job status', () => {
  it('completes a job whose completed webhook was dropped', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    s.sim.github.faults.dropWebhooks({ event: 'workflow_job', action: 'completed', count: 1 });
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 30 });
    await waitFor(() => s.sim.github.getJob(job.id)?.status === 'completed', {
      what: 'GitHub says completed',
    });
    // Only a job whose runner has ended is asked about: wait for its worker to complete.
    await waitForJob(s, job.id, 'running');
    await waitFor(async () => (await workers(s)).some((w) => w.status === 'completed'), {
      what: 'worker completed',
    });
    s.clock.advance(STALE_MS);
    expect((await jobRow(s, job.id)).status).toBe('running');
    expect(await pass(s, 'job-status')).toMatchObject({ checked: 1, completed: 1 });
    expect(await jobRow(s, job.id)).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('does not ask GitHub about a running job whose runner pod is running, only once it ended', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    s.sim.github.faults.dropWebhooks({ event: 'workflow_job', action: 'completed', count: 1 });
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 1_500 });
    await waitForJob(s, job.id, 'running');
    await waitFor(async () => (await workers(s)).some((w) => w.status === 'running'), {
      what: 'worker running',
    });
    s.clock.advance(STALE_MS);
    const JOB_ROUTE = 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}';
    expect(await pass(s, 'job-status')).toEqual({ checked: 0 });
    expect(s.sim.github.calls().byRoute[JOB_ROUTE]).toBeUndefined();
    // The runner exits with its job; the worker completes; now the lost webhook is made up for.
    await waitFor(async () => (await workers(s)).every((w) => w.status === 'completed'), {
      what: 'worker completed',
    });
    s.clock.advance(STALE_MS);
    expect(await pass(s, 'job-status')).toMatchObject({ checked: 1, completed: 1 });
    expect(s.sim.github.calls().byRoute[JOB_ROUTE]).toBe(1);
  });

  it('fails a job GitHub no longer knows, and one whose installation is gone; no calls when nothing is stale', async () => {
    const s = await start({ sim: { nodes: [] } });
    const a = org(s.sim, 'acme');
    const b = org(s.sim, 'gone');
    const ja = s.sim.github.queueJob({ repo: a.repo, labels: LABELS });
    const jb = s.sim.github.queueJob({ repo: b.repo, labels: LABELS });
    await waitForJob(s, ja.id, 'pending');
    await waitForJob(s, jb.id, 'pending');
    const JOB_ROUTE = 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}';
    expect(await pass(s, 'job-status')).toEqual({ checked: 0 });
    expect(s.sim.github.calls().byRoute[JOB_ROUTE]).toBeUndefined();
    s.clock.advance(STALE_MS);
    s.sim.github.state.jobs.delete(ja.id);
    s.sim.github.deleteInstallation(b.installation.id);
    expect(await pass(s, 'job-status')).toMatchObject({ checked: 2, failed: 2 });
    // The installation that is gone fails at its token, before asking for the job.
    expect(s.sim.github.calls().byRoute[JOB_ROUTE]).toBe(1);
    expect((await jobRow(s, ja.id)).failure_info).toMatchObject({ reason: 'job_not_found' });
    expect((await jobRow(s, jb.id)).failure_info).toMatchObject({
      reason: 'installation_unavailable',
    });
  });
});

describe('missed webhooks', () => {
  it('redelivers a delivery that failed while the app was down, once', async () => {
    const s = await start({ workers: 0 });
    const { repo } = org(s.sim, 'acme');
    s.sim.setWebhookTarget('http://127.0.0.1:1/webhook', SECRET);
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitFor(
      () =>
        s.sim.github
          .deliveries('org')
          .some((d) => d.event === 'workflow_job' && d.statusCode === 0),
      { what: 'failed delivery' },
    );
    s.sim.setWebhookTarget(`${s.web.url}/webhook`, SECRET);
    // The worker starts; reconciliation (its first scheduled tick, or this pass) asks for a redelivery.
    await s.startWorker();
    await s.pass('redeliveries');
    await waitForJob(s, job.id, 'completed');
    const attempts = s.sim.github
      .deliveries('org')
      .filter((d) => d.event === 'workflow_job' && d.action === 'queued');
    expect(attempts.map((d) => [d.redelivery, d.statusCode])).toEqual([
      [false, 0],
      [true, 200],
    ]);
    // Recorded now, so never asked for again.
    expect(await s.pass('redeliveries')).not.toHaveProperty('redelivered');
    expect(s.sim.github.deliveries('org').filter((d) => d.redelivery)).toHaveLength(1);
  });
});

describe('workers follow pods (the backstop for the watch)', () => {
  it('completes, fails and orphans workers from the pods, without the live follower', async () => {
    const s = await start({ holdLeadership: true });
    const { repo } = org(s.sim, 'acme');
    // The first pod crashes once its runner has taken the oldest job (registration takes more
    // than 10 ms on a loaded machine: a crash before it would leave a job with no runner).
    s.sim.kube.control.crashPods({ count: 1, afterMs: 200, logLine: 'boom: out of memory' });
    const crashed = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 5_000 });
    const fine = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 50 });
    await waitFor(() => s.sim.github.getJob(fine.id)?.status === 'completed', {
      what: 'one job ran',
    });
    await waitFor(
      () =>
        s.sim.kube.state
          .list('Pod')
          .filter((p) => p.status.phase === 'Failed' || p.status.phase === 'Succeeded').length ===
        2,
    );
    expect((await workers(s)).every((w) => w.status !== 'completed')).toBe(true);
    const counts = await pass(s, 'worker-pods');
    expect(counts).toMatchObject({ worker_completed: 1, worker_failed: 1 });
    const failed = (await workers(s)).find((w) => w.status === 'failed');
    expect(failed.failure_info).toMatchObject({ version: 2, reason: 'pod_failed' });
    expect(JSON.stringify(failed.failure_info.containers)).toContain('boom: out of memory');
    void crashed;
  });

  it('fails a worker whose pod vanished as orphaned', async () => {
    const s = await start({ holdLeadership: true });
    const { repo } = org(s.sim, 'acme');
    s.sim.actions.faults.neverRegister({ count: 1 });
    s.sim.github.queueJob({ repo, labels: LABELS });
    const [w] = await waitFor(async () =>
      (await workers(s))[0]?.pod_created_at ? workers(s) : undefined,
    );
    s.sim.kube.state.delete('Pod', 'default', w.pod_name);
    await waitFor(() => s.workers[0]!.cluster.pods().length === 0, {
      what: 'the watch saw the deletion',
    });
    expect(await pass(s, 'worker-pods')).toMatchObject({ orphaned: 1 });
    expect((await workers(s))[0]).toMatchObject({
      status: 'failed',
      failure_info: { reason: 'orphaned' },
    });
  });
});

describe('runner health', () => {
  it('replaces a runner that never registers, and the job still runs', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    s.sim.actions.faults.neverRegister({ count: 1 });
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitFor(async () => (await workers(s))[0]?.status === 'running', { what: 'pod running' });
    expect(await pass(s, 'runners')).not.toHaveProperty('runner_never_registered');
    s.clock.advance(REGISTRATION_MS);
    expect(await pass(s, 'runners')).toMatchObject({ runner_never_registered: 1 });
    await waitForJob(s, job.id, 'completed');
    const ws = await workers(s);
    expect(ws[0]).toMatchObject({
      status: 'failed',
      failure_info: { version: 2, reason: 'runner_never_registered' },
    });
    expect(s.sim.kube.state.get('Pod', 'default', ws[0].pod_name)).toBeUndefined();
    expect(ws).toHaveLength(2);
  });

  it('replaces a pod stuck Pending', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    s.sim.kube.control.holdPods({ count: 1 });
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitFor(async () => (await workers(s))[0]?.pod_created_at, { what: 'pod created' });
    expect(await pass(s, 'runners')).not.toHaveProperty('pod_stuck_pending');
    s.clock.advance(PENDING_MS);
    expect(await pass(s, 'runners')).toMatchObject({ pod_stuck_pending: 1 });
    await waitForJob(s, job.id, 'completed');
    expect((await workers(s))[0].failure_info).toMatchObject({
      reason: 'pod_stuck_pending',
      events: expect.any(Array),
    });
  });
  // An idle runner's two timeouts (surplus and idle): test/e2e/surplus.test.ts.
});

describe('a worker being replaced', () => {
  it("fails with the replacer's reason when its pod ends before the replacer finishes it", async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 600 });
    await waitFor(async () => (await workers(s))[0]?.status === 'running', { what: 'pod running' });
    const [w] = await workers(s);
    // The replacer's first step; its runner deletion makes the process exit, as the job's end does here.
    expect(
      await markReplacing(s.pg.db, w.pod_name, {
        version: 2,
        reason: 'runner_idle',
        idleSeconds: 9,
      }),
    ).toBe(true);
    await waitForJob(s, job.id, 'completed');
    await waitFor(async () => (await workers(s))[0]?.status !== 'running', { what: 'pod ended' });
    expect((await workers(s))[0]).toMatchObject({
      status: 'failed',
      failure_info: { version: 2, reason: 'runner_idle', idleSeconds: 9 },
    });
    expect(await markReplacing(s.pg.db, w.pod_name, { version: 2, reason: 'runner_idle' })).toBe(
      false,
    );
  });

  it('is left running, unmarked, when its runner turns out busy', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 600 });
    await waitFor(async () => (await workers(s))[0]?.status === 'running', { what: 'pod running' });
    await waitFor(() => s.sim.github.listRunners().some((r) => r.busy), { what: 'runner busy' });
    const [w] = await workers(s);
    const record = (await getWorker(s.pg.db, w.pod_name))!;
    const replaced = await replaceWorker(
      {
        db: s.pg.db,
        github: s.github,
        kube: s.kube,
        queues: s.workers[0]!.queues,
        log: createLogger({ level: 'silent' }),
      },
      record,
      'runner_idle',
      undefined,
    );
    expect(replaced).toBe('busy');
    expect((await workers(s))[0]).toMatchObject({ status: 'running', failure_info: null });
    await waitForJob(s, job.id, 'completed');
    await waitFor(async () => (await workers(s))[0]?.status === 'completed', {
      what: 'worker completed',
    });
  });
});

describe('GitHub runner clean-up', () => {
  it('deletes runners of ours with no live worker, leaves others and live ones', async () => {
    const s = await start({ timings: { runnerScanIntervalSeconds: 0.1 } });
    const { repo, installation } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitForJob(s, job.id, 'completed');
    const gh = createGitHub({
      baseUrl: s.sim.githubUrl,
      apps: {
        org: { appId: s.sim.github.apps.org.id, privateKey: s.sim.github.apps.org.privateKeyPem },
      },
    });
    const inst = { installationId: installation.id, entityType: 'Organization' as const };
    const groupId = await gh.ensureRunnerGroup(inst, 'acme', 'RISE RISC-V Runners');
    await gh.generateJitConfig(
      inst,
      { kind: 'org', org: 'acme' },
      { name: 'rise-riscv-runner-leftover', labels: LABELS, groupId },
    );
    await gh.generateJitConfig(
      inst,
      { kind: 'org', org: 'acme' },
      { name: 'someone-elses-runner', labels: LABELS, groupId },
    );
    expect(await pass(s, 'runners')).toMatchObject({ runner_deleted: 1 });
    expect(s.sim.github.listRunners().map((r) => r.name)).toEqual(['someone-elses-runner']);
  });
});

describe('pod clean-up', () => {
  it('keeps finished pods for the grace period, then deletes them with their Secrets', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitForJob(s, job.id, 'completed');
    await waitFor(async () => (await workers(s))[0]?.status === 'completed');
    expect(await pass(s, 'pod-cleanup')).toMatchObject({ finished_pods_kept: 1 });
    expect(s.sim.kube.state.list('Pod')).toHaveLength(1);
  });

  it('deletes finished pods after POD_DELETE_GRACE_SECONDS; the worker row does not change', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitForJob(s, job.id, 'completed');
    await waitFor(async () => (await workers(s))[0]?.status === 'completed');
    s.clock.advance(GRACE_MS);
    expect(await pass(s, 'pod-cleanup')).toMatchObject({ finished_pods_deleted: 1 });
    expect(s.sim.kube.state.list('Pod')).toHaveLength(0);
    expect(s.sim.kube.state.list('Secret')).toHaveLength(0);
    expect((await workers(s))[0].status).toBe('completed');
  });

  it('records how a worker ended before deleting its finished pod, when no follower applied it', async () => {
    // The live follower is elsewhere (a killed leader whose lease has not run out): nothing has
    // moved the worker row when the grace period of its finished pod is over.
    const s = await start({ holdLeadership: true, timings: { podDeleteGraceSeconds: 0 } });
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitForJob(s, job.id, 'completed');
    await waitFor(() => s.workers[0]!.cluster.pods().some((p) => p.status?.phase === 'Succeeded'), {
      what: 'the watch saw the pod succeed',
    });
    expect((await workers(s))[0].status).not.toBe('completed');
    expect(await pass(s, 'pod-cleanup')).toMatchObject({
      worker_completed: 1,
      finished_pods_deleted: 1,
    });
    expect(s.sim.kube.state.list('Pod')).toHaveLength(0);
    expect(await pass(s, 'worker-pods')).not.toHaveProperty('orphaned');
    expect((await workers(s))[0]).toMatchObject({ status: 'completed', failure_info: null });
  });
});

describe('queue sweep', () => {
  it('enqueues pending jobs that have no live provisioning job', async () => {
    const s = await start({ sim: { nodes: [] } });
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitForJob(s, job.id, 'pending');
    const q = s.workers[0]!.queues.provision;
    await waitFor(async () => (await q.getJob(`job-${job.id}`))?.isDelayed());
    await q.obliterate({ force: true });
    expect(await pass(s, 'queue-sweep')).toMatchObject({ pending: 1, requeued: 1 });
    s.sim.kube.addNode(node('late'));
    await waitForJob(s, job.id, 'completed');
  });
});

describe('retention', () => {
  it('deletes finished rows older than RETENTION_DAYS, never active ones', async () => {
    const s = await start({ sim: { nodes: [] } });
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS });
    await waitForJob(s, job.id, 'pending');
    await s.query(`insert into jobs (job_id, status, entity_id, entity_name, entity_type, repo_full_name, installation_id, k8s_pool, k8s_image, updated_at)
      values (1, 'completed', 1, 'x', 'Organization', 'x/y', 1, 'b', 'i', now() - interval '100 days')`);
    await s.query(
      `update jobs set updated_at = now() - interval '100 days', created_at = now() - interval '100 days' where job_id = $1`,
      [job.id],
    );
    await pass(s, 'retention');
    expect(await jobRow(s, 1)).toBeUndefined();
    expect((await jobRow(s, job.id)).status).toBe('pending');
  });

  it('deletes a finished job once the clock has passed RETENTION_DAYS since it ended', async () => {
    const s = await start();
    const { repo } = org(s.sim, 'acme');
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitForJob(s, job.id, 'completed');
    await waitFor(async () => (await workers(s))[0]?.status === 'completed');
    expect(await pass(s, 'retention')).toMatchObject({ jobs: 0, workers: 0 });
    s.clock.advance(RETENTION_MS);
    expect(await pass(s, 'retention')).toMatchObject({ jobs: 1, workers: 1 });
    expect(await jobRow(s, job.id)).toBeUndefined();
  });
});
