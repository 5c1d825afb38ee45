/** The event routes (read-only here: only the simulated scheduler and kubelets write events). */
import type { Router } from 'express';
import type { ApiFaults } from './api-faults.js';
import { param, route } from './http.js';
import { listOrWatch, type ListWatchDeps } from './list-watch.js';

export function eventRoutes(router: Router, deps: ListWatchDeps & { faults: ApiFaults }): void {
  route(router, deps.faults, 'GET', '/api/v1/events', (req, res) =>
    listOrWatch(deps, 'Event', undefined, req, res),
  );
  route(router, deps.faults, 'GET', '/api/v1/namespaces/{namespace}/events', (req, res) =>
    listOrWatch(deps, 'Event', param(req, 'namespace'), req, res),
  );
}
