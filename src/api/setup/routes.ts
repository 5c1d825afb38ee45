import express, { Router, type Request, type Response } from 'express';
import type { Config } from '../../config/env.js';
import type { Logger } from '../../logger.js';
import type { OperatorAuth } from '../auth.js';
import { sendError, wantsJson } from '../pages/negotiate.js';
import { checkInstallation } from './check.js';
import { appClient, convertManifestCode, GitHubCallError, restCaller } from './github.js';
import { APP_KINDS, manifestFor, type AppKind } from './manifests.js';
import { checkPage, confirmPage, createdPage, sendSetupPage, setupPage } from './pages.js';
import { createStateSigner } from './state.js';

export type SetupConfig = Pick<Config, 'deployEnv'> &
  Partial<
    Pick<Config, 'adminToken' | 'githubApiUrl' | 'githubWebUrl' | 'publicUrl' | 'apps' | 'names'>
  >;

export interface SetupDeps {
  auth: Pick<OperatorAuth, 'guard'>;
  config: SetupConfig;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Tests count or fail GitHub calls here. */
  fetch?: typeof fetch;
}

// GitHub logins: alphanumerics and single hyphens, at most 39 characters.
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

const field = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
};

/**
 * `/setup` (create the two GitHub Apps from their manifests) and `/setup/check` (is an
 * installation ready to serve jobs), behind the operator login. Nothing GitHub hands over is
 * stored or logged: the callback shows it once.
 */
export function setupRouter(deps: SetupDeps): Router {
  const router = Router();
  const { config } = deps;
  const guard = deps.auth.guard;
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const apiUrl = config.githubApiUrl ?? 'https://api.github.com';
  const webUrl = config.githubWebUrl ?? 'https://github.com';
  const call = restCaller({ apiUrl, fetch: deps.fetch });
  // The guard answers 503 when ADMIN_TOKEN is unset, so the key is always there past it.
  const states = createStateSigner(config.adminToken ?? '');
  const publicUrl = (req: Request) =>
    config.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;

  router.get('/setup', guard, (_req, res) => {
    sendSetupPage(res, 200, setupPage({ deployEnv: config.deployEnv, githubWebUrl: webUrl }));
  });

  router.post('/setup/start', guard, form, (req: Request, res: Response) => {
    const kind = APP_KINDS.find((k) => k === field(req.body, 'kind'));
    const owner = field(req.body, 'owner');
    const name = field(req.body, 'name');
    const error = !kind
      ? 'kind must be org or personal'
      : owner && !LOGIN.test(owner)
        ? 'owner is not a GitHub organization login'
        : name.length > 34
          ? 'name is longer than GitHub allows (34 characters)'
          : undefined;
    if (error || !kind) {
      const page = setupPage({ deployEnv: config.deployEnv, githubWebUrl: webUrl, error });
      return sendSetupPage(res, 400, page);
    }
    const fallbackName = (m: string) => (config.deployEnv === 'prod' ? m : `${m} Staging`);
    const base = manifestFor(kind, { publicUrl: publicUrl(req) });
    const manifest = { ...base, name: name || fallbackName(base.name).slice(0, 34) };
    const path = owner
      ? `/organizations/${encodeURIComponent(owner)}/settings/apps/new`
      : '/settings/apps/new';
    const action = `${webUrl}${path}?state=${encodeURIComponent(states.issue(kind))}`;
    sendSetupPage(res, 200, confirmPage({ kind, action, manifest, owner }), action);
  });

  router.get('/setup/callback', guard, async (req: Request, res: Response) => {
    const kind = states.verify(req.query.state);
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    if (!kind) {
      return sendError(
        req,
        res,
        400,
        'state is missing, expired or not from this deployment: start again at /setup',
      );
    }
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(code)) return sendError(req, res, 400, 'code is missing');
    try {
      const app = await convertManifestCode(call, code);
      deps.log.info({ appId: app.id, slug: app.slug, kind }, 'GitHub App created from manifest');
      sendSetupPage(res, 200, createdPage({ kind, app }));
    } catch (err) {
      if (err instanceof GitHubCallError && err.status === 404) {
        return sendError(
          req,
          res,
          410,
          'this code was already used or has expired: GitHub hands the App over once, and nothing was kept here. If the key or secret is lost, generate new ones in the App settings on GitHub.',
        );
      }
      deps.log.warn({ err: describe(err) }, 'manifest code exchange failed');
      sendError(req, res, 502, `GitHub did not exchange the code: ${describe(err)}`);
    }
  });

  router.get(['/setup/check', '/setup/check.json'], guard, async (req, res) => {
    const idText = typeof req.query.installation_id === 'string' ? req.query.installation_id : '';
    const repo = typeof req.query.repo === 'string' ? req.query.repo : undefined;
    if (!/^[1-9]\d{0,15}$/.test(idText)) {
      return sendError(req, res, 400, 'installation_id must be a positive integer');
    }
    if (repo !== undefined && !REPO.test(repo)) {
      return sendError(req, res, 400, 'repo must be owner/name');
    }
    const clients: Partial<Record<AppKind, ReturnType<typeof appClient>>> = {};
    for (const kind of APP_KINDS) {
      const creds = config.apps?.[kind];
      if (creds) clients[kind] = appClient(call, creds);
    }
    const report = await checkInstallation(
      {
        clients,
        names: config.names ?? {
          runnerPrefix: 'rise-riscv-runner-',
          runnerGroup: 'RISE RISC-V Runners',
        },
      },
      Number(idText),
      repo,
    );
    if (wantsJson(req)) return void res.set('Cache-Control', 'no-store').json(report);
    sendSetupPage(res, 200, checkPage(report));
  });

  return router;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
