import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionsRuntime } from '../../src/sim/actions/index.js';
import { JIT_CONFIG_ENV, createActionsRuntime } from '../../src/sim/actions/index.js';
import type { GitHubSim, Listening, ScopeRef } from '../../src/sim/github/index.js';
import { createGitHubSim } from '../../src/sim/github/index.js';
import { FAST_STARTUP } from '../../src/sim/startup.js';
import type {
  ContainerContext,
  ContainerHandle,
  ContainerIO,
  ContainerSecurity,
} from '../../src/sim/types.js';
import type { DockerMode } from '../../src/config/runners.js';
import { modeGrants } from '../../src/kube/pod-security.js';
import { simApps } from '../helpers/sim-keys.js';

const SECRET = 'actions-secret';

interface Hook {
  signature: string;
  body: string;
  payload: { action: string; workflow_job: Record<string, unknown> };
}

const hooks: Hook[] = [];
const hookServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.headers['x-github-event'] === 'workflow_job') {
      hooks.push({
        signature: String(req.headers['x-hub-signature-256']),
        body,
        payload: JSON.parse(body),
      });
    }
    res.writeHead(202).end();
  });
});

let sim: GitHubSim;
let server: Listening;
let actions: ActionsRuntime;
let acme: ScopeRef;
let pods = 0;

/** The kubelet's side of the seam: what a container sees and how it reports back. */
function runContainer(env: Record<string, string>, seen: Partial<ContainerContext> = {}) {
  pods += 1;
  const logs: string[] = [];
  let exit: { code: number; reason?: string; message?: string } | undefined;
  const io: ContainerIO = {
    log: (line) => logs.push(line),
    exit: (code, reason, message) => {
      if (exit) throw new Error('exit called twice');
      exit = { code, reason, message };
    },
  };
  const ctx: ContainerContext = {
    namespace: 'runners',
    podName: `runner-${pods}`,
    podUid: `uid-${pods}`,
    nodeName: 'node-1',
    containerName: 'runner',
    image: 'ghcr.io/riseproject-dev/runner:latest',
    labels: {},
    env,
    ...seen,
  };
  const handle = actions.start(ctx, io) as ContainerHandle;
  return { logs, handle, exited: () => exit };
}

/** Waits for a condition with a deadline (no fixed sleeps). */
async function until<T>(probe: () => T | undefined | false, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function jit(name: string, labels: string[], scope: ScopeRef = acme): string {
  return sim.runners.generateJitConfig(scope, { name, runner_group_id: 1, labels }).encoded;
}

const hooksFor = (jobId: number) => hooks.filter((h) => h.payload.workflow_job.id === jobId);

beforeAll(async () => {
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  sim = createGitHubSim({ apps: simApps() });
  sim.setWebhookTarget(`http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/`, SECRET);
  sim.addOrg({ login: 'acme' });
  sim.addRepo({ owner: 'acme', name: 'widgets' });
  sim.addRepo({ owner: 'acme', name: 'gadgets' });
  sim.installApp('org', 'acme');
  acme = { kind: 'org', org: sim.state.account('acme')! };
  actions = createActionsRuntime({ github: sim });
  server = await sim.listen();
});

beforeEach(async () => {
  await sim.idle();
  // Leftover queued jobs would be taken by the next test's runners.
  for (const j of sim.listJobs({ status: 'queued' })) sim.cancelJob(j.id);
  await sim.idle();
  hooks.length = 0;
  actions.faults.clear();
  Object.assign(actions.startup, structuredClone(FAST_STARTUP));
});

afterAll(async () => {
  await server.close();
  hookServer.close();
});

describe('Actions service', () => {
  it('registers, takes the oldest matching job, reports it with signed webhooks, exits 0', async () => {
    const older = sim.queueJob({
      repo: 'acme/widgets',
      labels: ['rise', 'riscv64'],
      durationMs: 30,
    });
    const newer = sim.queueJob({
      repo: 'acme/gadgets',
      labels: ['riscv64', 'rise'],
      durationMs: 30,
    });
    const other = sim.queueJob({ repo: 'acme/widgets', labels: ['rise'], durationMs: 30 });
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-a', ['riscv64', 'rise']) });

    expect(await until(c.exited)).toEqual({ code: 0, reason: 'Completed', message: undefined });
    expect(sim.getJob(older.id)).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      runnerName: 'rv-a',
      runnerGroupId: 1,
    });
    expect(sim.getJob(newer.id)?.status).toBe('queued');
    expect(sim.getJob(other.id)?.status).toBe('queued');
    expect(sim.listRunners().some((r) => r.name === 'rv-a')).toBe(false);
    expect(c.logs).toContain('√ Connected to GitHub');
    expect(c.logs.some((l) => l.includes('Running job: build'))).toBe(true);
    expect(c.logs.join('\n')).not.toContain(sim.listRunners()[0]?.secret ?? 'no-secret');

    await sim.idle();
    const seen = hooksFor(older.id);
    expect(seen.map((h) => h.payload.action)).toEqual(['queued', 'in_progress', 'completed']);
    for (const h of seen) expect(await verify(SECRET, h.body, h.signature)).toBe(true);
    expect(seen[1]!.payload.workflow_job).toMatchObject({
      status: 'in_progress',
      runner_name: 'rv-a',
    });
    expect(seen[2]!.payload.workflow_job).toMatchObject({
      conclusion: 'success',
      runner_id: expect.any(Number),
    });
  });

  it('waits idle while no job matches, and wakes when one is queued', async () => {
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-wait', ['rise', 'only-later']) });
    await until(() =>
      actions.processes().find((p) => p.podName === `runner-${pods}` && p.phase === 'idle'),
    );
    sim.queueJob({ repo: 'acme/widgets', labels: ['rise'], durationMs: 10 });
    await new Promise((r) => setImmediate(r));
    expect(sim.listRunners().find((r) => r.name === 'rv-wait')).toMatchObject({
      status: 'online',
      busy: false,
    });
    expect(c.exited()).toBeUndefined();

    const job = sim.queueJob({
      repo: 'acme/widgets',
      labels: ['only-later', 'rise'],
      durationMs: 10,
    });
    expect((await until(c.exited)).code).toBe(0);
    expect(sim.getJob(job.id)?.runnerName).toBe('rv-wait');
  });

  it('gives a job to one runner only', async () => {
    const a = runContainer({ [JIT_CONFIG_ENV]: jit('rv-x1', ['solo']) });
    const b = runContainer({ [JIT_CONFIG_ENV]: jit('rv-x2', ['solo']) });
    await until(() => actions.processes().filter((p) => p.phase === 'idle').length >= 2);
    const job = sim.queueJob({ repo: 'acme/widgets', labels: ['solo'], durationMs: 20 });
    await until(() => sim.getJob(job.id)?.status === 'completed');
    const winner = sim.getJob(job.id)!.runnerName;
    const [done, waiting] = winner === 'rv-x1' ? [a, b] : [b, a];
    expect(done.exited()?.code).toBe(0);
    expect(waiting.exited()).toBeUndefined();
    waiting.handle.stop();
    await sim.idle();
    expect(hooksFor(job.id).filter((h) => h.payload.action === 'in_progress')).toHaveLength(1);
  });

  it('takes repository jobs only for a repository runner', async () => {
    const repo: ScopeRef = { kind: 'repo', repo: sim.state.repo('acme', 'gadgets')! };
    const elsewhere = sim.queueJob({ repo: 'acme/widgets', labels: ['repo-only'], durationMs: 10 });
    const here = sim.queueJob({ repo: 'acme/gadgets', labels: ['repo-only'], durationMs: 10 });
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-repo', ['repo-only'], repo) });
    expect((await until(c.exited)).code).toBe(0);
    expect(sim.getJob(here.id)?.runnerName).toBe('rv-repo');
    expect(sim.getJob(elsewhere.id)?.status).toBe('queued');
  });

  it('exits 1 with a log line for a forged or reused JIT config', async () => {
    const genuine = jit('rv-forged', ['rise']);
    const forged = JSON.parse(Buffer.from(genuine, 'base64').toString());
    forged.secret = 'guessed';
    const f = runContainer({
      [JIT_CONFIG_ENV]: Buffer.from(JSON.stringify(forged)).toString('base64'),
    });
    expect(await until(f.exited)).toMatchObject({ code: 1, reason: 'Error' });
    expect(f.logs.at(-1)).toMatch(/^Error: /);
    expect(f.logs.join('\n')).not.toContain(forged.secret);

    const garbage = runContainer({ [JIT_CONFIG_ENV]: 'not-base64-json' });
    expect((await until(garbage.exited)).code).toBe(1);

    const first = runContainer({ [JIT_CONFIG_ENV]: genuine });
    await until(() =>
      sim.listRunners().find((r) => r.name === 'rv-forged' && r.status === 'online'),
    );
    const reused = runContainer({ [JIT_CONFIG_ENV]: genuine });
    expect((await until(reused.exited)).code).toBe(1);
    first.handle.stop();
  });

  it('never registers under the fault, and stops quietly', async () => {
    actions.faults.neverRegister();
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-silent', ['rise']) });
    sim.queueJob({ repo: 'acme/widgets', labels: ['rise'], durationMs: 10 });
    // The log line is written once the process has decided not to connect.
    await until(() => c.logs.length > 0);
    await sim.idle();
    expect(sim.listRunners().find((r) => r.name === 'rv-silent')?.status).toBe('offline');
    c.handle.stop();
    expect(c.exited()).toBeUndefined();
    expect(actions.processes().some((p) => p.runnerName === 'rv-silent')).toBe(false);
  });

  it('crashes mid-job under the fault: exit 1, job failed, runner left offline', async () => {
    actions.faults.crashMidJob({ afterMs: 10 });
    const job = sim.queueJob({ repo: 'acme/widgets', labels: ['crashy'], durationMs: 5000 });
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-crash', ['crashy']) });
    expect(await until(c.exited)).toMatchObject({ code: 1, reason: 'Error' });
    expect(c.logs.some((l) => /crash/.test(l))).toBe(true);
    expect(sim.getJob(job.id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(sim.listRunners().find((r) => r.name === 'rv-crash')).toMatchObject({
      status: 'offline',
      busy: false,
    });
  });

  it('when stopped mid-job, fails the job without touching the container again', async () => {
    const job = sim.queueJob({ repo: 'acme/widgets', labels: ['stoppable'], durationMs: 5000 });
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-stop', ['stoppable']) });
    await until(() => sim.getJob(job.id)?.status === 'in_progress');
    const logged = c.logs.length;
    c.handle.stop();
    expect(c.exited()).toBeUndefined();
    expect(c.logs).toHaveLength(logged);
    expect(sim.getJob(job.id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(sim.listRunners().find((r) => r.name === 'rv-stop')?.status).toBe('offline');
  });

  it('cancels jobs from the control API, queued or running', async () => {
    const queued = sim.queueJob({ repo: 'acme/widgets', labels: ['nobody'], durationMs: 10 });
    sim.cancelJob(queued.id);
    const running = sim.queueJob({ repo: 'acme/widgets', labels: ['cancel-me'], durationMs: 5000 });
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-cancel', ['cancel-me']) });
    await until(() => sim.getJob(running.id)?.status === 'in_progress');
    sim.cancelJob(running.id);
    expect((await until(c.exited)).code).toBe(0);
    expect(sim.listRunners().some((r) => r.name === 'rv-cancel')).toBe(false);
    await sim.idle();
    expect(hooksFor(queued.id).map((h) => h.payload.action)).toEqual(['queued', 'completed']);
    expect(hooksFor(queued.id)[1]!.payload.workflow_job).toMatchObject({
      conclusion: 'cancelled',
      runner_name: null,
    });
    expect(hooksFor(running.id).map((h) => h.payload.action)).toEqual([
      'queued',
      'in_progress',
      'completed',
    ]);
  });

  it('exits 1 when its idle runner is deleted through the API', async () => {
    const c = runContainer({ [JIT_CONFIG_ENV]: jit('rv-deleted', ['never-queued']) });
    const runner = await until(() =>
      sim.listRunners().find((r) => r.name === 'rv-deleted' && r.status === 'online'),
    );
    sim.runners.delete(acme, runner.id);
    expect(await until(c.exited)).toMatchObject({ code: 1 });
    expect(c.logs.at(-1)).toMatch(/registration has been deleted/);
  });

  it('leaves containers that are not runners to the kubelet', () => {
    const ctx = {
      namespace: 'n',
      podName: 'p',
      podUid: 'u',
      nodeName: 'x',
      containerName: 'dind',
      image: 'docker:dind',
      labels: {},
      env: {},
    };
    expect(actions.start(ctx, { log() {}, exit() {} })).toBeUndefined();
  });
});

/** What the kubelet tells the runtime about a container of our manifests in this mode. */
function grantsOf(mode: DockerMode): ContainerSecurity {
  const g = modeGrants(mode);
  return {
    ...(g.securityContext as ContainerSecurity),
    ...(g.hostUsers === false ? { hostUsers: false } : {}),
  };
}
const MODES: DockerMode[] = ['privileged', 'rootless', 'none'];

describe('the image entrypoint, as the simulator plays it', () => {
  it.each([
    [
      { RUNNER_JITCONFIG: '' },
      'entrypoint: RUNNER_JITCONFIG is not set (the pod passes it from its Secret)',
    ],
    [
      { RUNNER_VERSION: '2.300.0' },
      'entrypoint: RUNNER_VERSION=2.300.0 is not in this image (no /home/runner/actions-runner/cached/2.300.0/run.sh; cached: 2.335.1)',
    ],
    [{ RUNNER_VERSION: '../bin' }, 'entrypoint: RUNNER_VERSION is not a version: ../bin'],
    [
      { DOCKER_MODE: 'podman' },
      "entrypoint: DOCKER_MODE must be privileged, rootless or none, not 'podman'",
    ],
    [{ DOCKER_MTU: '9' }, "entrypoint: DOCKER_MTU must be a number from 68 to 65535, not '9'"],
    [
      { RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: 'soon' },
      "entrypoint: RUNNER_WAIT_FOR_DOCKER_IN_SECONDS must be a whole number of seconds, not 'soon'",
    ],
  ])('refuses %j with the entrypoint’s message, exit 1', async (env, line) => {
    const c = runContainer({ RUNNER_JITCONFIG: 'x', ...env });
    expect(await until(c.exited)).toEqual({ code: 1, reason: 'Error', message: line });
    expect(c.logs).toEqual([line]);
  });

  it.each(MODES)(
    '%s: starts Docker with the grants our pod gives, then the runner, which takes its job',
    async (mode) => {
      const labels = [`mode-${mode}`];
      const job = sim.queueJob({ repo: 'acme/widgets', labels, durationMs: 10 });
      const c = runContainer(
        {
          [JIT_CONFIG_ENV]: jit(`rv-${mode}`, labels),
          DOCKER_MODE: mode,
          RUNNER_VERSION: '2.335.1',
        },
        { security: grantsOf(mode) },
      );
      expect((await until(c.exited)).code).toBe(0);
      expect(sim.getJob(job.id)).toMatchObject({ conclusion: 'success', runnerName: `rv-${mode}` });
      const docker = {
        privileged: [
          'entrypoint: starting containerd and dockerd (privileged, mtu 1450; logs in /tmp)',
          'entrypoint: docker is ready',
        ],
        rootless: [
          'entrypoint: starting rootless dockerd (mtu 1450; DOCKER_HOST=unix:///run/user/1001/docker.sock; log in /tmp/dockerd.log)',
          'entrypoint: docker is ready',
        ],
        none: [],
      }[mode];
      expect(c.logs.slice(0, docker.length + 2)).toEqual([
        ...docker,
        'entrypoint: starting runner 2.335.1',
        '√ Connected to GitHub',
      ]);
      expect(c.logs).toContain("Current runner version: '2.335.1'");
    },
  );

  it('refuses rootless Docker as root', async () => {
    const c = runContainer(
      { [JIT_CONFIG_ENV]: 'x', DOCKER_MODE: 'rootless' },
      { security: { ...grantsOf('rootless'), runAsUser: 0 } },
    );
    expect((await until(c.exited)).message).toBe(
      'entrypoint: DOCKER_MODE=rootless must run as a non-root user (the image runs as runner)',
    );
  });

  it.each([
    ['allowPrivilegeEscalation', { allowPrivilegeEscalation: false }],
    ['SETUID and SETGID', { capabilities: { drop: ['ALL'] } }],
    ['seccomp Unconfined', { seccompProfile: { type: 'RuntimeDefault' } }],
    ['AppArmor Unconfined', { appArmorProfile: undefined }],
    ['procMount Unmasked', { procMount: 'Default' }],
  ])(
    'rootless: dockerd dies without %s, and the pod fails with its log',
    async (missing, change) => {
      const c = runContainer(
        {
          [JIT_CONFIG_ENV]: jit(`rv-no-${missing.replace(/\W+/g, '-')}`, ['never']),
          DOCKER_MODE: 'rootless',
        },
        { security: { ...grantsOf('rootless'), ...change } },
      );
      const exit = await until(c.exited);
      expect(exit).toMatchObject({ code: 1, reason: 'Error' });
      expect(c.logs).toContain('entrypoint: dockerd exited before docker answered');
      expect(exit.message).toBe(
        `  [rootlesskit:parent] error: operation not permitted (missing: ${missing})`,
      );
      expect(
        sim
          .listRunners()
          .some((r) => r.name === `rv-no-${missing.replace(/\W+/g, '-')}` && r.status === 'online'),
      ).toBe(false);
    },
  );

  it('privileged: dockerd dies in a container that is not privileged; sudo is refused without escalation', async () => {
    const plain = runContainer({ [JIT_CONFIG_ENV]: 'x' }, { security: grantsOf('none') });
    expect((await until(plain.exited)).message).toBe(
      '  sudo: The "no new privileges" flag is set, which prevents sudo from running as root.',
    );
    const unprivileged = runContainer({ [JIT_CONFIG_ENV]: 'x' }, { security: { runAsUser: 1001 } });
    expect((await until(unprivileged.exited)).message).toMatch(/not privileged/);
  });

  it('fails when Docker does not answer within RUNNER_WAIT_FOR_DOCKER_IN_SECONDS', async () => {
    actions.startup.dockerdMs.privileged = 50;
    const c = runContainer(
      { [JIT_CONFIG_ENV]: 'x', RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '0' },
      { security: grantsOf('privileged') },
    );
    expect((await until(c.exited)).message).toBe('entrypoint: docker did not answer within 0s');
  });

  it('takes dockerd’s start per mode and the registration, times the board’s factor', async () => {
    Object.assign(actions.startup, {
      dockerdMs: { privileged: 30, rootless: 80, none: 0 },
      registerMs: 20,
      boards: { slow: 2 },
    });
    const timed = async (mode: DockerMode, board: string) => {
      const name = `rv-time-${mode}-${board}`;
      const started = Date.now();
      runContainer(
        { [JIT_CONFIG_ENV]: jit(name, ['timed']), DOCKER_MODE: mode },
        { security: grantsOf(mode), nodeLabels: { 'riseproject.dev/board': board } },
      );
      await until(() =>
        actions.processes().find((p) => p.runnerName === name && p.phase === 'idle'),
      );
      return Date.now() - started;
    };
    // Lower bounds only: a loaded machine may be slower, never faster.
    expect(await timed('none', 'fast')).toBeGreaterThanOrEqual(20);
    expect(await timed('privileged', 'fast')).toBeGreaterThanOrEqual(50);
    expect(await timed('rootless', 'slow')).toBeGreaterThanOrEqual(200);
    for (const p of actions.processes())
      if (p.runnerName?.startsWith('rv-time-')) sim.runners.delete(acme, p.runnerId!);
  });
});
