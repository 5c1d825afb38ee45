/**
 * The agent as its DaemonSets run it: a real process with flags, NODE_NAME and KUBECONFIG, JSON
 * logs on stdout, and a clean stop on SIGTERM; here against the simulator's API and kubelet.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeSim, type KubeSim } from '../../src/sim/kube/index.js';
import { entryCommand } from '../helpers/bundles.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/agent');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const agentArgs = entryCommand('agent');

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...agentArgs, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_NAME: '', ...env },
    timeout: 20_000,
  });
}

describe('flags', () => {
  it('--help lists every flag and variable', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    for (const word of [
      'device-plugin',
      'labeller',
      'all',
      '--plugin-dir',
      '--slots',
      '--min-free-disk',
      '--disk-path',
      '--check-interval-seconds',
      '--devicetree',
      '--cpuinfo',
      '--boards',
      '--interval-seconds',
      '--log-level',
      'NODE_NAME',
      'KUBECONFIG',
    ]) {
      expect(result.stdout).toContain(word);
    }
  });

  it('answers a bad flag with one line naming it and exit code 2', () => {
    const result = run(['device-plugin', '--slots', 'many']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('agent: --slots: "many" is not a whole number from 1 to 64\n');
  });
});

describe('the agent process, role all', () => {
  let sim: KubeSim;

  it('labels its node and offers its slots, then stops cleanly on SIGTERM', async () => {
    sim = createKubeSim();
    cleanups.push(() => sim.close());
    const { url } = await sim.listen();
    const { dir, remove } = tempDir('rise-cli-');
    cleanups.push(remove);
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, sim.kubeconfigYaml(url));
    copyFileSync(join(FIXTURES, 'cloudv10x-jupiter', 'compatible'), join(dir, 'compatible'));
    copyFileSync(join(FIXTURES, 'cloudv10x-jupiter', 'cpuinfo'), join(dir, 'cpuinfo'));
    writeFileSync(join(dir, 'boards.yaml'), 'spacemit,k1-x: cloudv10x-rvv\n');
    const pluginDir = join(dir, 'plugins');
    sim.addNode({ name: 'rvv-1', labels: { team: 'ci' } });
    await sim.devicePlugins.serve('rvv-1', pluginDir);

    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      [
        ...agentArgs,
        'all',
        '--plugin-dir',
        pluginDir,
        '--slots',
        '1',
        '--devicetree',
        join(dir, 'missing'),
        '--devicetree',
        join(dir, 'compatible'),
        '--cpuinfo',
        join(dir, 'cpuinfo'),
        '--boards',
        join(dir, 'boards.yaml'),
      ],
      { env: { ...process.env, NODE_NAME: 'rvv-1', KUBECONFIG: kubeconfig, LOG_LEVEL: 'info' } },
    );
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    const node = () => sim.state.get('Node', undefined, 'rvv-1');
    await waitFor(() => node()?.status.allocatable['riseproject.com/runner'] === '1', {
      timeoutMs: 20_000,
      what: 'the slot',
    });
    await waitFor(() => node()?.metadata.labels?.['riseproject.dev/board'], {
      timeoutMs: 20_000,
      what: 'the labels',
    });
    expect(node()?.metadata.labels).toMatchObject({
      team: 'ci',
      'riseproject.dev/board': 'cloudv10x-rvv',
      'riseproject.dev/rvv': 'true',
      'riseproject.dev/isa': 'rv64imafdcv',
      'riseproject.dev/harts': '8',
    });
    await waitFor(() => stdout.includes('"msg":"node labels updated"'));

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; name: string });
    expect(lines.every((l) => l.name === 'rise-node-agent')).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'starting',
        'registered with the kubelet',
        'shutting down',
        'stopped',
      ]),
    );
    expect(stdout).not.toContain(sim.token);
    expect(existsSync(join(pluginDir, 'rise-riscv-runner.sock'))).toBe(false);
    await waitFor(() => node()?.status.allocatable['riseproject.com/runner'] === '0', {
      what: 'the slot to go with the plugin',
    });
  });
});
