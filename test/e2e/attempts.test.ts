import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startSystemOperatorWeb, type OperatorWeb } from '../operator/helpers.js';
import { jobRow, org, waitForJob } from '../helpers/scenario.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

let sys: TestSystem | undefined;
let web: OperatorWeb | undefined;
afterEach(async () => {
  await web?.close();
  await sys?.close();
  sys = web = undefined;
});

const LABELS = ['ubuntu-24.04-riscv'];
const BOARD = 'scw-em-rv1';
const REGISTRATION_MS = 121_000; // runnerRegistrationTimeoutSeconds 120
const workers = (s: TestSystem) => s.query('select * from workers order by created_at');
const pods = (s: TestSystem) => s.sim.kube.state.list('Pod');

async function start() {
  sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: BOARD }] } });
  web = await startSystemOperatorWeb(sys);
  return { s: sys, w: web };
}

describe('MAX_RUNNER_ATTEMPTS (3)', () => {
  it('a broken pool (every pod crashes before its runner registers): 3 attempts, then the job fails with the 3 reasons, and no 4th pod', async () => {
    const { s, w } = await start();
    const { repo } = org(s.sim, 'acme');
    s.sim.actions.faults.neverRegister({ count: 100 });
    s.sim.kube.control.crashPods({ labelSelector: `riseproject.dev/board=${BOARD}`, afterMs: 10 });
    const job = s.sim.github.queueJob({ repo, labels: LABELS });
    const failed = await waitForJob(s, job.id, 'failed', 20_000);
    expect(failed.failure_info).toMatchObject({
      reason: 'runner_attempts_exhausted',
      maxAttempts: 3,
      attempts: [
        { reason: 'pod_failed', pod: expect.any(String), at: expect.any(String) },
        { reason: 'pod_failed', pod: expect.any(String), at: expect.any(String) },
        { reason: 'pod_failed', pod: expect.any(String), at: expect.any(String) },
      ],
    });
    const ws = await workers(s);
    expect(ws.map((x) => x.status)).toEqual(['failed', 'failed', 'failed']);
    expect(failed.failure_info.attempts.map((a: { pod: string }) => a.pod)).toEqual(
      ws.map((x) => x.pod_name),
    );
    // Provisioning is over for this job: another pass reserves nothing, and no 4th pod appears.
    await s.pass('queue-sweep');
    const q = s.workers[0]!.queues.provision;
    const kick = await q.add('match', { board: BOARD, reason: 'test' });
    await waitFor(async () => ['completed', 'unknown'].includes(await q.getJobState(kick.id!)), {
      what: 'a matching pass for the board',
    });
    expect(await workers(s)).toHaveLength(3);
    expect(pods(s).filter((p) => p.status.phase !== 'Failed')).toEqual([]);
    expect(new Set(pods(s).map((p) => p.metadata.name)).size).toBe(3);

    // /jobs/:id and its JSON show every attempt.
    const page = await w.fetch(`/jobs/${job.id}`, { token: ADMIN_TOKEN });
    expect(page.status).toBe(200);
    expect(page.text).toContain('runner_attempts_exhausted');
    expect(page.text.match(/<td class="s-warn">pod_failed<\/td>/g)).toHaveLength(3);
    const json = await w.fetch(`/jobs/${job.id}.json`, { token: ADMIN_TOKEN });
    expect(json.json.attempts.map((a: { reason: string }) => a.reason)).toEqual([
      'pod_failed',
      'pod_failed',
      'pod_failed',
    ]);
  });

  it('counts runners that never register: the job waits with its attempts on /usage.json, then fails after the 3rd', async () => {
    const { s, w } = await start();
    const { repo } = org(s.sim, 'acme');
    s.sim.actions.faults.neverRegister({ count: 100 });
    const job = s.sim.github.queueJob({ repo, labels: LABELS });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await waitFor(
        async () => (await workers(s)).filter((x) => x.status === 'running').length === 1,
        { what: `pod ${attempt} running` },
      );
      s.clock.advance(REGISTRATION_MS);
      expect(await s.pass('runners')).toMatchObject({ runner_never_registered: 1 });
      if (attempt === 1) {
        const usage = await w.fetch('/usage.json', { token: ADMIN_TOKEN });
        expect(usage.status).toBe(200);
        const entry = usage.json.jobs.find((j: { job_id: number }) => j.job_id === job.id);
        expect(entry.attempts).toEqual([
          { reason: 'runner_never_registered', pod: expect.any(String), at: expect.any(String) },
        ]);
      }
    }
    const failed = await waitForJob(s, job.id, 'failed');
    expect(failed.failure_info.attempts.map((a: { reason: string }) => a.reason)).toEqual([
      'runner_never_registered',
      'runner_never_registered',
      'runner_never_registered',
    ]);
    expect(await workers(s)).toHaveLength(3);
    expect((await jobRow(s, job.id)).status).toBe('failed');
  });

  it('a runner that fails once and then serves the job leaves it completed, with the attempt on record', async () => {
    const { s, w } = await start();
    const { repo } = org(s.sim, 'acme');
    s.sim.actions.faults.neverRegister({ count: 1 });
    const job = s.sim.github.queueJob({ repo, labels: LABELS, durationMs: 20 });
    await waitFor(async () => (await workers(s))[0]?.status === 'running', { what: 'pod running' });
    s.clock.advance(REGISTRATION_MS);
    expect(await s.pass('runners')).toMatchObject({ runner_never_registered: 1 });
    await waitForJob(s, job.id, 'completed');
    const json = await w.fetch(`/jobs/${job.id}.json`, { token: ADMIN_TOKEN });
    expect(json.json.attempts).toHaveLength(1);
  });
});
