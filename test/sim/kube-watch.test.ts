/**
 * Events, container logs and watches of the simulated Kubernetes API, as the real
 * @kubernetes/client-node 1.4 (CoreV1Api, Watch, ListWatch) sees them over HTTP.
 */
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ListWatch, Watch, type V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createKubeSim, type KubeSim } from '../../src/sim/kube/index.js';
import { connectKubeSim, runnerPod } from '../helpers/kube-sim.js';
import type { ContainerRuntime } from '../../src/sim/types.js';

let sim: KubeSim;
let api: CoreV1Api;
let kc: KubeConfig;

const namespace = 'default';

beforeEach(async () => {
  sim = createKubeSim({ timings: { imagePullMs: 1, containerRunMs: 20 } });
  ({ kc, api } = await connectKubeSim(sim));
});
afterEach(async () => {
  await sim.close();
});
describe('events and logs', () => {
  it('lists a pod’s events by involvedObject.name and serves container logs with tailLines', async () => {
    const runtime: ContainerRuntime = {
      start(_ctx, io) {
        for (let i = 1; i <= 5; i += 1) io.log(`line ${i}`);
        const timer = setTimeout(() => io.exit(0), 5);
        return { stop: () => clearTimeout(timer) };
      },
    };
    sim.setRuntime(runtime);
    sim.addNode({ name: 'n1' });
    await api.createNamespacedPod({ namespace, body: runnerPod('logger') });
    await vi.waitFor(async () => {
      const pod = await api.readNamespacedPod({ namespace, name: 'logger' });
      expect(pod.status?.phase).toBe('Succeeded');
    });

    const events = await api.listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.name=logger',
    });
    expect(events.items.map((e) => e.reason)).toEqual([
      'Scheduled',
      'Pulling',
      'Pulled',
      'Created',
      'Started',
    ]);
    expect(events.items[0]?.message).toBe('Successfully assigned default/logger to n1');

    const tail = await api.readNamespacedPodLog({ namespace, name: 'logger', tailLines: 2 });
    expect(tail).toBe('line 4\nline 5\n');
    const all = await api.readNamespacedPodLog({ namespace, name: 'logger', container: 'runner' });
    expect(all.split('\n')).toHaveLength(6);
    await expect(
      api.readNamespacedPodLog({ namespace, name: 'logger', container: 'nope' }),
    ).rejects.toMatchObject({ code: 400 });
  });
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED after a list’s resourceVersion', async () => {
    sim.addNode({ name: 'n1' });
    const list = await api.listNamespacedPod({ namespace });
    const seen: { type: string; name?: string; phase?: string }[] = [];
    const controller = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'app=runner' },
      (type, obj: V1Pod) => seen.push({ type, name: obj.metadata?.name, phase: obj.status?.phase }),
      () => undefined,
    );
    await api.createNamespacedPod({ namespace, body: runnerPod('w') });
    await api.createNamespacedPod({
      namespace,
      body: { ...runnerPod('other'), metadata: { name: 'other' } },
    });
    await vi.waitFor(() => expect(seen.some((e) => e.phase === 'Succeeded')).toBe(true));
    await api.deleteNamespacedPod({ namespace, name: 'w' });
    await vi.waitFor(() => expect(seen.at(-1)?.type).toBe('DELETED'));
    controller.abort();
    await vi.waitFor(() => expect(sim.control.openWatches()).toBe(0));

    expect(seen[0]).toEqual({ type: 'ADDED', name: 'w', phase: 'Pending' });
    expect(seen.slice(1, -1).every((e) => e.type === 'MODIFIED' && e.name === 'w')).toBe(true);
    expect(seen.map((e) => e.phase)).toContain('Running');
    expect(seen.some((e) => e.name === 'other')).toBe(false);
  });

  it('drops objects that stop matching a field selector, and feeds an informer through a reconnect', async () => {
    sim.addNode({ name: 'n1' });
    // makeInformer takes no field selector in 1.4; ListWatch (what it builds) does.
    const informer = new ListWatch<V1Pod>(
      `/api/v1/namespaces/${namespace}/pods`,
      new Watch(kc),
      () => api.listNamespacedPod({ namespace, fieldSelector: 'status.phase!=Succeeded' }),
      false,
      undefined,
      'status.phase!=Succeeded',
    );
    const added: string[] = [];
    const deleted: string[] = [];
    informer.on('add', (pod) => added.push(pod.metadata?.name ?? ''));
    informer.on('delete', (pod) => deleted.push(pod.metadata?.name ?? ''));
    await informer.start();
    await api.createNamespacedPod({ namespace, body: runnerPod('i1') });
    // Succeeded takes it out of the selector: the watch reports DELETED.
    await vi.waitFor(() => expect(deleted).toEqual(['i1']));
    expect(added).toEqual(['i1']);
    expect(informer.list()).toEqual([]);

    // Cut the watch with a 410: the informer lists again and carries on.
    expect(sim.control.closeWatches({ expired: true })).toBeGreaterThan(0);
    sim.timings.containerRunsForever = true;
    await api.createNamespacedPod({ namespace, body: runnerPod('i2') });
    await vi.waitFor(() => expect(informer.list().map((p) => p.metadata?.name)).toContain('i2'));
    await informer.stop();
  });

  it('paginates lists, replays a watch from an older resourceVersion, and answers 410 once compacted', async () => {
    const before = (await api.listNamespacedPod({ namespace })).metadata?.resourceVersion;
    for (const name of ['p1', 'p2', 'p3'])
      await api.createNamespacedPod({ namespace, body: runnerPod(name) });
    const page1 = await api.listNamespacedPod({ namespace, limit: 2 });
    expect(page1.items.map((p) => p.metadata?.name)).toEqual(['p1', 'p2']);
    const page2 = await api.listNamespacedPod({
      namespace,
      limit: 2,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map((p) => p.metadata?.name)).toEqual(['p3']);
    expect(page2.metadata?._continue).toBeUndefined();

    const replayed: string[] = [];
    const replay = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { resourceVersion: before },
      (type, obj: V1Pod) => replayed.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    // The history since `before`: each creation, then the scheduler's Unschedulable updates.
    await vi.waitFor(() =>
      expect(replayed.filter((e) => e.startsWith('ADDED'))).toEqual([
        'ADDED p1',
        'ADDED p2',
        'ADDED p3',
      ]),
    );
    expect(replayed[0]).toBe('ADDED p1');
    replay.abort();

    sim.control.closeWatches({ expired: true });
    const errors: unknown[] = [];
    const stale = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { resourceVersion: before },
      (type, obj) => errors.push({ type, obj }),
      () => undefined,
    );
    await vi.waitFor(() =>
      expect(errors).toEqual([
        { type: 'ERROR', obj: expect.objectContaining({ code: 410, reason: 'Expired' }) },
      ]),
    );
    stale.abort();
  });
});
