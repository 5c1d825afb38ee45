/**
 * The Kubernetes API router: bearer-token authentication, JSON bodies (including the
 * `application/*+json` patch types), the core/v1 routes, and Status errors for everything else.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { failureStatus } from '../errors.js';
import type { KubeletTimings } from '../kubelet/timings.js';
import type { ApiFaults } from './api-faults.js';
import { eventRoutes } from './events.js';
import { errorHandler, sendJson } from './http.js';
import type { ListWatchDeps } from './list-watch.js';
import { nodeRoutes } from './nodes.js';
import { podRoutes } from './pods.js';
import { secretRoutes } from './secrets.js';

export interface ApiDeps extends ListWatchDeps {
  faults: ApiFaults;
  timings: KubeletTimings;
  token: string;
  maxPodNameLength: number;
  namespaceExists: (namespace: string) => boolean;
}

function authenticate(token: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.get('authorization') === `Bearer ${token}`) return next();
    sendJson(res, 401, failureStatus(401, 'Unauthorized', 'Unauthorized'));
  };
}

export function createApiRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/version', (_req, res) => {
    sendJson(res, 200, {
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.0-sim',
      platform: 'linux/riscv64',
    });
  });
  router.get(['/healthz', '/readyz', '/livez'], (_req, res) => {
    res.status(200).type('text/plain').send('ok');
  });
  router.use('/api', authenticate(deps.token));
  router.use(
    '/api',
    express.json({ type: ['application/json', 'application/*+json'], limit: '10mb' }),
  );
  podRoutes(router, deps);
  nodeRoutes(router, deps);
  secretRoutes(router, deps);
  eventRoutes(router, deps);
  router.use('/api', (_req: Request, res: Response) => {
    sendJson(
      res,
      404,
      failureStatus(404, 'the server could not find the requested resource', 'NotFound'),
    );
  });
  router.use(errorHandler);
  return router;
}
