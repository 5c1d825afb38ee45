/**
 * The simulator's kubelet side of the Device Plugin API: a served node takes its runner slots
 * from the plugin that registers, and the scheduler follows them; bad registrations are refused
 * as the kubelet refuses them.
 */
import * as grpc from '@grpc/grpc-js';
import type { CoreV1Api } from '@kubernetes/client-node';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DevicePlugin } from '../../src/agent/device-plugin/plugin.js';
import {
  FRESH_CONNECTION,
  callUnary,
  devicePluginApi,
  unixAddress,
} from '../../src/agent/proto/device-plugin.js';
import { createKubeSim, type KubeSim } from '../../src/sim/kube/index.js';
import { connectKubeSim, runnerPod } from '../helpers/kube-sim.js';
import { waitFor } from '../helpers/wait.js';
import { captureLogs, tempDir } from './helpers.js';

const RESOURCE = 'riseproject.com/runner';
let sim: KubeSim;
let api: CoreV1Api;
let dir: string;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  sim = createKubeSim({ timings: { imagePullMs: 1, containerRunMs: 20 } });
  ({ api } = await connectKubeSim(sim));
  const tmp = tempDir('rise-simk-');
  dir = tmp.dir;
  cleanups.push(tmp.remove);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await sim.close();
});

async function startPlugin(slots = 1): Promise<DevicePlugin> {
  const plugin = new DevicePlugin(
    { pluginDir: dir, slots, diskPaths: [], checkIntervalMs: 100 },
    captureLogs().log,
  );
  await plugin.start();
  cleanups.push(() => plugin.stop());
  return plugin;
}

const allocatable = async (name: string) =>
  (await api.readNode({ name })).status?.allocatable?.[RESOURCE];

describe('a node served by a device plugin', () => {
  it('has no runner slots until a plugin registers, then the plugin’s devices', async () => {
    sim.addNode({ name: 'rv-1', board: 'scw-em-rv1', slots: 4 });
    await sim.devicePlugins.serve('rv-1', dir);
    expect(await allocatable('rv-1')).toBeUndefined();

    await startPlugin(2);
    await waitFor(async () => (await allocatable('rv-1')) === '2', { what: 'two slots' });
    const node = await api.readNode({ name: 'rv-1' });
    expect(node.status?.capacity?.[RESOURCE]).toBe('2');
    expect(node.status?.allocatable?.cpu).toBe('8');
    expect(sim.devicePlugins.manager('rv-1')?.registrations).toHaveLength(1);
  });

  it('keeps runner pods off the node while its devices are Unhealthy', async () => {
    sim.addNode({ name: 'rv-1', board: 'scw-em-rv1' });
    await sim.devicePlugins.serve('rv-1', dir);
    const drain = join(dir, 'rise-riscv-runner.drain');
    writeFileSync(drain, '');
    await startPlugin();
    await waitFor(async () => (await allocatable('rv-1')) === '0', { what: 'no free slot' });
    expect((await api.readNode({ name: 'rv-1' })).status?.capacity?.[RESOURCE]).toBe('1');

    await api.createNamespacedPod({
      namespace: 'default',
      body: runnerPod('runner-a', { board: 'scw-em-rv1' }),
    });
    await waitFor(async () => {
      const pod = await api.readNamespacedPod({ name: 'runner-a', namespace: 'default' });
      return (
        pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason === 'Unschedulable'
      );
    });

    rmSync(drain);
    await waitFor(
      async () => {
        const pod = await api.readNamespacedPod({ name: 'runner-a', namespace: 'default' });
        return pod.spec?.nodeName === 'rv-1';
      },
      { what: 'the pod to be scheduled' },
    );
  });

  it('offers 0 slots when the plugin goes, and its slots again when it comes back', async () => {
    sim.addNode({ name: 'rv-1' });
    await sim.devicePlugins.serve('rv-1', dir);
    const plugin = await startPlugin();
    await waitFor(async () => (await allocatable('rv-1')) === '1');
    await plugin.stop();
    await waitFor(async () => (await allocatable('rv-1')) === '0', { what: 'the slot to go' });
    await startPlugin();
    await waitFor(async () => (await allocatable('rv-1')) === '1', { what: 'the slot back' });
  });

  it('survives a kubelet restart: the plugin registers again and the slots stay', async () => {
    sim.addNode({ name: 'rv-1' });
    const kubelet = await sim.devicePlugins.serve('rv-1', dir);
    await startPlugin();
    await waitFor(async () => (await allocatable('rv-1')) === '1');
    await kubelet.restart();
    await waitFor(() => kubelet.registrations.length >= 2, { timeoutMs: 2_000, intervalMs: 10 });
    await waitFor(async () => (await allocatable('rv-1')) === '1');
  });

  it('refuses to serve a node that does not exist', async () => {
    await expect(sim.devicePlugins.serve('nope', dir)).rejects.toThrow('nodes "nope" not found');
  });
});

describe('registration, as the kubelet checks it', () => {
  async function register(request: Record<string, unknown>) {
    sim.addNode({ name: 'rv-1' });
    const kubelet = await sim.devicePlugins.serve('rv-1', dir);
    const { Registration } = devicePluginApi();
    const client = new Registration(
      unixAddress(kubelet.socketPath),
      grpc.credentials.createInsecure(),
      FRESH_CONNECTION,
    );
    cleanups.push(() => client.close());
    return callUnary(
      client.Register,
      client,
      { version: 'v1beta1', endpoint: 'x.sock', resource_name: RESOURCE, ...request },
      2_000,
    );
  }

  it('refuses another API version', async () => {
    await expect(register({ version: 'v1alpha' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('"v1alpha" is not supported'),
    });
  });

  it('refuses a name that is not an extended resource', async () => {
    for (const name of ['runner', 'kubernetes.io/runner', 'Rise.com/runner']) {
      await expect(register({ resource_name: name })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
      await sim.devicePlugins.manager('rv-1')?.stop();
      sim.control.removeNode('rv-1');
    }
  });

  it('fails a registration whose endpoint it cannot dial back', async () => {
    await expect(register({ endpoint: 'nobody-here.sock' })).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringContaining('failed to dial device plugin'),
    });
    expect(sim.devicePlugins.manager('rv-1')?.registrations).toHaveLength(0);
  });
});
