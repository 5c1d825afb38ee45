import { readFileSync } from 'node:fs';
import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { IMAGE_RUNNER_VERSION, podOptionsSchema } from '../../src/config/pod-options.js';
import { loadRunnersConfig, type DockerMode, type PodOptions } from '../../src/config/runners.js';
import { boardCapacity, freeSlots } from '../../src/kube/capacity.js';
import { jitSecret, runnerPod, type RunnerPodSpec } from '../../src/kube/manifests.js';
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

const podOptions = (pod: Record<string, unknown> = {}): PodOptions => podOptionsSchema.parse(pod);
const spec = (pod: Record<string, unknown> = {}): RunnerPodSpec => ({
  name: 'rise-riscv-runner-abc',
  namespace: 'runners',
  board: 'scw-em-rv1',
  image: 'img:1',
  entityId: 42,
  entityName: 'acme',
  labels: ['ubuntu-24.04-riscv'],
  deployEnv: 'prod',
  activeDeadlineSeconds: 3600,
  pod: podOptions(pod),
});
const runnerOf = (p: V1Pod): V1Container => {
  expect(p.spec?.containers).toHaveLength(1);
  return p.spec!.containers[0]!;
};
const envOf = (p: V1Pod) =>
  Object.fromEntries(runnerOf(p).env!.map((e) => [e.name, e.value ?? e.valueFrom]));
const asRunner = { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001 };
const MODES: DockerMode[] = ['privileged', 'rootless', 'none'];

describe('runner pod manifest, every Docker mode', () => {
  it.each(MODES)(
    '%s: the contract, one container, the image entrypoint, JIT config from the Secret',
    (docker) => {
      const p = runnerPod(spec({ docker }));
      expect(p.metadata?.labels).toEqual({
        app: 'rise-riscv-runner',
        'riseproject.dev/board': 'scw-em-rv1',
        'riseproject.dev/entity-id': '42',
        'riseproject.dev/deploy-env': 'prod',
      });
      expect(p.spec).toMatchObject({
        restartPolicy: 'Never',
        activeDeadlineSeconds: 3600,
        terminationGracePeriodSeconds: 30,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        hostNetwork: false,
        nodeSelector: { 'riseproject.dev/board': 'scw-em-rv1' },
        tolerations: [
          { key: 'riseproject.dev/runner', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
        ],
      });
      expect(p.spec?.initContainers).toBeUndefined();
      expect(p.spec?.imagePullSecrets).toBeUndefined();
      const runner = runnerOf(p);
      expect(runner).toMatchObject({ name: 'runner', image: 'img:1' });
      // The image's tini + entrypoint run: nothing overrides them.
      expect(runner.command).toBeUndefined();
      expect(runner.args).toBeUndefined();
      expect(runner.env?.[0]).toEqual({
        name: 'RUNNER_JITCONFIG',
        valueFrom: { secretKeyRef: { name: 'rise-riscv-runner-abc', key: 'jitconfig' } },
      });
      expect(envOf(p)).toMatchObject({ RUNNER_VERSION: '2.335.1', DOCKER_MODE: docker });
      const slot = { 'riseproject.com/runner': '1', 'ephemeral-storage': '20Gi' };
      expect(runner.resources).toEqual({ requests: slot, limits: slot });
      expect(runner.securityContext).toMatchObject(asRunner);
      expect(runner.volumeMounts).toContainEqual({ name: 'work', mountPath: '/home/runner/_work' });
      expect(p.spec?.volumes).toContainEqual({ name: 'work', emptyDir: { sizeLimit: '20Gi' } });
    },
  );

  it('privileged: a privileged container, Docker data on an emptyDir at /var/lib/docker', () => {
    const p = runnerPod(spec({ docker: 'privileged', docker_mtu: 1400, docker_wait_seconds: 90 }));
    expect(runnerOf(p).securityContext).toEqual({
      ...asRunner,
      privileged: true,
      seccompProfile: { type: 'Unconfined' },
    });
    expect(p.spec?.hostUsers).toBeUndefined();
    expect(envOf(p)).toMatchObject({ DOCKER_MTU: '1400', RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '90' });
    expect(runnerOf(p).volumeMounts).toEqual([
      { name: 'work', mountPath: '/home/runner/_work' },
      { name: 'docker', mountPath: '/var/lib/docker' },
    ]);
    expect(p.spec?.volumes).toContainEqual({ name: 'docker', emptyDir: { sizeLimit: '20Gi' } });
  });

  it('rootless: a user-namespaced pod, and exactly the grants rootlesskit needs', () => {
    const p = runnerPod(spec({ docker: 'rootless', docker_storage: '30Gi', work_storage: '5Gi' }));
    expect(p.spec?.hostUsers).toBe(false);
    expect(p.spec?.hostNetwork).toBe(false);
    expect(runnerOf(p).securityContext).toEqual({
      ...asRunner,
      allowPrivilegeEscalation: true,
      capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
      procMount: 'Unmasked',
    });
    expect(runnerOf(p).securityContext?.privileged).toBeUndefined();
    expect(envOf(p)).toMatchObject({ DOCKER_MTU: '1450', RUNNER_WAIT_FOR_DOCKER_IN_SECONDS: '60' });
    expect(runnerOf(p).volumeMounts).toContainEqual({
      name: 'docker',
      mountPath: '/home/runner/.local',
    });
    expect(p.spec?.volumes).toEqual([
      { name: 'work', emptyDir: { sizeLimit: '5Gi' } },
      { name: 'docker', emptyDir: { sizeLimit: '30Gi' } },
    ]);
  });

  it('none: no capabilities, no escalation, RuntimeDefault seccomp, no Docker volume or variables', () => {
    const p = runnerPod(spec({ docker: 'none' }));
    expect(runnerOf(p).securityContext).toEqual({
      ...asRunner,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(p.spec?.hostUsers).toBeUndefined();
    expect(Object.keys(envOf(p))).toEqual(['RUNNER_JITCONFIG', 'RUNNER_VERSION', 'DOCKER_MODE']);
    expect(runnerOf(p).volumeMounts).toEqual([{ name: 'work', mountPath: '/home/runner/_work' }]);
    expect(p.spec?.volumes).toEqual([{ name: 'work', emptyDir: { sizeLimit: '20Gi' } }]);
  });

  it('adds the pool options: resources, node labels, tolerations, pull secrets, grace, env, host network', () => {
    const p = runnerPod(
      spec({
        host_network: true,
        ephemeral_storage: '40Gi',
        termination_grace_period_seconds: 120,
        runner_version: '2.336.0',
        resources: {
          requests: { cpu: 2, memory: '8Gi' },
          limits: { memory: '12Gi', 'smarter-devices/fuse': 1 },
        },
        node_selector: { 'riseproject.dev/rvv': 'true' },
        tolerations: [
          { key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
        ],
        image_pull_secrets: ['ghcr'],
        env: { FOO: 'bar' },
      }),
    );
    expect(p.spec).toMatchObject({
      hostNetwork: true,
      terminationGracePeriodSeconds: 120,
      imagePullSecrets: [{ name: 'ghcr' }],
      nodeSelector: { 'riseproject.dev/rvv': 'true', 'riseproject.dev/board': 'scw-em-rv1' },
    });
    expect(p.spec?.tolerations).toEqual([
      { key: 'riseproject.dev/runner', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      { key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
    ]);
    expect(runnerOf(p).resources).toEqual({
      requests: {
        cpu: '2',
        memory: '8Gi',
        'riseproject.com/runner': '1',
        'ephemeral-storage': '40Gi',
      },
      limits: {
        memory: '12Gi',
        'smarter-devices/fuse': '1',
        'riseproject.com/runner': '1',
        'ephemeral-storage': '40Gi',
      },
    });
    expect(envOf(p)).toMatchObject({ RUNNER_VERSION: '2.336.0', FOO: 'bar' });
    // Volumes default to the pod's whole budget.
    expect(p.spec?.volumes?.map((v) => v.emptyDir?.sizeLimit)).toEqual(['40Gi', '40Gi']);
  });

  it('never puts the JIT config in the pod, and puts it base64 in the Secret', () => {
    const jit = 'c2VjcmV0LWppdC1jb25maWc=';
    for (const docker of MODES)
      expect(JSON.stringify(runnerPod(spec({ docker })))).not.toContain(jit);
    const secret = jitSecret(spec(), jit);
    expect(Buffer.from(secret.data!.jitconfig!, 'base64').toString()).toBe(jit);
  });

  it('renders every shipped pool and override as privileged Docker on the pod network', () => {
    const config = loadRunnersConfig('config/runners.yaml');
    expect(config.warnings).toEqual([]);
    for (const pool of [...config.pools, ...config.overrides]) {
      const p = runnerPod({ ...spec(), board: pool.board, image: pool.image, pod: pool.pod });
      expect(runnerOf(p).securityContext?.privileged).toBe(true);
      expect(p.spec).toMatchObject({
        hostNetwork: false,
        nodeSelector: { 'riseproject.dev/board': pool.board },
      });
      expect(envOf(p)).toMatchObject({ DOCKER_MODE: 'privileged', DOCKER_MTU: '1450' });
    }
  });

  it('agrees with the image: its runner version and the variables its entrypoint reads', () => {
    const dockerfile = readFileSync('images/runner/Dockerfile', 'utf8');
    expect(/^ARG RUNNER_VERSION=(\S+)$/m.exec(dockerfile)?.[1]).toBe(IMAGE_RUNNER_VERSION);
    const entrypoint = readFileSync('images/runner/entrypoint.sh', 'utf8');
    const names = new Set(
      MODES.flatMap((docker) => Object.keys(envOf(runnerPod(spec({ docker }))))),
    );
    for (const name of names) expect(entrypoint).toContain(`\${${name}`);
    // The entrypoint's rootless data root is under ~/.local (dockerd-rootless.sh's default).
    expect(entrypoint).not.toMatch(/--data-root/);
    expect(entrypoint).toMatch(/DOCKER_MODE:-privileged/);
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
