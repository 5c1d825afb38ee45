/**
 * deploy/: every overlay renders with the kubectl on this machine (kustomize built in), and every
 * object it renders is valid against the Kubernetes OpenAPI schemas. What differs between prod
 * and staging is exactly what should.
 */
import { describe, expect, it } from 'vitest';
import {
  OVERLAYS,
  configMap,
  find,
  ofKind,
  podTemplate,
  render,
  renderWith,
  type K8sObject,
} from './kustomize.js';
import { schemaProblems } from './schemas.js';

const WORKLOADS = ['Deployment', 'Job', 'DaemonSet', 'StatefulSet'];

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  it('renders the namespaces, the workloads and their config', () => {
    const objects = render(overlay);
    const names = (kind: string) => ofKind(objects, kind).map((o) => o.metadata.name);
    expect(names('Namespace').sort()).toEqual(['rise', 'rise-runners']);
    expect(names('Deployment').sort()).toEqual(['web', 'worker']);
    expect(names('Job')).toEqual(['release']);
    expect(names('Service')).toEqual(['web']);
    expect(names('PodDisruptionBudget').sort()).toEqual(['web', 'worker']);
    expect(names('NetworkPolicy')).toEqual(['rise-runners-isolation']);
    expect(configMap(objects, 'rise-runners-config').data['runners.yaml']).toContain('pools:');
    // No Secret is rendered: they are created from deploy/secrets.example.yaml's shape.
    expect(names('Secret')).toEqual([]);
  });

  it('validates every object against the Kubernetes OpenAPI schemas, with no unknown field', () => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(10);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('puts every namespaced object in one of the two namespaces', () => {
    const namespaced = render(overlay).filter(
      (o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind),
    );
    const outside = namespaced.filter(
      (o) => !['rise', 'rise-runners'].includes(o.metadata.namespace ?? ''),
    );
    // The node agent's objects (deploy/base/node-agent) may live in kube-system.
    expect(
      outside.filter((o) => o.metadata.namespace !== 'kube-system').map((o) => o.kind),
    ).toEqual([]);
    const runnerNs = namespaced.filter((o) => o.metadata.namespace === 'rise-runners');
    expect(runnerNs.map((o) => o.kind).sort()).toEqual(['NetworkPolicy', 'Role', 'RoleBinding']);
  });

  it('labels everything with its environment, and uses one image for every process', () => {
    const objects = render(overlay);
    expect(
      objects.filter((o) => o.metadata.labels?.['riseproject.dev/deploy-env'] !== overlay),
    ).toEqual([]);
    const images = new Set(
      objects
        .filter((o) => WORKLOADS.includes(o.kind) && o.metadata.namespace === 'rise')
        .flatMap((o) => {
          const spec = podTemplate(o).spec;
          return [...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.image);
        }),
    );
    expect([...images]).toEqual([
      `ghcr.io/riseproject-dev/rise-riscv-runners:${overlay === 'prod' ? '0.1.0' : 'staging'}`,
    ]);
  });
});

describe('what the overlays set', () => {
  const env = (objects: K8sObject[]) => configMap(objects, 'rise-env').data;

  it('DEPLOY_ENV and the schema follow the overlay', () => {
    for (const overlay of OVERLAYS) {
      expect(env(render(overlay))).toMatchObject({ DEPLOY_ENV: overlay, DB_SCHEMA: overlay });
    }
  });

  it('prod forwards staging entities to STAGING_URL; staging has none', () => {
    expect(env(render('prod')).STAGING_URL).toMatch(/^https:\/\/.+\/webhook$/);
    expect(env(render('staging')).STAGING_URL).toBeUndefined();
    expect(env(render('prod')).PUBLIC_URL).not.toBe(env(render('staging')).PUBLIC_URL);
  });

  it("each overlay excepts its own API server address from the runner pods' egress", () => {
    const apiServer = (overlay: (typeof OVERLAYS)[number]) => {
      const policy = find(render(overlay), 'NetworkPolicy', 'rise-runners-isolation');
      const egress = (policy.spec as { egress: { to: { ipBlock?: { except?: string[] } }[] }[] })
        .egress;
      return egress[0]!.to[0]!.ipBlock!.except!.at(-1);
    };
    expect(apiServer('prod')).toMatch(/^\d+\.\d+\.\d+\.\d+\/32$/);
    expect(apiServer('staging')).toMatch(/^\d+\.\d+\.\d+\.\d+\/32$/);
    expect(apiServer('prod')).not.toBe('192.0.2.1/32'); // the base's placeholder was replaced
  });
});

describe('the schema check itself', () => {
  it('reports wrong types, unknown fields and unknown kinds', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          spec: {
            terminationGracePeriod: 40, // a typo of terminationGracePeriodSeconds
            containers: [{ name: 'x', image: 'i', resources: { limits: { cpu: 'lots' } } }],
          },
        },
      },
    };
    const problems = schemaProblems(deployment);
    expect(problems.some((p) => p.includes('limits/cpu'))).toBe(true);
    expect(problems).toContain(
      'Deployment /x: unknown field .spec.template.spec.terminationGracePeriod',
    );
    expect(
      schemaProblems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toEqual(['Widget /w: no schema for example.com/v1 Widget']);
  });
});

describe('the setup-check component', () => {
  it('lends web the App keys, and only web; without it web has none', () => {
    const secretsOf = (objects: K8sObject[], name: string) =>
      podTemplate(find(objects, 'Deployment', name))
        .spec.containers.flatMap((c) => c.envFrom ?? [])
        .map((e) => e.secretRef?.name)
        .filter(Boolean);
    expect(secretsOf(render('prod'), 'web')).not.toContain('rise-github-apps');
    const lent = renderWith('prod', ['deploy/components/setup-check']);
    expect(secretsOf(lent, 'web')).toContain('rise-github-apps');
    expect(secretsOf(lent, 'worker')).toEqual(secretsOf(render('prod'), 'worker'));
    expect(lent.flatMap(schemaProblems)).toEqual([]);
  });
});
