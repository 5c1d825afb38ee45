/**
 * What the API server does to a pod before storing it: validation (422), then defaulting
 * (restartPolicy Always, imagePullPolicy by tag, requests from limits, the not-ready/unreachable
 * tolerations of DefaultTolerationSeconds, a QoS class) and a Pending status.
 * On update, a pod's spec is immutable except for images, activeDeadlineSeconds and tolerations.
 */
import { invalid } from '../errors.js';
import { pullPolicy } from '../kubelet/image-puller.js';
import type { NewObject } from '../state/store.js';
import type { Container, Pod, PodSpec } from '../state/types.js';
import { validatePod } from './validate.js';
import { metaOf, requireValid, stripServerFields, type Json } from './writes.js';

function defaultContainer(container: Container): Container {
  const limits = container.resources?.limits;
  const requests = { ...(limits ?? {}), ...(container.resources?.requests ?? {}) };
  return {
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ...container,
    imagePullPolicy: pullPolicy(container),
    resources: {
      ...(limits ? { limits } : {}),
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
    },
  };
}

/** Guaranteed when every container's cpu and memory requests equal limits; BestEffort when none ask. */
function qosClass(spec: PodSpec): string {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  const asks = (c: Container, r: string) => c.resources?.requests?.[r] ?? c.resources?.limits?.[r];
  if (all.every((c) => !asks(c, 'cpu') && !asks(c, 'memory'))) return 'BestEffort';
  const guaranteed = all.every((c) =>
    ['cpu', 'memory'].every((r) => {
      const limit = c.resources?.limits?.[r];
      return limit !== undefined && (c.resources?.requests?.[r] ?? limit) === limit;
    }),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const defaultTolerations = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map(
  (key) => ({
    key,
    operator: 'Exists' as const,
    effect: 'NoExecute',
    tolerationSeconds: 300,
  }),
);

export function admitPod(body: Json, nameMax: number): NewObject<Pod> {
  const meta = stripServerFields(metaOf(body));
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : undefined;
  // A generated name gets five more characters; validate the name it will have.
  const name =
    typeof meta.name === 'string' && meta.name
      ? meta.name
      : generateName
        ? `${generateName}bcdfg`
        : undefined;
  requireValid('Pod', name ?? '', validatePod({ ...body, metadata: { ...meta, name } }, nameMax));
  const spec = body.spec as PodSpec;
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of defaultTolerations)
    if (!tolerations.some((x) => x.key === t.key)) tolerations.push(t);
  const defaulted: PodSpec = {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    schedulerName: 'default-scheduler',
    securityContext: {},
    enableServiceLinks: true,
    priority: 0,
    ...spec,
    containers: spec.containers.map(defaultContainer),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(defaultContainer) } : {}),
    tolerations,
  };
  return {
    ...body,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta,
    spec: defaulted,
    status: { phase: 'Pending', qosClass: qosClass(defaulted) },
  };
}

const mutableFieldsMessage =
  'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function comparable(spec: PodSpec): string {
  const noImage = (c: Container) => ({ ...c, image: '' });
  const { activeDeadlineSeconds: _deadline, tolerations: _tolerations, ...rest } = spec;
  return JSON.stringify({
    ...rest,
    containers: rest.containers.map(noImage),
    ...(rest.initContainers ? { initContainers: rest.initContainers.map(noImage) } : {}),
  });
}

/** Validates a patched pod against the stored one. */
export function checkPodUpdate(current: Pod, desired: Json, nameMax: number): void {
  const name = current.metadata.name;
  const causes = validatePod({ ...desired, metadata: { ...metaOf(desired), name } }, nameMax);
  requireValid('Pod', name, causes);
  const spec = desired.spec as PodSpec;
  if (comparable(spec) !== comparable(current.spec)) {
    throw invalid('Pod', name, [
      { reason: 'FieldValueForbidden', message: mutableFieldsMessage, field: 'spec' },
    ]);
  }
  const removed = (current.spec.tolerations ?? []).some(
    (t) => !(spec.tolerations ?? []).some((u) => JSON.stringify(u) === JSON.stringify(t)),
  );
  if (removed) {
    throw invalid('Pod', name, [
      { reason: 'FieldValueForbidden', message: mutableFieldsMessage, field: 'spec.tolerations' },
    ]);
  }
}
