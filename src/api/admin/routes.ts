import { Router, type Request, type Response } from 'express';
import type { RunnersConfig } from '../../config/runners.js';
import type { Db } from '../../db/client.js';
import type { CacheRedis } from '../../explain/cluster-cache.js';
import { loadHistory } from '../../explain/history.js';
import { loadJobReport, type ReportDeps } from '../../explain/job-report.js';
import { loadUsage } from '../../explain/usage.js';
import { usageJson } from '../../explain/usage-json.js';
import type { OperatorAuth } from '../auth.js';
import { historyPage } from '../pages/history-page.js';
import { jobPage } from '../pages/job-page.js';
import { sendPage } from '../pages/layout.js';
import { sendError, wantsJson } from '../pages/negotiate.js';
import { usagePage } from '../pages/usage-page.js';
import { linkHeader, pageLinks, parseHistoryParams, parseJobId } from './params.js';

export interface OperatorDeps {
  auth: Pick<OperatorAuth, 'guard'>;
  db: Db;
  redis: CacheRedis;
  /** REDIS_PREFIX: where the worker leader publishes the cluster snapshot. */
  prefix: string;
  runners: RunnersConfig;
  provision?: ReportDeps['provision'];
  now?: () => Date;
}

const json = (res: Response, body: unknown) => res.set('Cache-Control', 'no-store').json(body);

/** `/usage`, `/history` and `/jobs/:id`, as HTML or JSON, behind the operator login. */
export function operatorRouter(deps: OperatorDeps): Router {
  const router = Router();
  const now = deps.now ?? (() => new Date());
  const guard = deps.auth.guard;

  router.get('/admin', guard, (_req, res) => res.redirect(303, '/usage'));

  const usage = async (req: Request, res: Response) => {
    const result = await loadUsage(deps, now());
    if (wantsJson(req)) return void json(res, usageJson(result));
    sendPage(res, 200, usagePage(result));
  };
  router.get(['/usage', '/usage.json'], guard, usage);

  const history = async (req: Request, res: Response) => {
    const at = now();
    const query = req.query as Record<string, unknown>;
    const parsed = parseHistoryParams(query, at);
    if (!parsed.ok) return sendError(req, res, 400, parsed.error);
    const q = parsed.value;
    const result = await loadHistory(deps.db, q);
    const path = req.path;
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(query))
      if (k !== 'page' && k !== 'per_page') kept[k] = String(v);
    const links = pageLinks(
      `${req.protocol}://${req.get('host') ?? 'localhost'}${path}`,
      kept,
      q.page,
      q.perPage,
      result.total,
    );
    const link = linkHeader(links);
    if (link) res.set('Link', link);
    res.set('X-Total-Count', String(result.total));
    if (wantsJson(req)) {
      return void json(res, {
        start: q.start,
        end: q.end,
        page: q.page,
        per_page: q.perPage,
        total: result.total,
        jobs: result.jobs,
      });
    }
    const form = {
      start: kept.start ?? '',
      end: kept.end ?? '',
      status: kept.status ?? '',
      entity: kept.entity ?? '',
      board: kept.board ?? '',
      perPage: q.perPage,
    };
    const relative = links.map((l) => ({
      rel: l.rel,
      href: l.href.replace(/^https?:\/\/[^/]+/, ''),
    }));
    sendPage(res, 200, historyPage(q, form, result, relative));
  };
  router.get(['/history', '/history.json'], guard, history);

  // The header's "Why waiting?" form: /jobs?id=123 → /jobs/123.
  router.get('/jobs', guard, (req, res) => {
    const id = typeof req.query.id === 'string' ? req.query.id.trim() : '';
    const parsed = parseJobId(id);
    if (!parsed.ok) return sendError(req, res, 400, parsed.error);
    res.redirect(303, `/jobs/${parsed.value}`);
  });

  router.get('/jobs/:id', guard, async (req: Request<{ id: string }>, res: Response) => {
    const parsed = parseJobId(req.params.id.replace(/\.json$/, ''));
    if (!parsed.ok) return sendError(req, res, 400, parsed.error);
    const at = now();
    const report = await loadJobReport(deps, parsed.value, at);
    if (!report) return sendError(req, res, 404, `no job ${parsed.value} is recorded`);
    if (wantsJson(req)) return void json(res, report);
    sendPage(res, 200, jobPage(report, at));
  });
  return router;
}
