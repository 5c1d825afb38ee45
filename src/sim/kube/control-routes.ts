/**
 * `/_sim/…`: the control surface over HTTP, for a demo or a test in another process. Not
 * authenticated (it is not part of the Kubernetes API). Bodies are validated; errors are 400.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { KubeControl } from './control.js';
import { KubeError } from './errors.js';
import { isReady } from './kube-scheduler/decide.js';
import type { KubeState } from './state/store.js';

const match = {
  count: z.number().int().positive().optional(),
  labelSelector: z.string().optional(),
};
const schemas = {
  node: z.object({
    name: z.string().min(1),
    board: z.string().optional(),
    slots: z.number().int().nonnegative().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    allocatable: z.record(z.string(), z.string()).optional(),
    ready: z.boolean().optional(),
    unschedulable: z.boolean().optional(),
  }),
  hold: z.object(match),
  release: z.object({ labelSelector: z.string().optional() }),
  imagePull: z.object({
    ...match,
    attempts: z.number().int().positive().optional(),
    message: z.string().optional(),
  }),
  crash: z.object({
    ...match,
    afterMs: z.number().nonnegative().optional(),
    exitCode: z.number().int().optional(),
    logLine: z.string().optional(),
    message: z.string().optional(),
  }),
  latency: z.object({ route: z.string().min(1), ms: z.number().nonnegative() }),
  errors: z.object({
    route: z.string().min(1),
    count: z.number().int().positive().optional(),
    status: z.number().int().min(400).max(599).optional(),
    message: z.string().optional(),
  }),
  watches: z.object({ expired: z.boolean().optional() }),
};

function body<T>(schema: z.ZodType<T>, req: Request): T {
  return schema.parse(req.body ?? {});
}

function nodeName(req: Request): string {
  return String((req.params as Record<string, string>).name);
}

export function controlRoutes(control: KubeControl, state: KubeState): Router {
  const r = express.Router();
  r.use(express.json());

  r.get('/state', (_req, res) => {
    res.json({
      resourceVersion: state.resourceVersion(),
      nodes: state.list('Node').map((n) => ({
        name: n.metadata.name,
        labels: n.metadata.labels ?? {},
        ready: isReady(n),
        unschedulable: n.spec.unschedulable ?? false,
        allocatable: n.status.allocatable,
      })),
      pods: state.list('Pod').map((p) => ({
        namespace: p.metadata.namespace,
        name: p.metadata.name,
        uid: p.metadata.uid,
        phase: p.status.phase,
        node: p.spec.nodeName ?? null,
        labels: p.metadata.labels ?? {},
        deleting: p.metadata.deletionTimestamp !== undefined,
      })),
    });
  });

  r.post('/nodes', (req, res) => {
    res.status(201).json(control.addNode(body(schemas.node, req)));
  });
  r.delete('/nodes/:name', (req, res) => {
    control.removeNode(nodeName(req));
    res.status(204).end();
  });
  r.post(
    '/nodes/:name/ready',
    (req, res) => void res.json(control.setNodeReady(nodeName(req), true)),
  );
  r.post(
    '/nodes/:name/not-ready',
    (req, res) => void res.json(control.setNodeReady(nodeName(req), false)),
  );
  r.post('/nodes/:name/cordon', (req, res) => void res.json(control.cordon(nodeName(req))));
  r.post('/nodes/:name/uncordon', (req, res) => void res.json(control.uncordon(nodeName(req))));

  r.post('/faults/hold', (req, res) => {
    control.holdPods(body(schemas.hold, req));
    res.status(204).end();
  });
  r.post('/faults/release', (req, res) => {
    control.releaseHeldPods(body(schemas.release, req).labelSelector);
    res.status(204).end();
  });
  r.post('/faults/image-pull', (req, res) => {
    control.failImagePulls(body(schemas.imagePull, req));
    res.status(204).end();
  });
  r.post('/faults/crash', (req, res) => {
    control.crashPods(body(schemas.crash, req));
    res.status(204).end();
  });
  r.post('/faults/latency', (req, res) => {
    const { route, ms } = body(schemas.latency, req);
    control.setLatency(route, ms);
    res.status(204).end();
  });
  r.post('/faults/errors', (req, res) => {
    const { route, ...options } = body(schemas.errors, req);
    control.failNext(route, options);
    res.status(204).end();
  });
  r.delete('/faults', (_req, res) => {
    control.clearFaults();
    res.status(204).end();
  });

  r.get('/calls', (_req, res) => void res.json(control.callCounts()));
  r.delete('/calls', (_req, res) => {
    control.resetCallCounts();
    res.status(204).end();
  });

  r.post('/watches/close', (req, res) => {
    res.json({ closed: control.closeWatches(body(schemas.watches, req)) });
  });

  r.get('/bindings', (req, res) => {
    const selector =
      typeof req.query.labelSelector === 'string' ? req.query.labelSelector : undefined;
    res.json({
      bindings: control.bindings(),
      maxConcurrentPodsPerNode: control.maxConcurrentPodsPerNode(selector),
      maxConcurrentByNode: control.maxConcurrentByNode(selector),
    });
  });

  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof z.ZodError)
      return void res.status(400).json({ message: z.prettifyError(err) });
    if (err instanceof KubeError) return void res.status(err.code).json(err.toStatus());
    res.status(500).json({ message: err instanceof Error ? err.message : String(err) });
  });
  return r;
}
