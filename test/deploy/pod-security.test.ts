/**
 * Pod Security: the runner namespace enforces exactly the lowest Pod Security Standards level
 * that admits the runner pod of every pool (rendered by the real src/kube/manifests.ts from the
 * rendered runners ConfigMap), and the app's namespace enforces restricted, which its pods meet.
 */
import { describe, expect, it } from 'vitest';
import { OVERLAYS, find, podTemplate, render } from './kustomize.js';
import {
  LEVELS,
  baselineViolations,
  enforcedLevel,
  lowestLevel,
  violations,
  type Level,
} from './pss.js';
import { runnerPods } from './runner-pods.js';

const RUNNER_TAINT = { key: 'riseproject.dev/runner', value: 'true', effect: 'NoSchedule' };

const strictest = (levels: Level[]): Level =>
  levels.reduce<Level>((a, b) => (LEVELS.indexOf(b) > LEVELS.indexOf(a) ? b : a), 'restricted');

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  it('rise-runners enforces the lowest level that admits every pool (lower it when pools allow)', () => {
    const pods = runnerPods(overlay);
    expect(pods.length).toBeGreaterThan(0);
    const needed = strictest(pods.map((p) => lowestLevel(p.pod)));
    const ns = find(render(overlay), 'Namespace', 'rise-runners');
    expect(enforcedLevel(ns)).toBe(needed);
    for (const { labels, pod } of pods) {
      expect({ labels, refused: violations(enforcedLevel(ns), pod) }).toEqual({
        labels,
        refused: [],
      });
      // Runner nodes are tainted: every runner pod tolerates exactly that taint.
      expect(pod.spec?.tolerations).toContainEqual(expect.objectContaining(RUNNER_TAINT));
    }
    // Warnings and audit at baseline say which pods are above it.
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/warn': 'baseline',
      'pod-security.kubernetes.io/audit': 'baseline',
    });
  });

  it("rise enforces restricted, and the app's pods meet it", () => {
    const objects = render(overlay);
    expect(enforcedLevel(find(objects, 'Namespace', 'rise'))).toBe('restricted');
    const workloads = objects.filter(
      (o) => ['Deployment', 'Job'].includes(o.kind) && o.metadata.namespace === 'rise',
    );
    expect(workloads).toHaveLength(3);
    for (const o of workloads) {
      expect({ name: o.metadata.name, refused: violations('restricted', podTemplate(o)) }).toEqual({
        name: o.metadata.name,
        refused: [],
      });
    }
  });

  it('no app pod tolerates the runner taint or may land on a RISC-V board', () => {
    const objects = render(overlay);
    for (const o of objects.filter((x) => ['Deployment', 'Job'].includes(x.kind))) {
      const spec = podTemplate(o).spec;
      expect(spec.tolerations ?? []).not.toContainEqual(
        expect.objectContaining({ key: RUNNER_TAINT.key }),
      );
      expect(JSON.stringify(spec.affinity)).toContain('"operator":"NotIn","values":["riscv64"]');
    }
  });
});

describe('the evaluator', () => {
  const base = {
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'c',
          image: 'i',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes: [{ name: 'work', emptyDir: {} }],
    },
  };
  const with_ = (f: (p: typeof base & { spec: Record<string, unknown> }) => void) => {
    const p = structuredClone(base) as typeof base & { spec: Record<string, unknown> };
    f(p);
    return p;
  };

  it('admits a hardened pod at restricted', () => {
    expect(lowestLevel(base)).toBe('restricted');
  });

  it('refuses a privileged container at baseline (and so at restricted)', () => {
    const privileged = with_((p) => {
      (p.spec.containers[0]!.securityContext as Record<string, unknown>).privileged = true;
    });
    expect(baselineViolations(privileged)).toEqual([
      'spec.containers[0] (c).securityContext.privileged: must be false',
    ]);
    expect(violations('restricted', privileged)).not.toEqual([]);
    expect(lowestLevel(privileged)).toBe('privileged');
  });

  it.each([
    ['hostNetwork', (p: any) => (p.spec.hostNetwork = true)],
    ['hostPID', (p: any) => (p.spec.hostPID = true)],
    ['hostIPC', (p: any) => (p.spec.hostIPC = true)],
    ['hostPath', (p: any) => p.spec.volumes.push({ name: 'h', hostPath: { path: '/' } })],
    [
      'capability',
      (p: any) => (p.spec.containers[0].securityContext.capabilities.add = ['SYS_ADMIN']),
    ],
    ['hostPort', (p: any) => (p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80 }])],
    ['procMount', (p: any) => (p.spec.containers[0].securityContext.procMount = 'Unmasked')],
    [
      'sysctl',
      (p: any) => (p.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]),
    ],
    ['seccomp', (p: any) => (p.spec.securityContext.seccompProfile = { type: 'Unconfined' })],
  ])('%s breaks baseline', (_name, change) => {
    expect(lowestLevel(with_(change))).toBe('privileged');
  });

  it.each([
    [
      'escalation allowed',
      (p: any) => delete p.spec.containers[0].securityContext.allowPrivilegeEscalation,
    ],
    ['root allowed', (p: any) => delete p.spec.securityContext.runAsNonRoot],
    ['no seccomp profile', (p: any) => delete p.spec.securityContext.seccompProfile],
    ['capabilities kept', (p: any) => (p.spec.containers[0].securityContext.capabilities = {})],
    [
      'a baseline capability added',
      (p: any) => (p.spec.containers[0].securityContext.capabilities.add = ['CHOWN']),
    ],
    [
      'a hostPath-free but non-restricted volume',
      (p: any) => p.spec.volumes.push({ name: 'n', nfs: { server: 's', path: '/' } }),
    ],
  ])('%s: baseline, not restricted', (_name, change) => {
    expect(lowestLevel(with_(change))).toBe('baseline');
  });
});
