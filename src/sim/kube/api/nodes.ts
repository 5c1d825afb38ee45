/** The node routes: list / watch / get, PATCH for labels, taints and `spec.unschedulable` (cordon). */
import type { Router } from 'express';
import { notFound, type StatusCause } from '../errors.js';
import type { Node } from '../state/types.js';
import type { ApiFaults } from './api-faults.js';
import { param, route, sendJson } from './http.js';
import { listOrWatch, type ListWatchDeps } from './list-watch.js';
import { applyPatch } from './patch.js';
import { checkLabels } from './validate.js';
import { metaOf, requireValid, storeUpdate, type Json } from './writes.js';

export interface NodeRouteDeps extends ListWatchDeps {
  faults: ApiFaults;
}

function getNode(deps: NodeRouteDeps, name: string): Node {
  const node = deps.state.get('Node', undefined, name);
  if (!node) throw notFound('nodes', name);
  return node;
}

export function nodeRoutes(router: Router, deps: NodeRouteDeps): void {
  const { state, faults } = deps;
  route(router, faults, 'GET', '/api/v1/nodes', (req, res) =>
    listOrWatch(deps, 'Node', undefined, req, res),
  );
  route(router, faults, 'GET', '/api/v1/nodes/{name}', (req, res) => {
    sendJson(res, 200, getNode(deps, param(req, 'name')));
  });
  route(router, faults, 'PATCH', '/api/v1/nodes/{name}', (req, res) => {
    const current = getNode(deps, param(req, 'name'));
    const desired = applyPatch(req.get('content-type'), current, req.body) as Json;
    const causes: StatusCause[] = [];
    checkLabels(causes, metaOf(desired).labels);
    requireValid('Node', current.metadata.name, causes);
    sendJson(res, 200, storeUpdate(state, 'Node', current, desired));
  });
  route(router, faults, 'DELETE', '/api/v1/nodes/{name}', (req, res) => {
    const name = param(req, 'name');
    getNode(deps, name);
    state.delete('Node', undefined, name);
    sendJson(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, kind: 'nodes' },
    });
  });
}
