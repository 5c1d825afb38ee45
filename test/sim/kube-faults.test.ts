/**
 * Faults of the simulated cluster (held pods, failing pulls, crashes, nodes going away, API
 * latency and errors), call counts, and the /_sim control routes, seen through client-node.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { ApiException, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKubeSim, type KubeSim, type KubeSimOptions } from '../../src/sim/kube/index.js';
import { connectKubeSim, runnerPod } from '../helpers/kube-sim.js';
import type { ContainerRuntime } from '../../src/sim/types.js';

const namespace = 'runners';
let sim: KubeSim;
let api: CoreV1Api;
let url: string;
const stopped: string[] = [];

/** Runner containers run until stopped; the log shows they started. */
const runtime: ContainerRuntime = {
  start(ctx, io) {
    if (ctx.containerName !== 'runner') return undefined;
    io.log('listening for jobs');
    return { stop: () => stopped.push(ctx.podName) };
  },
};

async function start(options: KubeSimOptions = {}): Promise<void> {
  stopped.length = 0;
  sim = createKubeSim({
    runtime,
    timings: { imagePullMs: 2, backoffMs: 5, backoffMaxMs: 20 },
    ...options,
  });
  ({ url, api } = await connectKubeSim(sim));
}

afterEach(async () => {
  await sim.close();
});

const read = (name: string) => api.readNamespacedPod({ namespace, name });
const create = (name: string, labels?: Record<string, string>) =>
  api.createNamespacedPod({ namespace, body: runnerPod(name, { board: 'b', labels }) });

async function failure(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    return (err as ApiException<string>).code;
  }
  throw new Error('expected the call to fail');
}

describe('pod faults', () => {
  it('holds the next pod, or pods matching a selector, Pending until released', async () => {
    await start();
    sim.addNode({ name: 'n1', board: 'b', slots: 4 });
    sim.control.holdPods({ count: 1 });
    sim.control.holdPods({ labelSelector: 'tier=slow' });
    await create('held');
    await create('free');
    await create('slow-1', { tier: 'slow' });
    await vi.waitFor(async () => expect((await read('free')).status?.phase).toBe('Running'));
    for (const name of ['held', 'slow-1']) {
      const pod = await read(name);
      expect(pod.spec?.nodeName).toBeUndefined();
      expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
        status: 'False',
        reason: 'Unschedulable',
      });
    }
    sim.control.releaseHeldPods('tier=slow');
    await vi.waitFor(async () => expect((await read('slow-1')).spec?.nodeName).toBe('n1'));
    expect((await read('held')).spec?.nodeName).toBeUndefined();
    sim.control.releaseHeldPods();
    await vi.waitFor(async () => expect((await read('held')).spec?.nodeName).toBe('n1'));
  });

  it('fails image pulls with ErrImagePull then ImagePullBackOff, and recovers after N attempts', async () => {
    await start();
    sim.addNode({ name: 'n1', board: 'b' });
    sim.addNode({ name: 'n2', board: 'b' });
    sim.control.failImagePulls({ labelSelector: 'pull=broken' });
    sim.control.failImagePulls({ labelSelector: 'pull=flaky', attempts: 2 });
    await create('broken', { pull: 'broken' });
    await create('flaky', { pull: 'flaky' });

    const waitingReasons = new Set<string>();
    await vi.waitFor(
      async () => {
        const reason = (await read('broken')).status?.containerStatuses?.[0]?.state?.waiting
          ?.reason;
        if (reason) waitingReasons.add(reason);
        expect([...waitingReasons]).toEqual(
          expect.arrayContaining(['ErrImagePull', 'ImagePullBackOff']),
        );
      },
      { interval: 2 },
    );
    expect((await read('broken')).status?.phase).toBe('Pending');
    await vi.waitFor(async () => expect((await read('flaky')).status?.phase).toBe('Running'));
    const events = await api.listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.name=flaky',
    });
    const messages = events.items.map((e) => `${e.reason}: ${e.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'Failed: Error: ErrImagePull',
        'BackOff: Back-off pulling image "ghcr.io/rise/runner:2.330.0"',
      ]),
    );
    expect(events.items.find((e) => e.reason === 'Pulling')?.count).toBe(3);
  });

  it('crashes a container with exit 1 and a log line after a delay', async () => {
    await start();
    sim.addNode({ name: 'n1', board: 'b' });
    sim.control.crashPods({ count: 1, afterMs: 10, logLine: 'runner lost its job' });
    await create('crashy');
    await vi.waitFor(async () => expect((await read('crashy')).status?.phase).toBe('Failed'));
    const terminated = (await read('crashy')).status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(await api.readNamespacedPodLog({ namespace, name: 'crashy' })).toBe(
      'listening for jobs\nrunner lost its job\n',
    );
    expect(stopped).toEqual(['crashy']);
  });
});

describe('node faults', () => {
  it('fails and deletes the pods of a removed node; NotReady nodes take no new pods', async () => {
    await start();
    sim.addNode({ name: 'n1', board: 'b' });
    await create('lost');
    await vi.waitFor(async () => expect((await read('lost')).status?.phase).toBe('Running'));
    sim.control.removeNode('n1');
    expect(await failure(read('lost'))).toBe(404);
    expect(stopped).toEqual(['lost']);

    sim.addNode({ name: 'n2', board: 'b' });
    sim.control.setNodeReady('n2', false);
    await create('waits');
    await vi.waitFor(async () => {
      const message = (await read('waits')).status?.conditions?.find(
        (c) => c.type === 'PodScheduled',
      )?.message;
      expect(message).toContain('node.kubernetes.io/not-ready');
    });
    sim.control.setNodeReady('n2', true);
    await vi.waitFor(async () => expect((await read('waits')).spec?.nodeName).toBe('n2'));
  });

  it('keeps a deleted running pod Terminating while its kubelet stops it', async () => {
    await start({ timings: { imagePullMs: 1, podTerminationMs: 30 } });
    sim.addNode({ name: 'n1', board: 'b' });
    await create('term');
    await vi.waitFor(async () => expect((await read('term')).status?.phase).toBe('Running'));
    const deleting = await api.deleteNamespacedPod({ namespace, name: 'term' });
    expect(deleting.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect((await read('term')).metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await vi.waitFor(async () => expect(await failure(read('term'))).toBe(404));
    expect(stopped).toEqual(['term']);
  });
});

describe('API faults and call counts', () => {
  it('injects latency and the next N errors per route key, and counts calls', async () => {
    await start({ namespaces: [namespace] });
    const createKey = 'POST /api/v1/namespaces/{namespace}/pods';
    sim.control.resetCallCounts();
    sim.control.failNext(createKey, { count: 2, status: 500 });
    expect(await failure(create('e1'))).toBe(500);
    expect(await failure(create('e1'))).toBe(500);
    await create('e1');
    sim.control.failNext(createKey, { status: 409, message: 'conflict' });
    expect(await failure(create('e2'))).toBe(409);

    sim.control.setLatency('GET /api/v1/namespaces/{namespace}/pods/{name}', 60);
    const before = Date.now();
    await read('e1');
    expect(Date.now() - before).toBeGreaterThanOrEqual(55);

    expect(
      await failure(
        api.createNamespacedPod({ namespace: 'nope', body: runnerPod('x', { board: 'b' }) }),
      ),
    ).toBe(404);
    const counts = sim.control.callCounts();
    expect(counts.byRoute[createKey]).toBe(5);
    expect(counts.byRoute['GET /api/v1/namespaces/{namespace}/pods/{name}']).toBe(1);
    expect(counts.total).toBe(6);
    sim.control.resetCallCounts();
    expect(sim.control.callCounts()).toEqual({ total: 0, byRoute: {} });
  });

  it('finishes deleting an object once its last finalizer is removed', async () => {
    await start();
    await api.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'fin', finalizers: ['rise/cleanup'] } },
    });
    await api.deleteNamespacedSecret({ namespace, name: 'fin' });
    const terminating = await api.readNamespacedSecret({ namespace, name: 'fin' });
    expect(terminating.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await api.patchNamespacedSecret(
      { namespace, name: 'fin', body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(await failure(api.readNamespacedSecret({ namespace, name: 'fin' }))).toBe(404);
  });
});

describe('/_sim control routes', () => {
  it('adds nodes, injects faults, reports state, calls and bindings over HTTP', async () => {
    await start();
    const post = (path: string, body: unknown) =>
      fetch(`${url}/_sim${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/nodes', { name: 'h1', board: 'b', slots: 1 })).status).toBe(201);
    expect((await post('/nodes', { board: 'b' })).status).toBe(400);
    expect((await post('/nodes/h1/cordon', {})).status).toBe(200);
    expect((await post('/nodes/missing/cordon', {})).status).toBe(404);
    expect((await post('/nodes/h1/uncordon', {})).status).toBe(200);
    expect((await post('/faults/errors', { route: 'GET /api/v1/nodes', status: 503 })).status).toBe(
      204,
    );
    expect(await failure(api.listNode())).toBe(503);
    expect((await api.listNode()).items).toHaveLength(1);

    await create('via-http');
    await vi.waitFor(async () => expect((await read('via-http')).status?.phase).toBe('Running'));
    const state = (await (await fetch(`${url}/_sim/state`)).json()) as { pods: unknown[] };
    expect(state.pods).toEqual([
      expect.objectContaining({ name: 'via-http', phase: 'Running', node: 'h1' }),
    ]);
    const calls = (await (await fetch(`${url}/_sim/calls`)).json()) as {
      byRoute: Record<string, number>;
    };
    expect(calls.byRoute['GET /api/v1/nodes']).toBe(2);
    const bindings = (await (
      await fetch(`${url}/_sim/bindings?labelSelector=app%3Drunner`)
    ).json()) as {
      maxConcurrentPodsPerNode: number;
    };
    expect(bindings.maxConcurrentPodsPerNode).toBe(1);
    expect((await fetch(`${url}/_sim/calls`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${url}/_sim/faults`, { method: 'DELETE' })).status).toBe(204);
  });
});
