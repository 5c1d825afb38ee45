/**
 * The simulated scheduler and kubelet, driven through the real @kubernetes/client-node over
 * HTTP, with a small ContainerRuntime standing in for the Actions service.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createKubeSim, type KubeSim } from '../../src/sim/kube/index.js';
import { connectKubeSim, runnerPod } from '../helpers/kube-sim.js';
import type {
  ContainerContext,
  ContainerHandle,
  ContainerIO,
  ContainerRuntime,
} from '../../src/sim/types.js';

/** Containers run until the test tells them to exit; everything they saw is kept. */
class TestRuntime implements ContainerRuntime {
  readonly started: ContainerContext[] = [];
  readonly stopped: string[] = [];
  private readonly running = new Map<string, ContainerIO>();

  start(ctx: ContainerContext, io: ContainerIO): ContainerHandle | undefined {
    if (ctx.containerName !== 'runner') return undefined;
    const key = `${ctx.podName}/${ctx.containerName}`;
    this.started.push(ctx);
    this.running.set(key, io);
    io.log(`runner ${ctx.podName} started on ${ctx.nodeName}`);
    return {
      stop: () => {
        this.stopped.push(key);
        this.running.delete(key);
      },
    };
  }

  exit(pod: string, code: number, container = 'runner'): void {
    const io = this.running.get(`${pod}/${container}`);
    if (!io) throw new Error(`${pod}/${container} is not running`);
    this.running.delete(`${pod}/${container}`);
    io.exit(code);
  }

  isRunning(pod: string, container = 'runner'): boolean {
    return this.running.has(`${pod}/${container}`);
  }
}

const namespace = 'runners';
let sim: KubeSim;
let api: CoreV1Api;
let runtime: TestRuntime;

beforeEach(async () => {
  runtime = new TestRuntime();
  sim = createKubeSim({
    runtime,
    timings: { imagePullMs: 2, backoffMs: 5, backoffMaxMs: 20, secondMs: 20 },
  });
  ({ api } = await connectKubeSim(sim));
});
afterEach(async () => {
  await sim.close();
});

const read = (name: string) => api.readNamespacedPod({ namespace, name });

async function phaseOf(name: string): Promise<string | undefined> {
  return (await read(name)).status?.phase;
}

async function reasons(name: string): Promise<string[]> {
  const events = await api.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return events.items.map((e) => e.reason ?? '');
}

describe('scheduling', () => {
  it('binds by nodeSelector, one runner pod per node, and holds the rest Unschedulable', async () => {
    sim.addNode({ name: 'bpi-1', board: 'bananapi-f3' });
    sim.addNode({ name: 'vf2-1', board: 'visionfive2' });
    await api.createNamespacedPod({ namespace, body: runnerPod('a', { board: 'bananapi-f3' }) });
    await api.createNamespacedPod({ namespace, body: runnerPod('b', { board: 'bananapi-f3' }) });
    await api.createNamespacedPod({ namespace, body: runnerPod('c', { board: 'visionfive2' }) });

    await vi.waitFor(() => expect(runtime.isRunning('a') && runtime.isRunning('c')).toBe(true));
    expect((await read('a')).spec?.nodeName).toBe('bpi-1');
    expect((await read('c')).spec?.nodeName).toBe('vf2-1');
    const b = await read('b');
    expect(b.spec?.nodeName).toBeUndefined();
    expect(b.status?.phase).toBe('Pending');
    const scheduled = b.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(scheduled).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(scheduled?.message).toContain('0/2 nodes are available');
    expect(scheduled?.message).toContain('1 Insufficient riseproject.com/runner');
    expect(scheduled?.message).toContain("1 node(s) didn't match Pod's node affinity/selector");
    expect(await reasons('b')).toContain('FailedScheduling');

    // When a finishes, b gets its node.
    runtime.exit('a', 0);
    await vi.waitFor(async () => expect((await read('b')).spec?.nodeName).toBe('bpi-1'));
    expect(await phaseOf('a')).toBe('Succeeded');
    await vi.waitFor(() => expect(runtime.isRunning('b')).toBe(true));
    expect(sim.control.maxConcurrentPodsPerNode('app=runner')).toBe(1);
    expect(sim.control.bindings().map((x) => [x.pod, x.node])).toEqual([
      ['a', 'bpi-1'],
      ['c', 'vf2-1'],
      ['b', 'bpi-1'],
    ]);
  });

  it('schedules a waiting pod when a node is added, uncordoned or becomes Ready', async () => {
    await api.createNamespacedPod({ namespace, body: runnerPod('p', { board: 'bananapi-f3' }) });
    await vi.waitFor(async () => expect(await reasons('p')).toContain('FailedScheduling'));
    const scheduledMessage = async () =>
      (await read('p')).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message;
    expect(await scheduledMessage()).toBe('no nodes available to schedule pods');

    sim.addNode({ name: 'bpi-1', board: 'bananapi-f3', ready: false });
    await vi.waitFor(async () => expect(await scheduledMessage()).toContain('not-ready'));
    sim.control.cordon('bpi-1');
    sim.control.setNodeReady('bpi-1', true);
    await vi.waitFor(async () => expect(await scheduledMessage()).toContain('were unschedulable'));
    sim.control.uncordon('bpi-1');
    await vi.waitFor(async () => expect((await read('p')).spec?.nodeName).toBe('bpi-1'));
  });

  it('fits several runner pods on a node with several slots, and deleting a pod frees its slot', async () => {
    sim.addNode({ name: 'big', board: 'sg2042', slots: 2 });
    for (const name of ['x', 'y', 'z']) {
      await api.createNamespacedPod({ namespace, body: runnerPod(name, { board: 'sg2042' }) });
    }
    await vi.waitFor(() => expect(runtime.isRunning('x') && runtime.isRunning('y')).toBe(true));
    expect((await read('z')).spec?.nodeName).toBeUndefined();
    await api.deleteNamespacedPod({ namespace, name: 'x' });
    expect(runtime.stopped).toContain('x/runner');
    await vi.waitFor(() => expect(runtime.isRunning('z')).toBe(true));
    expect(sim.control.maxConcurrentByNode()).toEqual({ big: 2 });
    expect(await reasons('x')).toContain('Killing');
  });
});

describe('containers', () => {
  it('resolves env from values and Secrets, waiting with CreateContainerConfigError until the Secret exists', async () => {
    sim.addNode({ name: 'bpi-1', board: 'bananapi-f3' });
    const body = runnerPod('env', { board: 'bananapi-f3' });
    body.spec!.containers[0]!.env = [
      { name: 'PLAIN', value: 'v' },
      { name: 'EXPANDED', value: 'x-$(PLAIN)' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      {
        name: 'RUNNER_JITCONFIG',
        valueFrom: { secretKeyRef: { name: 'env-jit', key: 'jitconfig' } },
      },
    ];
    body.spec!.containers[0]!.envFrom = [{ secretRef: { name: 'env-extra' }, prefix: 'X_' }];
    await api.createNamespacedPod({ namespace, body });

    await vi.waitFor(async () => {
      const status = (await read('env')).status?.containerStatuses?.[0];
      expect(status?.state?.waiting).toMatchObject({
        reason: 'CreateContainerConfigError',
        message: 'secret "env-extra" not found',
      });
    });
    await api.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'env-extra' }, stringData: { A: '1' } },
    });
    await vi.waitFor(async () => {
      const status = (await read('env')).status?.containerStatuses?.[0];
      expect(status?.state?.waiting?.message).toBe('secret "env-jit" not found');
    });
    await api.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'env-jit' }, data: { other: 'eA==' } },
    });
    await vi.waitFor(async () => {
      const status = (await read('env')).status?.containerStatuses?.[0];
      expect(status?.state?.waiting?.message).toBe(
        `couldn't find key jitconfig in Secret ${namespace}/env-jit`,
      );
    });
    await api.patchNamespacedSecret({
      namespace,
      name: 'env-jit',
      body: [
        {
          op: 'add',
          path: '/data/jitconfig',
          value: Buffer.from('eyJqaXQiOjF9').toString('base64'),
        },
      ],
    });
    await vi.waitFor(() => expect(runtime.isRunning('env')).toBe(true));
    expect(runtime.started[0]?.env).toEqual({
      X_A: '1',
      PLAIN: 'v',
      EXPANDED: 'x-v',
      POD: 'env',
      RUNNER_JITCONFIG: 'eyJqaXQiOjF9',
    });
    expect(runtime.started[0]).toMatchObject({
      namespace,
      podName: 'env',
      nodeName: 'bpi-1',
      labels: { app: 'runner' },
    });
    expect((await reasons('env')).filter((r) => r === 'Failed').length).toBeGreaterThanOrEqual(3);
  });

  it('records Running, then Succeeded or Failed with terminated states and timestamps', async () => {
    sim.addNode({ name: 'n1', board: 'b' });
    sim.addNode({ name: 'n2', board: 'b' });
    await api.createNamespacedPod({ namespace, body: runnerPod('ok', { board: 'b' }) });
    await api.createNamespacedPod({ namespace, body: runnerPod('bad', { board: 'b' }) });
    await vi.waitFor(() => expect(runtime.isRunning('ok') && runtime.isRunning('bad')).toBe(true));

    const running = await read('ok');
    expect(running.status?.phase).toBe('Running');
    expect(running.status?.startTime).toBeInstanceOf(Date);
    expect(running.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeInstanceOf(Date);
    expect(running.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    runtime.exit('ok', 0);
    runtime.exit('bad', 3);
    await vi.waitFor(async () => expect(await phaseOf('bad')).toBe('Failed'));
    const ok = await read('ok');
    expect(ok.status?.phase).toBe('Succeeded');
    const done = ok.status?.containerStatuses?.[0]?.state?.terminated;
    expect(done).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(done!.finishedAt!.getTime()).toBeGreaterThanOrEqual(done!.startedAt!.getTime());
    const failed = (await read('bad')).status?.containerStatuses?.[0]?.state?.terminated;
    expect(failed).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await api.readNamespacedPodLog({ namespace, name: 'ok' })).toBe(
      'runner ok started on n1\n',
    );
  });

  it('fails a pod whose activeDeadlineSeconds passes, and stops its container', async () => {
    sim.addNode({ name: 'n1', board: 'b' });
    await api.createNamespacedPod({
      namespace,
      body: runnerPod('slow', { board: 'b', spec: { activeDeadlineSeconds: 2 } }),
    });
    await vi.waitFor(async () => expect(await phaseOf('slow')).toBe('Failed'));
    const pod = await read('slow');
    expect(pod.status).toMatchObject({ reason: 'DeadlineExceeded' });
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(137);
    expect(runtime.stopped).toEqual(['slow/runner']);
    expect(await reasons('slow')).toEqual(expect.arrayContaining(['Killing', 'DeadlineExceeded']));
  });

  it('starts a native sidecar before the runner and stops it when the runner ends', async () => {
    sim.addNode({ name: 'n1', board: 'b' });
    const body = runnerPod('dind', {
      board: 'b',
      spec: {
        initContainers: [
          { name: 'init', image: 'busybox:1.36' },
          { name: 'dind', image: 'docker:27-dind', restartPolicy: 'Always' },
        ],
      },
    });
    await api.createNamespacedPod({ namespace, body });
    await vi.waitFor(() => expect(runtime.isRunning('dind')).toBe(true));
    const running = await read('dind');
    expect(running.status?.phase).toBe('Running');
    const [init, sidecar] = running.status?.initContainerStatuses ?? [];
    expect(init?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(sidecar?.state?.running).toBeDefined();

    runtime.exit('dind', 0);
    await vi.waitFor(async () => expect(await phaseOf('dind')).toBe('Succeeded'));
    const done = await read('dind');
    expect(done.status?.initContainerStatuses?.[1]?.state?.terminated?.reason).toBe('Completed');
  });

  it('restarts a container under restartPolicy OnFailure with CrashLoopBackOff', async () => {
    sim.addNode({ name: 'n1', board: 'b' });
    await api.createNamespacedPod({
      namespace,
      body: runnerPod('flaky', { board: 'b', spec: { restartPolicy: 'OnFailure' } }),
    });
    await vi.waitFor(() => expect(runtime.isRunning('flaky')).toBe(true));
    runtime.exit('flaky', 1);
    await vi.waitFor(() => expect(runtime.isRunning('flaky')).toBe(true));
    const restarted = (await read('flaky')).status?.containerStatuses?.[0];
    expect(restarted?.restartCount).toBe(1);
    expect(restarted?.lastState?.terminated?.exitCode).toBe(1);
    expect(await reasons('flaky')).toContain('BackOff');
    runtime.exit('flaky', 0);
    await vi.waitFor(async () => expect(await phaseOf('flaky')).toBe('Succeeded'));
  });

  it('runs containers no runtime takes for the configured time, then exits 0', async () => {
    sim.setRuntime(undefined);
    sim.timings.containerRunMs = 5;
    sim.addNode({ name: 'n1', board: 'b' });
    await api.createNamespacedPod({ namespace, body: runnerPod('plain', { board: 'b' }) });
    await vi.waitFor(async () => expect(await phaseOf('plain')).toBe('Succeeded'));
  });
});
