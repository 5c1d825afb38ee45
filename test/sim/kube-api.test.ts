/**
 * The simulated Kubernetes API as the real @kubernetes/client-node 1.4 sees it over HTTP:
 * routes, selectors, errors, patches, secrets and garbage collection (watches: kube-watch.test.ts).
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { ApiException, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createKubeSim, type KubeSim, type KubeSimOptions } from '../../src/sim/kube/index.js';
import { connectKubeSim, runnerPod } from '../helpers/kube-sim.js';

let sim: KubeSim;
let api: CoreV1Api;
let url: string;

async function start(options: KubeSimOptions = {}): Promise<void> {
  sim = createKubeSim({ timings: { imagePullMs: 1, containerRunMs: 20 }, ...options });
  ({ url, api } = await connectKubeSim(sim));
}

async function apiError(
  promise: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<string>;
    return { code: e.code, body: JSON.parse(e.body) as Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
}

const namespace = 'default';

beforeEach(async () => {
  await start();
});
afterEach(async () => {
  await sim.close();
});

describe('nodes', () => {
  it('lists nodes by label selector and reads one', async () => {
    sim.addNode({ name: 'bpi-1', board: 'bananapi-f3' });
    sim.addNode({ name: 'bpi-2', board: 'bananapi-f3', slots: 2 });
    sim.addNode({ name: 'vf2-1', board: 'visionfive2' });

    const all = await api.listNode();
    expect(all.items.map((n) => n.metadata?.name)).toEqual(['bpi-1', 'bpi-2', 'vf2-1']);
    expect(all.metadata?.resourceVersion).toMatch(/^\d+$/);

    const bpi = await api.listNode({ labelSelector: 'riseproject.dev/board=bananapi-f3' });
    expect(bpi.items.map((n) => n.metadata?.name)).toEqual(['bpi-1', 'bpi-2']);
    const notBpi = await api.listNode({
      labelSelector: 'riseproject.dev/board notin (bananapi-f3)',
    });
    expect(notBpi.items.map((n) => n.metadata?.name)).toEqual(['vf2-1']);
    const named = await api.listNode({ fieldSelector: 'metadata.name=bpi-2' });
    expect(named.items).toHaveLength(1);

    const node = await api.readNode({ name: 'bpi-2' });
    expect(node.status?.allocatable?.['riseproject.com/runner']).toBe('2');
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.metadata?.labels?.['kubernetes.io/arch']).toBe('riscv64');
  });

  it('cordons a node with a merge patch and answers 404 for an unknown one', async () => {
    sim.addNode({ name: 'bpi-1', board: 'bananapi-f3' });
    const patched = await api.patchNode(
      {
        name: 'bpi-1',
        body: { spec: { unschedulable: true }, metadata: { labels: { drain: 'yes' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.spec?.unschedulable).toBe(true);
    expect(patched.metadata?.labels?.drain).toBe('yes');
    expect(patched.metadata?.labels?.['riseproject.dev/board']).toBe('bananapi-f3');
    expect((await api.listNode({ fieldSelector: 'spec.unschedulable=true' })).items).toHaveLength(
      1,
    );

    const missing = await apiError(api.readNode({ name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });
});

describe('pods', () => {
  it('creates, reads, lists with label and field selectors, and deletes', async () => {
    const created = await api.createNamespacedPod({
      namespace,
      body: runnerPod('a', { labels: { board: 'x' } }),
    });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status?.phase).toBe('Pending');
    expect(created.spec?.containers[0]?.resources?.requests?.['riseproject.com/runner']).toBe('1');
    await api.createNamespacedPod({ namespace, body: runnerPod('b', { labels: { board: 'y' } }) });
    await api.createNamespacedPod({ namespace: 'other', body: runnerPod('c') });

    const got = await api.readNamespacedPod({ namespace, name: 'a' });
    expect(got.metadata?.uid).toBe(created.metadata?.uid);

    const byLabel = await api.listNamespacedPod({
      namespace,
      labelSelector: 'app=runner,board!=y',
    });
    expect(byLabel.items.map((p) => p.metadata?.name)).toEqual(['a']);
    const byIn = await api.listNamespacedPod({ namespace, labelSelector: 'board in (x, y)' });
    expect(byIn.items).toHaveLength(2);
    const withoutBoard = await api.listPodForAllNamespaces({ labelSelector: '!board' });
    expect(withoutBoard.items.map((p) => p.metadata?.name)).toEqual(['c']);
    const pending = await api.listPodForAllNamespaces({
      fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed,spec.nodeName=',
    });
    expect(pending.items).toHaveLength(3);
    const byName = await api.listNamespacedPod({ namespace, fieldSelector: 'metadata.name=b' });
    expect(byName.items.map((p) => p.metadata?.name)).toEqual(['b']);

    const deleted = await api.deleteNamespacedPod({ namespace, name: 'a' });
    expect(deleted.metadata?.name).toBe('a');
    expect((await apiError(api.readNamespacedPod({ namespace, name: 'a' }))).code).toBe(404);
    expect((await apiError(api.deleteNamespacedPod({ namespace, name: 'a' }))).code).toBe(404);
  });

  it('answers 409 AlreadyExists, 422 Invalid, 400 on bad selectors and 401 without the token', async () => {
    await api.createNamespacedPod({ namespace, body: runnerPod('dup') });
    const dup = await apiError(api.createNamespacedPod({ namespace, body: runnerPod('dup') }));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      reason: 'AlreadyExists',
      details: { name: 'dup', kind: 'pods' },
    });

    const tooLong = await apiError(
      api.createNamespacedPod({ namespace, body: runnerPod('x'.repeat(64)) }),
    );
    expect(tooLong.code).toBe(422);
    expect(tooLong.body.reason).toBe('Invalid');
    const upper = await apiError(api.createNamespacedPod({ namespace, body: runnerPod('Runner') }));
    expect(upper.code).toBe(422);
    const noContainers = await apiError(
      api.createNamespacedPod({
        namespace,
        body: { metadata: { name: 'empty' }, spec: { containers: [] } },
      }),
    );
    expect(noContainers.body).toMatchObject({
      reason: 'Invalid',
      details: { causes: [{ field: 'spec.containers', reason: 'FieldValueRequired' }] },
    });

    const generated = await api.createNamespacedPod({
      namespace,
      body: { ...runnerPod(''), metadata: { generateName: 'runner-' } },
    });
    expect(generated.metadata?.name).toMatch(/^runner-[a-z0-9]{5}$/);

    expect(
      (await apiError(api.listNamespacedPod({ namespace, labelSelector: 'a in b' }))).code,
    ).toBe(400);
    const field = await apiError(
      api.listNamespacedPod({ namespace, fieldSelector: 'spec.image=x' }),
    );
    expect(field.code).toBe(400);

    const res = await fetch(`${url}/api/v1/namespaces/default/pods`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('patches labels with merge, strategic merge and JSON patch, and keeps the spec immutable', async () => {
    await api.createNamespacedPod({ namespace, body: runnerPod('p') });
    const merged = await api.patchNamespacedPod(
      { namespace, name: 'p', body: { metadata: { labels: { state: 'busy', app: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ state: 'busy' });

    const owner = { apiVersion: 'v1', kind: 'Secret', name: 's', uid: 'u-1' };
    const strategic = await api.patchNamespacedPod(
      {
        namespace,
        name: 'p',
        body: { metadata: { ownerReferences: [owner], annotations: { a: '1' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.metadata?.ownerReferences).toEqual([owner]);
    const added = await api.patchNamespacedPod(
      {
        namespace,
        name: 'p',
        body: { metadata: { ownerReferences: [{ ...owner, name: 't', uid: 'u-2' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(added.metadata?.ownerReferences?.map((r) => r.uid)).toEqual(['u-1', 'u-2']);

    // client-node's default for PATCH is a JSON patch.
    const jsonPatched = await api.patchNamespacedPod({
      namespace,
      name: 'p',
      body: [
        { op: 'test', path: '/metadata/labels/state', value: 'busy' },
        { op: 'replace', path: '/metadata/labels/state', value: 'idle' },
        { op: 'add', path: '/metadata/labels/riseproject.dev~1job', value: '42' },
      ],
    });
    expect(jsonPatched.metadata?.labels).toEqual({ state: 'idle', 'riseproject.dev/job': '42' });
    expect(Number(jsonPatched.metadata?.resourceVersion)).toBeGreaterThan(
      Number(merged.metadata?.resourceVersion),
    );

    const failedTest = await apiError(
      api.patchNamespacedPod({
        namespace,
        name: 'p',
        body: [{ op: 'test', path: '/metadata/labels/state', value: 'busy' }],
      }),
    );
    expect(failedTest.code).toBe(422);

    const immutable = await apiError(
      api.patchNamespacedPod(
        { namespace, name: 'p', body: { spec: { restartPolicy: 'Always' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(immutable.code).toBe(422);

    const stale = await apiError(
      api.patchNamespacedPod(
        { namespace, name: 'p', body: { metadata: { resourceVersion: '1', labels: { x: 'y' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
  });
});

describe('secrets', () => {
  it('creates, reads, lists, replaces, patches and deletes', async () => {
    const created = await api.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'jit', labels: { app: 'runner' } },
        stringData: { config: 'abc' },
      },
    });
    expect(created.type).toBe('Opaque');
    expect(created.data?.config).toBe(Buffer.from('abc').toString('base64'));
    expect((created as Record<string, unknown>).stringData).toBeUndefined();

    const dup = await apiError(
      api.createNamespacedSecret({ namespace, body: { metadata: { name: 'jit' } } }),
    );
    expect(dup.code).toBe(409);

    const listed = await api.listNamespacedSecret({ namespace, labelSelector: 'app=runner' });
    expect(listed.items.map((s) => s.metadata?.name)).toEqual(['jit']);

    const replaced = await api.replaceNamespacedSecret({
      namespace,
      name: 'jit',
      body: { metadata: { name: 'jit', labels: { app: 'runner' } }, data: { config: 'eHl6' } },
    });
    expect(replaced.data).toEqual({ config: 'eHl6' });
    const stale = await apiError(
      api.replaceNamespacedSecret({
        namespace,
        name: 'jit',
        body: { metadata: { name: 'jit', resourceVersion: created.metadata?.resourceVersion } },
      }),
    );
    expect(stale.code).toBe(409);

    const patched = await api.patchNamespacedSecret(
      { namespace, name: 'jit', body: { stringData: { extra: 'e' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(Object.keys(patched.data ?? {}).sort()).toEqual(['config', 'extra']);

    const deleted = await api.deleteNamespacedSecret({ namespace, name: 'jit' });
    expect(deleted.status).toBe('Success');
    expect((await apiError(api.readNamespacedSecret({ namespace, name: 'jit' }))).code).toBe(404);
  });

  it('are garbage-collected with the pod that owns them', async () => {
    const pod = await api.createNamespacedPod({ namespace, body: runnerPod('owner') });
    const ownerReferences = [
      { apiVersion: 'v1', kind: 'Pod', name: 'owner', uid: pod.metadata!.uid!, controller: true },
    ];
    await api.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'owned', ownerReferences } },
    });
    await api.createNamespacedSecret({ namespace, body: { metadata: { name: 'free' } } });
    await api.deleteNamespacedPod({ namespace, name: 'owner' });
    expect((await apiError(api.readNamespacedSecret({ namespace, name: 'owned' }))).code).toBe(404);
    expect((await api.readNamespacedSecret({ namespace, name: 'free' })).metadata?.name).toBe(
      'free',
    );

    // An owner that is already gone makes the new object garbage at once.
    await api.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'late', ownerReferences } },
    });
    await vi.waitFor(async () => {
      expect((await apiError(api.readNamespacedSecret({ namespace, name: 'late' }))).code).toBe(
        404,
      );
    });
  });
});
