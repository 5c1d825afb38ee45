import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { GitHubError } from './errors.js';
import { idParam, queryText } from './params.js';
import type { GitHubSim } from './api.js';

const appKind = z.enum(['org', 'personal']);
const account = z.object({ login: z.string().min(1), id: z.number().int().positive().optional() });
const trigger = {
  count: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
};
const schemas = {
  repo: z.object({
    owner: z.string().min(1),
    name: z.string().min(1),
    private: z.boolean().optional(),
    id: z.number().int().positive().optional(),
  }),
  installation: z.object({
    app: appKind,
    account: z.string().min(1),
    id: z.number().int().positive().optional(),
    permissions: z.record(z.string(), z.enum(['read', 'write'])).optional(),
  }),
  job: z.object({
    repo: z.string().min(3),
    labels: z.array(z.string().min(1)).min(1),
    durationMs: z.number().int().min(0).optional(),
    name: z.string().optional(),
    workflowName: z.string().optional(),
    runId: z.number().int().positive().optional(),
    sender: z.string().optional(),
  }),
  webhook: z.object({
    url: z.url().optional(),
    secret: z.string().optional(),
    app: appKind.optional(),
  }),
  latency: z.object({ route: z.string().min(1), ms: z.number().int().min(0) }),
  error: z.object({
    route: z.string().min(1),
    status: z.number().int().min(400).max(599),
    message: z.string().optional(),
    ...trigger,
  }),
  rateLimit: z.object({
    route: z.string().min(1),
    type: z.enum(['retry-after', 'primary', 'secondary']),
    status: z.union([z.literal(403), z.literal(429)]).optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    resetInSeconds: z.number().int().min(0).optional(),
    ...trigger,
  }),
  webhookFault: z.object({
    event: z.string().min(1),
    action: z.string().optional(),
    mode: z.enum(['drop', 'fail']),
    statusCode: z.number().int().min(0).max(599).optional(),
    count: z.number().int().positive().optional(),
  }),
  expire: z.object({ installationId: z.number().int().positive().optional() }),
  advance: z.object({ ms: z.number().int().min(0) }),
};

function body<T>(schema: z.ZodType<T>, req: Request): T {
  const r = schema.safeParse(req.body ?? {});
  if (!r.success) throw new GitHubError(400, z.prettifyError(r.error));
  return r.data;
}

/** Runners without their secret: the control API is not a way around the JIT config. */
function runnerView(sim: GitHubSim) {
  return sim.listRunners().map(({ secret: _secret, ...r }) => r);
}

/**
 * `/_sim/…`: the in-process controls as JSON over HTTP, for a simulator running in another
 * process (the demo, benchmarks).
 */
export function controlRouter(sim: GitHubSim, r: Router): Router {
  const job = (req: Request) => {
    const j = sim.getJob(idParam(req, 'id'));
    if (!j) throw new GitHubError(404, 'no such job');
    return j;
  };

  r.get('/apps', (_req, res) => {
    const view = (k: 'org' | 'personal') => {
      const a = sim.apps[k];
      return {
        id: a.id,
        slug: a.slug,
        clientId: a.clientId,
        hookId: a.hookId,
        privateKeyPem: a.privateKeyPem,
      };
    };
    res.json({ org: view('org'), personal: view('personal') });
  });
  r.post('/orgs', (req, res) => void res.status(201).json(sim.addOrg(body(account, req))));
  r.post('/users', (req, res) => void res.status(201).json(sim.addUser(body(account, req))));
  r.post('/repos', (req, res) => {
    const repo = sim.addRepo(body(schemas.repo, req));
    res.status(201).json({ ...repo, fullName: `${repo.owner.login}/${repo.name}` });
  });
  r.get('/installations', (_req, res) => void res.json([...sim.state.installations.values()]));
  r.post('/installations', (req, res) => {
    const b = body(schemas.installation, req);
    res
      .status(201)
      .json(sim.installApp(b.app, b.account, { id: b.id, permissions: b.permissions }));
  });
  r.post('/installations/:id/suspend', (req, res) => {
    res.json(sim.suspendInstallation(idParam(req, 'id')));
  });
  r.post('/installations/:id/unsuspend', (req, res) => {
    res.json(sim.unsuspendInstallation(idParam(req, 'id')));
  });
  r.delete('/installations/:id', (req, res) => {
    res.json(sim.deleteInstallation(idParam(req, 'id')));
  });

  r.post('/jobs', (req, res) => void res.status(201).json(sim.queueJob(body(schemas.job, req))));
  r.get('/jobs', (req, res) => {
    const status = queryText(req, 'status') as 'queued' | 'in_progress' | 'completed' | undefined;
    res.json(sim.listJobs({ status }));
  });
  r.get('/jobs/:id', (req, res) => void res.json(job(req)));
  r.post('/jobs/:id/cancel', (req, res) => void res.json(sim.cancelJob(job(req).id)));
  r.get('/runners', (_req, res) => void res.json(runnerView(sim)));

  r.put('/webhook', (req, res) => {
    const b = body(schemas.webhook, req);
    sim.setWebhookTarget(b.url, b.secret, b.app);
    res.status(204).end();
  });
  r.get('/deliveries', (req, res) => {
    const kind = appKind.safeParse(queryText(req, 'app') ?? 'org');
    if (!kind.success) throw new GitHubError(400, 'app must be org or personal');
    res.json(sim.deliveries(kind.data));
  });
  r.get('/calls', (_req, res) => void res.json(sim.calls()));
  r.delete('/calls', (_req, res) => {
    sim.resetCalls();
    res.status(204).end();
  });

  r.get('/faults', (_req, res) => void res.json(sim.faults.snapshot()));
  r.delete('/faults', (_req, res) => {
    sim.faults.clear();
    res.status(204).end();
  });
  r.post('/faults/latency', (req, res) => {
    const b = body(schemas.latency, req);
    sim.faults.latency(b.route, b.ms);
    res.status(204).end();
  });
  r.post('/faults/errors', (req, res) => {
    const { route, status, ...rest } = body(schemas.error, req);
    sim.faults.error(route, status, rest);
    res.status(204).end();
  });
  r.post('/faults/rate-limits', (req, res) => {
    const { route, ...fault } = body(schemas.rateLimit, req);
    sim.faults.rateLimit(route, fault);
    res.status(204).end();
  });
  r.post('/faults/webhooks', (req, res) => {
    const { mode, ...f } = body(schemas.webhookFault, req);
    if (mode === 'drop') sim.faults.dropWebhooks(f);
    else sim.faults.failWebhooks(f);
    res.status(204).end();
  });

  r.post('/tokens/expire', (req, res) => {
    res.json({ expired: sim.expireTokens(body(schemas.expire, req).installationId) });
  });
  r.post('/clock/advance', (req, res) => {
    sim.clock.advance(body(schemas.advance, req).ms);
    res.json({ now: sim.clock.iso() });
  });
  r.post('/idle', async (_req, res) => {
    await sim.idle();
    res.status(204).end();
  });
  return r;
}

/** Control calls fail as 400 with the reason (unknown account, duplicate login…). */
export function controlErrorHandler(
  err: unknown,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (err instanceof GitHubError || !(err instanceof Error)) return next(err);
  res.status(400).json({ message: err.message });
}
