import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object, loosely typed: tests read the fields they check. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export const OVERLAYS = ['prod', 'staging'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** Where kubectl is, or undefined. Tests that need it fail without it (never skip). */
export function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, 'kubectl');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const kubectl = findKubectl();
let warned = false;

/** Throws (failing the calling test) with one printed line when kubectl is missing. */
export function requireKubectl(): string {
  if (kubectl) return kubectl;
  const line =
    'kubectl is not installed: the deploy/ render tests need it (kubectl kustomize); they fail';
  if (!warned) console.warn(line);
  warned = true;
  throw new Error(line);
}

const cache = new Map<string, K8sObject[]>();

/** `kubectl kustomize DIR`, parsed; each directory is rendered once per test file. */
export function renderDir(dir: string): K8sObject[] {
  const hit = cache.get(dir);
  if (hit) return hit;
  const text = execFileSync(requireKubectl(), ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const objects = parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
  cache.set(dir, objects);
  return objects;
}

export const render = (overlay: Overlay): K8sObject[] => renderDir(`deploy/overlays/${overlay}`);

/** An overlay with components added, rendered from a throw-away kustomization. */
export function renderWith(overlay: Overlay, components: string[]): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'rise-kustomize-'));
  try {
    const rel = (p: string) => relative(dir, resolve(p));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `resources: [${rel(`deploy/overlays/${overlay}`)}]`,
        `components: [${components.map(rel).join(', ')}]`,
        '',
      ].join('\n'),
    );
    return renderDir(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

export const ofKind = (objects: K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind);

/** A generated ConfigMap by its base name (kustomize appends a content hash). */
export function configMap(
  objects: K8sObject[],
  base: string,
): K8sObject & {
  data: Record<string, string>;
} {
  const found = ofKind(objects, 'ConfigMap').find((o) =>
    new RegExp(`^${base}-[a-z0-9]{10}$`).test(o.metadata.name),
  );
  if (!found) throw new Error(`no ConfigMap ${base}-<hash> in the rendered manifests`);
  return found as K8sObject & { data: Record<string, string> };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpecLike;
}
export interface ContainerLike {
  name: string;
  image?: string;
  command?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface PodSpecLike {
  containers: ContainerLike[];
  initContainers?: ContainerLike[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
  volumes?: { name: string; configMap?: { name: string } }[];
  [key: string]: unknown;
}

/** The pod template of a Deployment, Job or DaemonSet. */
export function podTemplate(o: K8sObject): PodTemplate {
  const spec = o.spec as { template?: PodTemplate } | undefined;
  if (!spec?.template) throw new Error(`${o.kind} ${o.metadata.name} has no pod template`);
  return spec.template;
}
