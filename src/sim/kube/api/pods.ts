/** The pod routes, including `…/log`, as CoreV1Api calls them. */
import type { Router } from 'express';
import { badRequest, conflict, notFound } from '../errors.js';
import { findStatus, isFinished } from '../kubelet/pod-status.js';
import type { KubeletTimings } from '../kubelet/timings.js';
import { timestamp } from '../state/naming.js';
import type { Pod } from '../state/types.js';
import type { ApiFaults } from './api-faults.js';
import { param, query, route, sendJson } from './http.js';
import { listOrWatch, type ListWatchDeps } from './list-watch.js';
import { applyPatch } from './patch.js';
import { admitPod, checkPodUpdate } from './pod-admission.js';
import { bodyObject, inNamespace, storeUpdate, type Json } from './writes.js';

export interface PodRouteDeps extends ListWatchDeps {
  faults: ApiFaults;
  timings: KubeletTimings;
  maxPodNameLength: number;
  namespaceExists: (namespace: string) => boolean;
}

const collection = '/api/v1/namespaces/{namespace}/pods';
const item = `${collection}/{name}`;

function getPod(deps: PodRouteDeps, namespace: string, name: string): Pod {
  const pod = deps.state.get('Pod', namespace, name);
  if (!pod) throw notFound('pods', name);
  return pod;
}

function isDryRun(req: Parameters<typeof query>[0]): boolean {
  return query(req, 'dryRun') === 'All';
}

/** `tailLines`, `timestamps` and `limitBytes` applied to a container's log lines. */
function logText(
  lines: readonly { at: string; line: string }[],
  req: Parameters<typeof query>[0],
): string {
  const tail = query(req, 'tailLines');
  const kept = tail === undefined ? lines : Number(tail) > 0 ? lines.slice(-Number(tail)) : [];
  const stamp = query(req, 'timestamps') === 'true';
  let text = kept.map((l) => `${stamp ? `${l.at} ` : ''}${l.line}\n`).join('');
  const limit = Number(query(req, 'limitBytes') ?? 0);
  if (limit > 0) text = Buffer.from(text).subarray(0, limit).toString('utf8');
  return text;
}

export function podRoutes(router: Router, deps: PodRouteDeps): void {
  const { state, faults } = deps;

  route(router, faults, 'GET', '/api/v1/pods', (req, res) =>
    listOrWatch(deps, 'Pod', undefined, req, res),
  );
  route(router, faults, 'GET', collection, (req, res) =>
    listOrWatch(deps, 'Pod', param(req, 'namespace'), req, res),
  );

  route(router, faults, 'POST', collection, (req, res) => {
    const namespace = param(req, 'namespace');
    if (!deps.namespaceExists(namespace)) throw notFound('namespaces', namespace);
    const pod = admitPod(inNamespace(bodyObject(req), namespace), deps.maxPodNameLength);
    if (isDryRun(req)) return sendJson(res, 201, pod);
    sendJson(res, 201, state.create('Pod', pod));
  });

  route(router, faults, 'GET', item, (req, res) => {
    sendJson(res, 200, getPod(deps, param(req, 'namespace'), param(req, 'name')));
  });

  route(router, faults, 'PATCH', item, (req, res) => {
    const current = getPod(deps, param(req, 'namespace'), param(req, 'name'));
    const desired = applyPatch(req.get('content-type'), current, req.body) as Json;
    checkPodUpdate(current, desired, deps.maxPodNameLength);
    if (isDryRun(req)) return sendJson(res, 200, desired);
    sendJson(res, 200, storeUpdate(state, 'Pod', current, desired));
  });

  route(router, faults, 'DELETE', item, (req, res) => {
    const namespace = param(req, 'namespace');
    const name = param(req, 'name');
    const pod = getPod(deps, namespace, name);
    const options = (req.body && typeof req.body === 'object' ? req.body : {}) as Json;
    const preconditions = (options.preconditions ?? {}) as {
      uid?: string;
      resourceVersion?: string;
    };
    if (
      (preconditions.uid && preconditions.uid !== pod.metadata.uid) ||
      (preconditions.resourceVersion &&
        preconditions.resourceVersion !== pod.metadata.resourceVersion)
    ) {
      throw conflict('pods', name);
    }
    if (isDryRun(req) || pod.metadata.deletionTimestamp) return sendJson(res, 200, pod);
    const graceParam = query(req, 'gracePeriodSeconds') ?? options.gracePeriodSeconds;
    const grace =
      graceParam === undefined
        ? (pod.spec.terminationGracePeriodSeconds ?? 30)
        : Number(graceParam);
    // Unscheduled and finished pods, and a grace of 0, go at once; a running pod waits for its kubelet.
    if (!pod.spec.nodeName || isFinished(pod) || grace <= 0 || deps.timings.podTerminationMs <= 0) {
      return sendJson(res, 200, state.delete('Pod', namespace, name));
    }
    const terminating = state.update('Pod', namespace, name, (draft) => {
      draft.metadata.deletionTimestamp = timestamp();
      draft.metadata.deletionGracePeriodSeconds = grace;
    });
    sendJson(res, 200, terminating ?? pod);
  });

  route(router, faults, 'GET', `${item}/log`, (req, res) => {
    const pod = getPod(deps, param(req, 'namespace'), param(req, 'name'));
    const name = pod.metadata.name;
    const mains = pod.spec.containers.map((c) => c.name);
    const inits = (pod.spec.initContainers ?? []).map((c) => c.name);
    const container = query(req, 'container') ?? (mains.length === 1 ? mains[0] : undefined);
    if (!container) {
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${mains.join(' ')}] or one of the init containers: [${inits.join(' ')}]`,
      );
    }
    if (!mains.includes(container) && !inits.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    const status = findStatus(pod, container);
    if (
      !status ||
      (status.restartCount === 0 && !status.state.running && !status.state.terminated)
    ) {
      const reason = status?.state.waiting?.reason ?? 'ContainerCreating';
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
    }
    res
      .status(200)
      .type('text/plain')
      .send(logText(state.logs.read(pod.metadata.uid, container), req));
  });
}
