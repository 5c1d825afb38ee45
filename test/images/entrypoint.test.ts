import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { RUNNER_VERSION, sandbox, start, stopLeftovers, type Sandbox } from './entrypoint-stubs.js';

// A JIT config looks like base64 JSON; this one is unique so any leak is found by substring.
const JIT = `eyJqaXQiOiJ0ZXN0${randomBytes(12).toString('hex')}In0=`;

// Tests run concurrently, so sandboxes are removed once all are done.
const boxes: Sandbox[] = [];
afterAll(() => {
  for (const box of boxes.splice(0)) {
    stopLeftovers(box);
    rmSync(box.dir, { recursive: true, force: true });
  }
});

function setup(extra: Record<string, string | undefined> = {}): Sandbox {
  const box = sandbox(JIT);
  boxes.push(box);
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete box.env[key];
    else box.env[key] = value;
  }
  return box;
}

async function run(box: Sandbox): Promise<{ code: number | null; output: string }> {
  const result = await start(box.env).done;
  expectNoSecret(box, result.output);
  return result;
}

/** The JIT config reaches run.sh's argv and nothing else: no output, no daemon, no env. */
function expectNoSecret(box: Sandbox, output: string): void {
  expect(output).not.toContain(JIT);
  const records = join(box.dir, 'records');
  for (const name of readdirSync(records)) {
    if (name === 'run.argv') continue;
    expect(readFileSync(join(records, name), 'utf8'), name).not.toContain(JIT);
  }
  for (const name of readdirSync(join(box.dir, 'logs'))) {
    expect(readFileSync(join(box.dir, 'logs', name), 'utf8'), name).not.toContain(JIT);
  }
}

const lines = (output: string): string[] => output.trim().split('\n');
const argv = (box: Sandbox, name: string): string[] | undefined =>
  box.read(`${name}.argv`)?.trimEnd().split('\n');

describe.concurrent('entrypoint.sh: refuses bad input in one line', () => {
  it.each([
    [
      'RUNNER_JITCONFIG',
      { RUNNER_JITCONFIG: undefined },
      /^entrypoint: RUNNER_JITCONFIG is not set/,
    ],
    ['RUNNER_JITCONFIG', { RUNNER_JITCONFIG: '' }, /^entrypoint: RUNNER_JITCONFIG is not set/],
    ['RUNNER_VERSION', { RUNNER_VERSION: undefined }, /^entrypoint: RUNNER_VERSION is not set/],
    [
      'RUNNER_VERSION',
      { RUNNER_VERSION: '9.9.9' },
      new RegExp(
        `^entrypoint: RUNNER_VERSION=9\\.9\\.9 is not in this image .*cached: ${RUNNER_VERSION}\\)$`,
      ),
    ],
    [
      'RUNNER_VERSION',
      { RUNNER_VERSION: '../../x' },
      /^entrypoint: RUNNER_VERSION is not a version/,
    ],
    ['DOCKER_MODE', { DOCKER_MODE: 'dind' }, /^entrypoint: DOCKER_MODE must be .*not 'dind'$/],
    ['DOCKER_MTU', { DOCKER_MTU: '9x' }, /^entrypoint: DOCKER_MTU must be .*not '9x'$/],
    ['DOCKER_MTU', { DOCKER_MTU: '70000' }, /^entrypoint: DOCKER_MTU must be/],
    [
      'RUNNER_WAIT_FOR_DOCKER_IN_SECONDS',
      { RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '-1' },
      /^entrypoint: RUNNER_WAIT_FOR_DOCKER_IN_SECONDS must be/,
    ],
    [
      'rootless as root',
      { DOCKER_MODE: 'rootless', STUB_UID: '0' },
      /^entrypoint: DOCKER_MODE=rootless must run as a non-root user/,
    ],
  ])('%s: %j', async (_name, extra, message) => {
    const box = setup(extra);
    const { code, output } = await run(box);
    expect(code).not.toBe(0);
    expect(lines(output)).toHaveLength(1);
    expect(output.trim()).toMatch(message);
    expect(box.read('run.started')).toBeUndefined();
    expect(box.read('dockerd.argv')).toBeUndefined();
  });
});

describe.concurrent('entrypoint.sh: runs the runner and passes its exit code', () => {
  it.each([0, 3])('privileged, as runner through sudo: exit %i', async (exit) => {
    const box = setup({ DOCKER_MTU: '1400', STUB_RUN_EXIT: String(exit) });
    const { code } = await run(box);
    expect(code).toBe(exit);
    expect(argv(box, 'run')).toEqual(['--jitconfig', JIT]);
    expect(box.read('run.cwd')?.trim()).toBe(box.env.HOME);
    expect(box.read('run.env')).not.toContain('RUNNER_JITCONFIG');
    expect(argv(box, 'dockerd')).toContain('--mtu=1400');
    expect(argv(box, 'containerd')).toBeDefined();
    const sudo = box.read('sudo.calls') ?? '';
    expect(sudo).toMatch(/^-n env PATH=\S+ containerd$/m);
    expect(sudo).toMatch(/^-n env PATH=\S+ dockerd --mtu=1400 /m);
    expect(sudo).toMatch(/^-n kill -TERM \d+$/m);
    expect(box.read('docker.calls')).toMatch(/^info$/m);
    expect(box.read('dockerd.stopped')).toBeDefined();
    expect(box.read('containerd.stopped')).toBeDefined();
  });

  it('privileged as root: no sudo, default MTU 1450', async () => {
    const box = setup({ STUB_UID: '0', STUB_RUN_EXIT: '3' });
    const { code } = await run(box);
    expect(code).toBe(3);
    expect(argv(box, 'dockerd')).toContain('--mtu=1450');
    expect(box.read('sudo.calls')).toBeUndefined();
    expect(box.read('dockerd.stopped')).toBeDefined();
  });

  it.each([0, 3])('rootless: exit %i, DOCKER_HOST handed to the runner', async (exit) => {
    const box = setup({ DOCKER_MODE: 'rootless', STUB_RUN_EXIT: String(exit) });
    const { code } = await run(box);
    expect(code).toBe(exit);
    expect(argv(box, 'dockerd-rootless')).toEqual(['--mtu=1450']);
    expect(box.read('containerd.argv')).toBeUndefined();
    expect(box.read('sudo.calls')).toBeUndefined();
    const socket = `DOCKER_HOST=unix://${box.env.XDG_RUNTIME_DIR}/docker.sock`;
    expect(box.read('run.env')).toContain(socket);
    expect(box.read('dockerd-rootless.env')).toContain(socket);
    expect(argv(box, 'run')).toEqual(['--jitconfig', JIT]);
    expect(box.read('dockerd-rootless.stopped')).toBeDefined();
  });

  it.each([0, 3])('none: exit %i, no daemon and no wait', async (exit) => {
    const box = setup({
      DOCKER_MODE: 'none',
      STUB_RUN_EXIT: String(exit),
      RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '30',
    });
    const { code } = await run(box);
    expect(code).toBe(exit);
    expect(argv(box, 'run')).toEqual(['--jitconfig', JIT]);
    expect(box.read('dockerd.argv')).toBeUndefined();
    expect(box.read('containerd.argv')).toBeUndefined();
    expect(box.read('docker.calls')).toBeUndefined();
    // The runner's own wait for `docker ps` would only time out.
    expect(box.read('run.env')).not.toContain('RUNNER_WAIT_FOR_DOCKER_IN_SECONDS');
  });
});

describe.concurrent('entrypoint.sh: docker does not come up', () => {
  it.each(['privileged', 'rootless'])(
    '%s: fails after the timeout with the log tail',
    async (mode) => {
      const box = setup({
        DOCKER_MODE: mode,
        STUB_DOCKER_ANSWERS: '0',
        RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '1',
      });
      const started = Date.now();
      const { code, output } = await run(box);
      expect(code).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(output).toContain('docker did not answer within 1s');
      expect(output).toContain('API listen on /var/run/docker.sock');
      expect(box.read('run.started')).toBeUndefined();
      const daemon = mode === 'rootless' ? 'dockerd-rootless' : 'dockerd';
      expect(box.read(`${daemon}.stopped`)).toBeDefined();
      if (mode === 'privileged') expect(box.read('containerd.stopped')).toBeDefined();
    },
  );

  it('dockerd exits at once: fails without waiting out the timeout', async () => {
    const box = setup({ STUB_DAEMON_DIES: 'dockerd', RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '30' });
    const started = Date.now();
    const { code, output } = await run(box);
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(output).toContain('dockerd exited before docker answered');
    expect(output).toContain('failed to start daemon: boom');
    expect(box.read('containerd.stopped')).toBeDefined();
  });
});

describe.concurrent('entrypoint.sh: signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s reaches the runner, then Docker stops',
    async (sig) => {
      const box = setup({ STUB_RUN_WAITS: '1', STUB_SIGNAL_EXIT: '7' });
      const { child, done } = start(box.env);
      await waitFor(() => box.read('run.started') !== undefined, { what: 'run.sh to start' });
      child.kill(sig);
      const { code, output } = await done;
      expectNoSecret(box, output);
      expect(code).toBe(7);
      expect(box.read('run.signal')?.trim()).toBe(sig.slice(3));
      expect(box.read('dockerd.stopped')).toBeDefined();
      expect(box.read('containerd.stopped')).toBeDefined();
    },
  );

  it('SIGTERM while waiting for docker: stops the daemons, never starts the runner', async () => {
    const box = setup({ STUB_DOCKER_ANSWERS: '0', RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '30' });
    const { child, done } = start(box.env);
    await waitFor(
      () =>
        box.read('docker.calls') !== undefined &&
        box.read('dockerd.pid') !== undefined &&
        box.read('containerd.pid') !== undefined,
      { what: 'the daemons and the wait for docker' },
    );
    child.kill('SIGTERM');
    const { code, output } = await done;
    expectNoSecret(box, output);
    expect(code).toBe(143);
    expect(box.read('run.started')).toBeUndefined();
    expect(box.read('dockerd.stopped')).toBeDefined();
    expect(box.read('containerd.stopped')).toBeDefined();
  });
});

describe.concurrent('entrypoint.sh: cgroup v2 nesting (privileged)', () => {
  function fakeCgroup(box: Sandbox, self: string): string {
    const root = box.env.CGROUP_ROOT!;
    mkdirSync(root);
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(root, 'cgroup.procs'), '1\n42\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
    writeFileSync(box.env.CGROUP_SELF_FILE!, self);
    return root;
  }

  it('in a private cgroup namespace: moves processes to a leaf and enables controllers', async () => {
    const box = setup();
    const root = fakeCgroup(box, '0::/\n');
    expect((await run(box)).code).toBe(0);
    expect(readFileSync(join(root, 'init', 'cgroup.procs'), 'utf8')).toBe('1\n42\n');
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8').trim()).toBe(
      '+cpuset +cpu +io +memory +pids',
    );
  });

  it('on a host hierarchy (not "0::/"): leaves it alone', async () => {
    const box = setup();
    const root = fakeCgroup(box, '0::/user.slice/user-1000.slice\n');
    expect((await run(box)).code).toBe(0);
    expect(existsSync(join(root, 'init'))).toBe(false);
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('');
  });
});
