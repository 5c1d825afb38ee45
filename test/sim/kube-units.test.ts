/** The pure parts of the Kubernetes simulator: selectors, patches, quantities, the scheduler's decision. */
import { describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../src/sim/kube/api/patch.js';
import {
  matches,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  parseSelector,
} from '../../src/sim/kube/api/selectors.js';
import { parseQuantity, podRequests } from '../../src/sim/kube/kubelet/resources.js';
import { decide } from '../../src/sim/kube/kube-scheduler/decide.js';
import { nodeManifest } from '../../src/sim/kube/nodes.js';
import type { Node, Pod } from '../../src/sim/kube/state/types.js';
import { KubeError } from '../../src/sim/kube/errors.js';

describe('label selectors', () => {
  const labels = { app: 'runner', board: 'bpi', 'riseproject.dev/pool': 'p1' };
  it.each([
    ['', true],
    ['app=runner', true],
    ['app==runner', true],
    ['app!=runner', false],
    ['missing!=x', true],
    ['board in (bpi,vf2)', true],
    ['board notin (bpi)', false],
    ['missing notin (x)', true],
    ['riseproject.dev/pool', true],
    ['!riseproject.dev/pool', false],
    ['!missing', true],
    ['app=runner, board in (vf2, bpi), !missing', true],
    ['app=runner,board=vf2', false],
  ])('%s → %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('rejects what the API server rejects', () => {
    expect(() => parseLabelSelector('a in b')).toThrow(KubeError);
    expect(() => parseLabelSelector('a=(b)')).toThrow(KubeError);
  });
});

describe('field selectors', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '1', creationTimestamp: '' },
    spec: { containers: [] },
    status: { phase: 'Running' },
  } as unknown as Pod;
  it('matches = and != with unset fields as ""', () => {
    expect(
      matches(parseSelector('Pod', undefined, 'status.phase!=Succeeded,status.phase!=Failed'), pod),
    ).toBe(true);
    expect(matches(parseSelector('Pod', undefined, 'spec.nodeName='), pod)).toBe(true);
    expect(matches(parseSelector('Pod', undefined, 'metadata.name==q'), pod)).toBe(false);
  });
  it('supports only the fields a kind indexes', () => {
    expect(() => parseFieldSelector('Pod', 'spec.containers=x')).toThrow(
      'field label not supported',
    );
    expect(parseFieldSelector('Event', 'involvedObject.name=p')).toHaveLength(1);
  });
});

describe('patches', () => {
  it('merge patch: null deletes, objects merge, lists are replaced (RFC 7386)', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
    });
  });

  it('strategic merge patch merges keyed lists and finalizers, honours $patch: delete', () => {
    const target = {
      metadata: { finalizers: ['a'], ownerReferences: [{ uid: '1', name: 'x' }] },
      spec: { containers: [{ name: 'runner', image: 'old' }], tolerations: [{ key: 't' }] },
    };
    const patched = strategicMergePatch(target, {
      metadata: {
        finalizers: ['b'],
        ownerReferences: [{ uid: '1', $patch: 'delete' }, { uid: '2' }],
      },
      spec: { containers: [{ name: 'runner', image: 'new' }], tolerations: [{ key: 'u' }] },
    });
    expect(patched).toEqual({
      metadata: { finalizers: ['a', 'b'], ownerReferences: [{ uid: '2' }] },
      spec: { containers: [{ name: 'runner', image: 'new' }], tolerations: [{ key: 'u' }] },
    });
  });

  it('JSON patch: add, remove, replace, move, copy, test (RFC 6902)', () => {
    const doc = { a: { b: 1 }, l: [1, 2] };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/l/-', value: 3 },
      { op: 'add', path: '/l/0', value: 0 },
      { op: 'remove', path: '/l/1' },
      { op: 'copy', from: '/a/b', path: '/c' },
      { op: 'move', from: '/c', path: '/d' },
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'test', path: '/d', value: 1 },
    ]);
    expect(out).toEqual({ a: { b: 2 }, l: [0, 2, 3], d: 1 });
    expect(doc).toEqual({ a: { b: 1 }, l: [1, 2] });
    expect(() => jsonPatch(doc, [{ op: 'replace', path: '/nope', value: 1 }])).toThrow(KubeError);
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/a/b', value: 2 }])).toThrow('testing value');
  });
});

describe('resources and the scheduler', () => {
  it('parses quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('4Gi')).toBe(4 * 2 ** 30);
    expect(parseQuantity('1')).toBe(1);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('lots')).toBeNaN();
  });

  function pod(nodeSelector: Record<string, string>, runner = '1'): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', uid: 'u', resourceVersion: '1', creationTimestamp: '' },
      spec: {
        nodeSelector,
        initContainers: [
          {
            name: 'dind',
            image: 'docker',
            restartPolicy: 'Always',
            resources: { requests: { cpu: '1' } },
          },
        ],
        containers: [
          {
            name: 'runner',
            image: 'r',
            resources: { limits: { 'riseproject.com/runner': runner, cpu: '2' } },
          },
        ],
      },
      status: { phase: 'Pending' },
    };
  }
  function node(name: string, board: string, slots = 1): Node {
    const manifest = nodeManifest({ name, board, slots }, 1);
    return {
      ...manifest,
      metadata: {
        ...manifest.metadata,
        name,
        uid: name,
        resourceVersion: '1',
        creationTimestamp: '',
      },
    } as Node;
  }

  it('counts sidecars with the main containers and limits as requests', () => {
    expect(podRequests(pod({}).spec)).toEqual({ cpu: 3, 'riseproject.com/runner': 1 });
  });

  it('picks the least allocated fitting node and explains a failure like kube-scheduler', () => {
    const nodes = [node('a', 'bpi', 2), node('b', 'bpi', 2), node('c', 'vf2')];
    const usage = new Map([['a', { 'riseproject.com/runner': 1 }]]);
    const fit = decide(pod({ 'riseproject.dev/board': 'bpi' }), nodes, usage);
    expect('node' in fit && fit.node.metadata.name).toBe('b');

    const full = new Map([
      ['a', { 'riseproject.com/runner': 2 }],
      ['b', { 'riseproject.com/runner': 2 }],
    ]);
    const none = decide(pod({ 'riseproject.dev/board': 'bpi' }), nodes, full);
    expect(none).toEqual({
      message:
        "0/3 nodes are available: 2 Insufficient riseproject.com/runner, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    });
  });
});
