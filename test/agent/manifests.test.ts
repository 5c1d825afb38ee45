/**
 * The node agent's DaemonSets (deploy/base/node-agent) as the cluster will read them: what the
 * issue asks of them, and a pre-pull init container for every runner image the pools use.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const DIR = 'deploy/base/node-agent';
const docs = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS()));
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const daemonSet = (name: string) => byKind('DaemonSet').find((d) => d.metadata.name === name);

describe('node agent manifests', () => {
  it('lists every manifest in its kustomization', () => {
    const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'));
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it.each(['rise-device-plugin', 'rise-node-labeller'])(
    '%s runs on every RISC-V node, critical, bounded',
    (name) => {
      const spec = daemonSet(name).spec.template.spec;
      expect(spec.nodeSelector).toEqual({ 'kubernetes.io/arch': 'riscv64' });
      expect(spec.priorityClassName).toBe('system-node-critical');
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(c.resources.requests).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(c.resources.limits).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      }
    },
  );

  it('gives the labeller get and patch on nodes, and nothing else', () => {
    expect(byKind('ClusterRole').map((r) => r.rules)).toEqual([
      [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
    ]);
    const binding = byKind('ClusterRoleBinding')[0];
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'rise-node-labeller', namespace: 'kube-system' },
    ]);
    expect(daemonSet('rise-node-labeller').spec.template.spec.serviceAccountName).toBe(
      'rise-node-labeller',
    );
    expect(daemonSet('rise-device-plugin').spec.template.spec.automountServiceAccountToken).toBe(
      false,
    );
  });

  it('mounts the device tree and cpuinfo read-only and the plugin directory from the host', () => {
    const labeller = daemonSet('rise-node-labeller').spec.template.spec;
    const mounts = labeller.containers[0].volumeMounts;
    for (const name of ['firmware', 'cpuinfo']) {
      expect(mounts.find((m: any) => m.name === name).readOnly).toBe(true);
    }
    expect(labeller.volumes.find((v: any) => v.name === 'cpuinfo').hostPath).toEqual({
      path: '/proc/cpuinfo',
      type: 'File',
    });
    expect(labeller.containers[0].env).toEqual([
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
    const plugin = daemonSet('rise-device-plugin').spec.template.spec;
    expect(plugin.volumes.find((v: any) => v.name === 'device-plugins').hostPath.path).toBe(
      '/var/lib/kubelet/device-plugins',
    );
  });

  it('pre-pulls every runner image of the pools before the plugin offers a slot', () => {
    const runners = parse(readFileSync('config/runners.yaml', 'utf8'));
    const images = new Set<string>(
      [...runners.pools, ...(runners.overrides ?? [])].map((p: { image: string }) => p.image),
    );
    const init = daemonSet('rise-device-plugin').spec.template.spec.initContainers;
    expect(new Set(init.map((c: any) => c.image))).toEqual(images);
    for (const c of init) expect(c.imagePullPolicy).toBe('Always');
  });
});
