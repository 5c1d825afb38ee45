import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import type { K8sObject } from './kustomize.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/** The API groups deploy/ uses; an object of any other group is reported, not skipped. */
const GROUPS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'batch/v1': batch,
  'policy/v1': policy,
  'rbac.authorization.k8s.io/v1': rbac,
  'networking.k8s.io/v1': networking,
};

function modelClass(apiVersion: string, kind: string): ModelClass | undefined {
  const found = GROUPS[apiVersion]?.[kind];
  return typeof found === 'function' ? (found as ModelClass) : undefined;
}

/** client-node's model name for an object: `apps/v1` Deployment → V1Deployment. */
function clientModelName(o: K8sObject): string {
  const version = o.apiVersion.split('/').pop() ?? '';
  const name = `${version.charAt(0).toUpperCase()}${version.slice(1)}${o.kind}`;
  return o.apiVersion === 'v1' && o.kind === 'Event' ? 'CoreV1Event' : name;
}

/** Every path in `a` that `b` lacks (what a typed round trip dropped: unknown fields). */
function dropped(a: unknown, b: unknown, path = ''): string[] {
  if (Array.isArray(a)) {
    return a.flatMap((x, i) => dropped(x, Array.isArray(b) ? b[i] : undefined, `${path}[${i}]`));
  }
  if (a === null || typeof a !== 'object') return [];
  const other = (b ?? {}) as Record<string, unknown>;
  return Object.entries(a as Record<string, unknown>).flatMap(([k, v]) =>
    k in other ? dropped(v, other[k], `${path}.${k}`) : [`${path}.${k}`],
  );
}

/**
 * Problems with one object against the Kubernetes OpenAPI schemas: kubernetes-models' JSON
 * Schema validation (types, formats, required fields), plus unknown fields, which those schemas
 * allow but the API server drops or (with strict field validation) refuses: found by a round
 * trip through client-node's typed models. Maps of free keys (labels, data…) round-trip whole.
 */
export function schemaProblems(o: K8sObject): string[] {
  const where = `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? '?'}`;
  const Model = modelClass(o.apiVersion, o.kind);
  if (!Model) return [`${where}: no schema for ${o.apiVersion} ${o.kind}`];
  const problems: string[] = [];
  try {
    new Model(o).validate();
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  const type = clientModelName(o);
  const back: unknown = ObjectSerializer.serialize(
    ObjectSerializer.deserialize(o, type, ''),
    type,
    '',
  );
  for (const path of dropped(o, back)) problems.push(`${where}: unknown field ${path}`);
  return problems;
}
