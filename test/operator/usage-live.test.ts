/**
 * /usage end to end with the simulator: a job running on a real (simulated) runner pod is listed
 * with the pod that took it, and the worker with its node, live phase and the Kubernetes events
 * the worker leader lists into the cluster snapshot.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { org, waitForJob } from '../helpers/scenario.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { ADMIN_TOKEN, startSystemOperatorWeb, type OperatorWeb } from './helpers.js';

let sys: TestSystem;
let web: OperatorWeb;

beforeAll(async () => {
  sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
  org(sys.sim, 'acme');
  web = await startSystemOperatorWeb(sys);
}, 60_000);

afterAll(async () => {
  await web?.close();
  await sys?.close();
});

const get = (path: string, accept = 'application/json') =>
  web.fetch(path, { token: ADMIN_TOKEN, headers: { accept } });

it(
  'a running job and its worker, with the pod, its node and its Kubernetes events',
  { timeout: 40_000 },
  async () => {
    const job = sys.sim.github.queueJob({
      repo: 'acme/app',
      labels: ['ubuntu-24.04-riscv'],
      durationMs: 60_000,
    });
    await waitForJob(sys, job.id, 'running', 20_000);
    // The leader lists the namespace's events every 10 s: wait for the listing after the pod's.
    const usage = await waitFor(
      async () => {
        const { json } = await get('/usage.json');
        const w = json.workers[0];
        return w?.events.some((e: any) => e.reason === 'Scheduled') && w.pod?.phase === 'Running'
          ? json
          : null;
      },
      { timeoutMs: 25_000, what: 'the worker with its pod events on /usage.json' },
    );
    const [worker] = usage.workers;
    expect(usage.workers).toHaveLength(1);
    expect(worker).toMatchObject({
      status: 'running',
      k8s_pool: 'scw-em-rv1',
      pod: { phase: 'Running', node: 'n1' },
    });
    expect(worker.events.find((e: any) => e.reason === 'Scheduled')).toMatchObject({
      type: 'Normal',
      message: expect.stringContaining(`${worker.pod_name} to n1`),
    });
    const listed = usage.jobs.find((j: any) => j.job_id === job.id);
    expect(listed).toMatchObject({
      status: 'running',
      repo_full_name: 'acme/app',
      runner_name: worker.pod_name,
    });
    expect(listed.html_url).toMatch(/^https:\/\//);

    const { text } = await get('/usage', 'text/html');
    const pool =
      /<section class="pool" data-entity="\d+" data-board="scw-em-rv1">[\s\S]*?<\/section>/.exec(
        text,
      )![0];
    expect(pool).toContain(`rel="noreferrer">acme/app#${job.id}</a>`);
    expect(pool).toMatch(
      new RegExp(
        `<table class="workers">[\\s\\S]*<code>${worker.pod_name}</code>[\\s\\S]*<code>n1</code>[\\s\\S]*Running[\\s\\S]*<code>Scheduled</code>`,
      ),
    );
  },
);
