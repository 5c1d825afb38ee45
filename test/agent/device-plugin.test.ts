/**
 * The device plugin over real gRPC on real Unix sockets: a fake kubelet (a Registration server
 * that dials the plugin back and follows ListAndWatch) and a DevicePlugin client.
 */
import * as grpc from '@grpc/grpc-js';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DevicePlugin, type DevicePluginConfig } from '../../src/agent/device-plugin/plugin.js';
import {
  callUnary,
  devicePluginApi,
  unixAddress,
  type DevicePluginClient,
} from '../../src/agent/proto/device-plugin.js';
import { waitFor } from '../helpers/wait.js';
import { captureLogs, fakeKubelet, tempDir } from './helpers.js';

const RESOURCE = 'riseproject.com/runner';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(config: Partial<DevicePluginConfig> = {}) {
  const { dir, remove } = tempDir('rise-dp-');
  cleanups.push(remove);
  const logs = captureLogs();
  const plugin = new DevicePlugin(
    { pluginDir: dir, slots: 1, diskPaths: [], checkIntervalMs: 200, ...config },
    logs.log,
  );
  cleanups.push(() => plugin.stop());
  const fake = fakeKubelet(dir);
  cleanups.push(() => fake.kubelet.stop());
  return { dir, plugin, logs, ...fake };
}

function freeBytes(path: string): number {
  const fs = statfsSync(path);
  return fs.bavail * fs.bsize;
}

function pluginClient(socket: string): DevicePluginClient {
  const { DevicePlugin: Client } = devicePluginApi();
  const client = new Client(unixAddress(socket), grpc.credentials.createInsecure());
  cleanups.push(() => client.close());
  return client;
}

describe('registration', () => {
  it('serves its socket, then registers with the fields the kubelet expects', async () => {
    const { dir, plugin, kubelet } = setup();
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.registrations.length === 1, { what: 'a registration' });
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1, { what: 'devices' });
    expect(kubelet.registrations).toHaveLength(1);
    expect(kubelet.registrations[0]!.request).toEqual({
      version: 'v1beta1',
      endpoint: 'rise-riscv-runner.sock',
      resource_name: RESOURCE,
      options: { pre_start_required: false, get_preferred_allocation_available: false },
    });
    expect(plugin.socketPath).toBe(join(dir, 'rise-riscv-runner.sock'));
    expect(existsSync(plugin.socketPath)).toBe(true);
  });

  it('retries while the kubelet is absent, says so once, and registers when it comes', async () => {
    const { plugin, kubelet, logs } = setup({ registerBackoffMs: 20 });
    await plugin.start();
    // Long enough for several attempts at 20, 40, 80 … ms.
    await waitFor(() =>
      logs.messages().includes('kubelet not reachable; retrying with backoff until it is'),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(kubelet.registrations).toHaveLength(0);
    // A starting kubelet removes the directory's sockets, ours too: the plugin serves again.
    await kubelet.start();
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1, { what: 'registered devices' });
    const warnings = logs.lines.filter((l) => l.msg.startsWith('kubelet not reachable'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.socket).toMatch(/kubelet\.sock$/);
    expect(logs.messages()).toContain('registered with the kubelet');
  });

  it('re-registers within 2 s when the kubelet restarts, without a process restart', async () => {
    const { plugin, kubelet, counts } = setup();
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1, { what: 'devices' });
    expect(readdirSync(join(kubelet.socketPath, '..'))).toContain('rise-riscv-runner.sock');

    // The kubelet removes every plugin socket and re-creates kubelet.sock.
    const before = kubelet.registrations.length;
    await kubelet.restart();
    expect(existsSync(plugin.socketPath)).toBe(false);
    await waitFor(() => kubelet.registrations.length > before, {
      timeoutMs: 2_000,
      intervalMs: 10,
      what: 're-registration within 2 s',
    });
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1, { what: 'devices again' });
    expect(existsSync(plugin.socketPath)).toBe(true);
    expect(counts.at(-1)).toEqual({ capacity: 1, allocatable: 1 });

    // And once more: the second restart is handled like the first.
    const again = kubelet.registrations.length;
    await kubelet.restart();
    await waitFor(() => kubelet.registrations.length > again, { timeoutMs: 2_000, intervalMs: 10 });
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1, { what: 'devices again' });
  });
});

describe('devices and calls', () => {
  it('advertises N devices runner-0 … on ListAndWatch', async () => {
    const { plugin, kubelet } = setup({ slots: 3 });
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.devices(RESOURCE)?.length === 3, { what: 'three devices' });
    expect(kubelet.devices(RESOURCE)).toEqual([
      { ID: 'runner-0', health: 'Healthy', topology: null },
      { ID: 'runner-1', health: 'Healthy', topology: null },
      { ID: 'runner-2', health: 'Healthy', topology: null },
    ]);
    expect(kubelet.count(RESOURCE)).toEqual({ capacity: 3, allocatable: 3 });
  });

  it('answers Allocate with one empty response per container request', async () => {
    const { plugin, kubelet } = setup({ slots: 2 });
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 2);
    // Through the fake kubelet, as a pod admission does.
    const viaKubelet = await kubelet.allocate(RESOURCE, ['runner-1']);
    expect(viaKubelet.container_responses).toHaveLength(1);

    const client = pluginClient(plugin.socketPath);
    const response = await callUnary(
      client.Allocate,
      client,
      { container_requests: [{ devices_ids: ['runner-0'] }, { devices_ids: ['runner-1'] }] },
      2_000,
    );
    expect(response.container_responses).toEqual([
      { envs: {}, mounts: [], devices: [], annotations: {}, cdi_devices: [] },
      { envs: {}, mounts: [], devices: [], annotations: {}, cdi_devices: [] },
    ]);
    await expect(
      callUnary(
        client.Allocate,
        client,
        { container_requests: [{ devices_ids: ['gpu-7'] }] },
        2_000,
      ),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'unknown devices: gpu-7',
    });
  });

  it('answers GetDevicePluginOptions, GetPreferredAllocation and PreStartContainer', async () => {
    const { plugin } = setup({ slots: 3 });
    await plugin.start();
    const client = pluginClient(plugin.socketPath);
    expect(await callUnary(client.GetDevicePluginOptions, client, {}, 2_000)).toEqual({
      pre_start_required: false,
      get_preferred_allocation_available: false,
    });
    const preferred = await callUnary(
      client.GetPreferredAllocation,
      client,
      {
        container_requests: [
          {
            available_deviceIDs: ['runner-0', 'runner-1', 'runner-2'],
            must_include_deviceIDs: ['runner-2'],
            allocation_size: 2,
          },
        ],
      },
      2_000,
    );
    expect(preferred.container_responses).toEqual([{ deviceIDs: ['runner-2', 'runner-0'] }]);
    expect(
      await callUnary(client.PreStartContainer, client, { devices_ids: ['runner-1'] }, 2_000),
    ).toEqual({});
  });

  it('ends its streams and removes its socket when stopped', async () => {
    const { plugin, kubelet } = setup();
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1);
    await plugin.stop();
    expect(existsSync(plugin.socketPath)).toBe(false);
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 0, { what: 'the stream to end' });
    expect(kubelet.count(RESOURCE)?.capacity).toBe(1);
  });
});

describe('health', () => {
  it('turns Unhealthy on the stream while the drain marker exists, and healthy again', async () => {
    // A long check interval: the directory watch must notice the marker by itself.
    const { dir, plugin, kubelet, logs } = setup({ slots: 2, checkIntervalMs: 60_000 });
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 2);

    const marker = join(dir, 'rise-riscv-runner.drain');
    writeFileSync(marker, 'kernel upgrade\n');
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 0, { what: 'Unhealthy devices' });
    expect(kubelet.devices(RESOURCE)?.map((d) => d.health)).toEqual(['Unhealthy', 'Unhealthy']);
    const unhealthy = logs.lines.find((l) => l.msg.startsWith('devices unhealthy'));
    expect(unhealthy?.reasons).toEqual([`drain marker ${marker} exists`]);

    rmSync(marker);
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 2, { what: 'healthy again' });
    const healthy = logs.lines.find((l) => l.msg === 'devices healthy again');
    expect(healthy?.cleared).toBe(`drain marker ${marker} exists`);
  });

  it('is Unhealthy from the start when a disk has less free space than --min-free-disk', async () => {
    const { dir, plugin, kubelet, logs } = setup({
      diskPaths: ['/'],
      minFreeBytes: 2 ** 60,
    });
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.devices(RESOURCE)?.length === 1);
    expect(kubelet.count(RESOURCE)).toEqual({ capacity: 1, allocatable: 0 });
    const line = logs.lines.find((l) => l.msg.startsWith('devices unhealthy'));
    expect(line?.reasons).toEqual([
      expect.stringMatching(/^free space on \/ is [\d.]+[KMGT]i, under --min-free-disk 1Ei$/),
    ]);
    expect(logs.lines.filter((l) => l.msg.startsWith('devices unhealthy'))).toHaveLength(1);
    expect(existsSync(join(dir, 'rise-riscv-runner.sock'))).toBe(true);
  });

  it('turns Unhealthy when a disk fills up under --min-free-disk, and healthy when space is back', async () => {
    // A quiet filesystem of its own where there is one (tmpfs), so others' writes do not matter.
    const shmFree = existsSync('/dev/shm') ? freeBytes('/dev/shm') : 0;
    const disk = mkdtempSync(join(shmFree > 2 ** 30 ? '/dev/shm' : tmpdir(), 'rise-disk-'));
    cleanups.push(() => rmSync(disk, { recursive: true, force: true }));
    // The threshold sits 64 MiB under the free space now; a 192 MiB file takes it 128 MiB under.
    const minFreeBytes = freeBytes(disk) - 64 * 2 ** 20;
    const { plugin, kubelet, logs } = setup({
      diskPaths: [disk],
      minFreeBytes,
      checkIntervalMs: 50,
    });
    await kubelet.start();
    await plugin.start();
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1, { what: 'healthy at first' });

    const filler = join(disk, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(2 ** 20, 0x5a);
    for (let i = 0; i < 192; i++) writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 0, { what: 'Unhealthy' });
    const reasons = logs.lines.find((l) => l.msg.startsWith('devices unhealthy'))?.reasons;
    expect(reasons).toEqual([expect.stringContaining(`free space on ${disk} is`)]);

    rmSync(filler);
    await waitFor(() => kubelet.count(RESOURCE)?.allocatable === 1, { what: 'healthy again' });
    expect(logs.messages()).toContain('devices healthy again');
  });

  it('reports a disk path it cannot check as a reason', async () => {
    const { dir, plugin } = setup({ diskPaths: ['/nonexistent/rise'], minFreeBytes: 1 });
    await plugin.start();
    expect(plugin.isHealthy()).toBe(false);
    expect(existsSync(join(dir, 'rise-riscv-runner.sock'))).toBe(true);
  });
});
