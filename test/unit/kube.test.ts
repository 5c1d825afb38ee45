import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { boardCapacity, freeSlots } from '../../src/kube/capacity.js';
import { jitSecret, runnerPod } from '../../src/kube/manifests.js';
import { podStatus } from '../../src/kube/pod-status.js';

const node = (
  name: string,
  board: string,
  opts: { slots?: string; ready?: boolean; cordoned?: boolean } = {},
): V1Node => ({
  metadata: { name, labels: { 'riseproject.dev/board': board } },
  spec: { unschedulable: opts.cordoned ?? false },
  status: {
    allocatable: { 'riseproject.com/runner': opts.slots ?? '1' },
    conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
  },
});
const pod = (
  name: string,
  opts: { node?: string; board?: string; phase?: string; runner?: boolean } = {},
): V1Pod => ({
  metadata: { name },
  spec: {
    nodeName: opts.node,
    nodeSelector: opts.board ? { 'riseproject.dev/board': opts.board } : undefined,
    containers: [
      {
        name: 'c',
        resources: opts.runner === false ? {} : { limits: { 'riseproject.com/runner': '1' } },
      },
    ],
  },
  status: { phase: opts.phase ?? 'Running' },
});

describe('board capacity', () => {
  it('counts slots of ready, schedulable nodes of the board only', () => {
    const nodes = [
      node('a', 'b1'),
      node('b', 'b1', { slots: '2' }),
      node('c', 'b1', { ready: false }),
      node('d', 'b1', { cordoned: true }),
      node('e', 'b2'),
    ];
    expect(boardCapacity('b1', nodes, []).slots).toBe(3);
  });

  it('counts pods holding or waiting for a slot, of any owner, and not finished ones', () => {
    const nodes = [node('a', 'b1'), node('b', 'b1'), node('c', 'b1'), node('x', 'b2')];
    const pods = [
      pod('ours-running', { node: 'a' }),
      pod('foreign', { node: 'b' }),
      pod('done', { node: 'c', phase: 'Succeeded' }),
      pod('waiting', { board: 'b1', phase: 'Pending' }),
      pod('other-board', { node: 'x' }),
      pod('no-resource', { node: 'c', runner: false }),
    ];
    const cap = boardCapacity('b1', nodes, pods);
    expect([...cap.occupants.keys()].sort()).toEqual(['foreign', 'ours-running', 'waiting']);
    // Reserved workers without pods yet count too; names seen both ways count once.
    expect(freeSlots(cap, ['ours-running', 'reserved'])).toBe(0);
    expect(
      freeSlots(boardCapacity('b1', [...nodes, node('d', 'b1'), node('e', 'b1')], pods), [
        'ours-running',
        'reserved',
      ]),
    ).toBe(1);
  });
});

describe('runner pod manifest', () => {
  const spec = {
    name: 'rise-riscv-runner-abc',
    namespace: 'runners',
    board: 'scw-em-rv1',
    image: 'img:1',
    entityId: 42,
    entityName: 'acme',
    labels: ['ubuntu-24.04-riscv'],
    deployEnv: 'prod',
    activeDeadlineSeconds: 3600,
    pod: {
      host_network: true,
      privileged: false,
      docker_in_docker: true,
      ephemeral_storage: '20Gi',
      env: { FOO: 'bar' },
    },
  };

  it('follows the contract: selector, one runner slot, never restarted, no token, deadline, labels', () => {
    const p = runnerPod(spec);
    expect(p.metadata?.labels).toEqual({
      app: 'rise-riscv-runner',
      'riseproject.dev/board': 'scw-em-rv1',
      'riseproject.dev/entity-id': '42',
      'riseproject.dev/deploy-env': 'prod',
    });
    expect(p.spec).toMatchObject({
      restartPolicy: 'Never',
      activeDeadlineSeconds: 3600,
      automountServiceAccountToken: false,
      hostNetwork: true,
      nodeSelector: { 'riseproject.dev/board': 'scw-em-rv1' },
    });
    const runner = p.spec!.containers[0]!;
    expect(runner.resources?.limits).toEqual({
      'riseproject.com/runner': '1',
      'ephemeral-storage': '20Gi',
    });
    expect(runner.env).toContainEqual({
      name: 'ACTIONS_RUNNER_INPUT_JITCONFIG',
      valueFrom: { secretKeyRef: { name: 'rise-riscv-runner-abc', key: 'jitconfig' } },
    });
    expect(runner.env).toContainEqual({ name: 'FOO', value: 'bar' });
    expect(p.spec!.initContainers?.[0]).toMatchObject({
      name: 'dind',
      restartPolicy: 'Always',
      securityContext: { privileged: true },
    });
  });

  it('never puts the JIT config in the pod, and puts it base64 in the Secret', () => {
    const jit = 'c2VjcmV0LWppdC1jb25maWc=';
    expect(JSON.stringify(runnerPod(spec))).not.toContain(jit);
    const secret = jitSecret(spec, jit);
    expect(Buffer.from(secret.data!.jitconfig!, 'base64').toString()).toBe(jit);
    expect(
      runnerPod({ ...spec, pod: { ...spec.pod, docker_in_docker: false } }).spec?.initContainers,
    ).toBeUndefined();
  });
});

describe('pod status', () => {
  it('takes running and finish times from the runner container', () => {
    const s = podStatus({
      metadata: { name: 'p' },
      spec: { nodeName: 'n1', containers: [] },
      status: {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'runner',
            ready: false,
            image: 'i',
            imageID: '',
            restartCount: 0,
            state: {
              terminated: {
                exitCode: 2,
                reason: 'Error',
                startedAt: new Date('2026-01-01T00:00:00Z'),
                finishedAt: new Date('2026-01-01T00:05:00Z'),
              },
            },
          },
        ],
      },
    });
    expect(s).toMatchObject({
      state: 'failed',
      node: 'n1',
      startedAt: new Date('2026-01-01T00:00:00Z'),
      finishedAt: new Date('2026-01-01T00:05:00Z'),
    });
    expect(s.containers[0]).toMatchObject({ exitCode: 2, reason: 'Error' });
  });
});
