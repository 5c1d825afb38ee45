/**
 * The app's workloads as rendered: every variable each process requires is set (checked by the
 * processes' own config parser, src/config/env.ts), the runners ConfigMap parses with our parser,
 * and the probes, budgets, limits and security settings are what docs/deploy.md promises.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Role } from '../../src/config/env.js';
import { parseRunnersConfig } from '../../src/config/runners.js';
import {
  OVERLAYS,
  configMap,
  find,
  ofKind,
  podTemplate,
  render,
  renderWith,
  type ContainerLike,
  type K8sObject,
  type PodTemplate,
} from './kustomize.js';

const EXAMPLE_SECRETS = parseAllDocuments(readFileSync('deploy/secrets.example.yaml', 'utf8')).map(
  (d) => d.toJS() as { metadata: { name: string }; stringData: Record<string, string> },
);

/** The environment Kubernetes gives a container: env, then envFrom ConfigMaps and Secrets. */
function containerEnv(objects: K8sObject[], pod: PodTemplate, c: ContainerLike) {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = ofKind(objects, 'ConfigMap').find(
        (o) => o.metadata.name === from.configMapRef!.name,
      );
      if (!cm) throw new Error(`${c.name}: ConfigMap ${from.configMapRef.name} is not rendered`);
      Object.assign(env, (cm as unknown as { data: Record<string, string> }).data);
    }
    if (from.secretRef) {
      const secret = EXAMPLE_SECRETS.find((s) => s.metadata.name === from.secretRef!.name);
      if (!secret)
        throw new Error(`${c.name}: Secret ${from.secretRef.name} is not in the example`);
      Object.assign(env, secret.stringData);
    }
  }
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  // Kubernetes sets it in every pod; the worker's in-cluster config also needs the token.
  if (pod.spec.automountServiceAccountToken) env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
  return env;
}

const PROCESSES: { role: Role; kind: string; name: string; container: string }[] = [
  { role: 'web', kind: 'Deployment', name: 'web', container: 'web' },
  { role: 'worker', kind: 'Deployment', name: 'worker', container: 'worker' },
  { role: 'release', kind: 'Job', name: 'release', container: 'release' },
  { role: 'release', kind: 'Deployment', name: 'web', container: 'migrations' },
  { role: 'release', kind: 'Deployment', name: 'worker', container: 'migrations' },
];

function containerOf(objects: K8sObject[], p: (typeof PROCESSES)[number]) {
  const pod = podTemplate(find(objects, p.kind, p.name));
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const c = all.find((x) => x.name === p.container);
  if (!c) throw new Error(`${p.kind} ${p.name} has no container ${p.container}`);
  return { pod, c };
}

describe('deploy/secrets.example.yaml', () => {
  it('holds placeholders only, for exactly the Secrets the workloads reference', () => {
    for (const secret of EXAMPLE_SECRETS) {
      for (const [key, value] of Object.entries(secret.stringData)) {
        const placeholder = key.endsWith('_APP_ID') ? /^(111111|222222)$/ : /CHANGE_ME/;
        expect({ key, value }).toEqual({ key, value: expect.stringMatching(placeholder) });
      }
    }
    const referenced = new Set(
      render('prod')
        .filter((o) => ['Deployment', 'Job'].includes(o.kind))
        .flatMap((o) => {
          const spec = podTemplate(o).spec;
          return [...spec.containers, ...(spec.initContainers ?? [])];
        })
        .flatMap((c) => (c.envFrom ?? []).map((e) => e.secretRef?.name))
        .filter((n): n is string => n !== undefined),
    );
    expect([...referenced].sort()).toEqual(EXAMPLE_SECRETS.map((s) => s.metadata.name).sort());
  });
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = () => render(overlay);

  it.each(PROCESSES)(
    '$kind $name/$container has every variable `$role` requires',
    ({ role, ...p }) => {
      const { pod, c } = containerOf(objects(), { role, ...p });
      const config = loadConfig(role, containerEnv(objects(), pod, c));
      expect(config.deployEnv).toBe(overlay);
      expect(config.kube.namespace).toBe('rise-runners');
      // RUNNERS_CONFIG is the mounted ConfigMap, and that ConfigMap parses with our parser.
      const mount = c.volumeMounts?.find((m) => config.runnersConfigPath.startsWith(m.mountPath));
      const volume = pod.spec.volumes?.find((v) => v.name === mount?.name);
      const cm = configMap(objects(), 'rise-runners-config');
      expect(volume?.configMap?.name).toBe(cm.metadata.name);
      expect(config.runnersConfigPath).toBe(`${mount!.mountPath}/runners.yaml`);
      const parsed = parseRunnersConfig(cm.data['runners.yaml']!, 'ConfigMap');
      expect(cm.data['runners.yaml']).toBe(readFileSync('config/runners.yaml', 'utf8'));
      expect(parsed.pools.length).toBeGreaterThan(0);
    },
  );

  it('web has no Kubernetes credentials and no GitHub App key; the worker has both', () => {
    const web = containerOf(objects(), PROCESSES[0]!);
    const worker = containerOf(objects(), PROCESSES[1]!);
    expect(web.pod.spec.automountServiceAccountToken).toBe(false);
    const webEnv = containerEnv(objects(), web.pod, web.c);
    for (const name of [
      'KUBECONFIG',
      'K8S_KUBECONFIG',
      'GHAPP_ORG_PRIVATE_KEY',
      'GHAPP_PERSONAL_PRIVATE_KEY',
    ]) {
      expect(webEnv[name]).toBeUndefined();
    }
    expect(loadConfig('web', webEnv).apps).toEqual({ org: undefined, personal: undefined });
    expect(worker.pod.spec.automountServiceAccountToken).toBe(true);
    expect(
      loadConfig('worker', containerEnv(objects(), worker.pod, worker.c)).apps.org,
    ).toBeDefined();
    // With the setup-check component, web can ask GitHub as the Apps (and still not Kubernetes).
    const lent = renderWith(overlay, ['deploy/components/setup-check']);
    const lentWeb = containerOf(lent, PROCESSES[0]!);
    const lentConfig = loadConfig('web', containerEnv(lent, lentWeb.pod, lentWeb.c));
    expect(lentConfig.apps.org?.appId).toBe(111111);
    expect(lentWeb.pod.spec.automountServiceAccountToken).toBe(false);
  });

  it('probes: web on /ready then /health, the worker on /health of WORKER_METRICS_PORT', () => {
    const env = configMap(objects(), 'rise-env').data;
    const web = containerOf(objects(), PROCESSES[0]!).c;
    const worker = containerOf(objects(), PROCESSES[1]!).c;
    const port = (c: ContainerLike, name: string | number | undefined) =>
      c.ports?.find((p) => p.name === name)?.containerPort;
    expect(web.startupProbe?.httpGet?.path).toBe('/ready');
    expect(web.readinessProbe?.httpGet?.path).toBe('/health');
    expect(web.livenessProbe?.httpGet?.path).toBe('/health');
    expect(port(web, web.readinessProbe?.httpGet?.port)).toBe(3000);
    expect(web.env).toContainEqual({ name: 'PORT', value: '3000' });
    for (const probe of [worker.startupProbe, worker.readinessProbe, worker.livenessProbe]) {
      expect(probe?.httpGet?.path).toBe('/health');
      expect(port(worker, probe?.httpGet?.port)).toBe(Number(env.WORKER_METRICS_PORT));
    }
  });

  it('Prometheus scrapes web on PORT and the worker on WORKER_METRICS_PORT', () => {
    const env = configMap(objects(), 'rise-env').data;
    const annotations = (name: string) =>
      podTemplate(find(objects(), 'Deployment', name)).metadata?.annotations ?? {};
    expect(annotations('web')).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '3000',
      'prometheus.io/path': '/metrics',
    });
    expect(annotations('worker')).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': env.WORKER_METRICS_PORT,
      'prometheus.io/path': '/metrics',
    });
  });

  it('at least two workers and two webs, each under a PodDisruptionBudget', () => {
    for (const name of ['web', 'worker']) {
      const d = find(objects(), 'Deployment', name);
      const spec = d.spec as {
        replicas: number;
        selector: { matchLabels: Record<string, string> };
      };
      expect(spec.replicas).toBeGreaterThanOrEqual(2);
      const pdb = find(objects(), 'PodDisruptionBudget', name).spec as {
        minAvailable: number;
        selector: { matchLabels: Record<string, string> };
      };
      expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
      expect(pdb.minAvailable).toBeLessThan(spec.replicas);
      expect(podTemplate(d).metadata?.labels).toMatchObject(pdb.selector.matchLabels);
    }
  });

  it('the grace period outlasts SHUTDOWN_TIMEOUT_MS', () => {
    const shutdownMs = Number(configMap(objects(), 'rise-env').data.SHUTDOWN_TIMEOUT_MS);
    expect(shutdownMs).toBeGreaterThan(0);
    for (const name of ['web', 'worker']) {
      const grace = podTemplate(find(objects(), 'Deployment', name)).spec
        .terminationGracePeriodSeconds;
      expect(grace! * 1000).toBeGreaterThan(shutdownMs);
    }
  });

  it('every container: requests and limits, non-root, read-only root, no privilege escalation', () => {
    for (const o of objects().filter((x) => ['Deployment', 'Job'].includes(x.kind))) {
      const { spec } = podTemplate(o);
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.securityContext?.runAsUser).not.toBe(0);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        expect(c.resources?.requests).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(c.resources?.limits).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('migrations run before new code: the release Job, and an init container in each Deployment', () => {
    const release = podTemplate(find(objects(), 'Job', 'release')).spec.containers[0]!;
    expect(release.command).toEqual(['node', 'dist/release.js']);
    for (const name of ['web', 'worker']) {
      const init = podTemplate(find(objects(), 'Deployment', name)).spec.initContainers ?? [];
      expect(init.map((c) => [c.name, c.command])).toEqual([
        ['migrations', ['node', 'dist/release.js']],
      ]);
      expect(init[0]!.image).toBe(release.image);
    }
  });

  it('the Service sends port 80 to web', () => {
    const svc = find(objects(), 'Service', 'web').spec as {
      selector: Record<string, string>;
      ports: { port: number; targetPort: string }[];
    };
    expect(podTemplate(find(objects(), 'Deployment', 'web')).metadata?.labels).toMatchObject(
      svc.selector,
    );
    expect(svc.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });
});
