import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { createSimApp } from '../apps.js';
import type { CallCounter } from '../calls.js';
import { GitHubError } from '../errors.js';
import type { AppKind, SimApp } from '../model.js';
import { appJson } from '../serialize.js';
import type { GitHubState } from '../state.js';

/** GitHub: "You must complete this step within one hour." */
const CODE_TTL_MS = 3_600_000;

const manifestSchema = z.object({
  name: z.string().min(1).max(34),
  url: z.url(),
  hook_attributes: z.object({ url: z.url(), active: z.boolean().optional() }),
  redirect_url: z.url(),
  description: z.string().optional(),
  public: z.boolean().optional(),
  default_events: z.array(z.string()).default([]),
  default_permissions: z.record(z.string(), z.enum(['read', 'write'])).default({}),
});
export type AppManifest = z.infer<typeof manifestSchema>;

/**
 * Which of the simulator's two App slots a manifest fills: the one that can register org runners
 * is the org App, any other the personal App. The created App replaces the slot's App (new id,
 * key, slug and webhook secret); installations of that slot follow it, as if they were its own.
 */
export const kindOfManifest = (m: Pick<AppManifest, 'default_permissions'>): AppKind =>
  m.default_permissions.organization_self_hosted_runners ? 'org' : 'personal';

interface Pending {
  kind: AppKind;
  app: SimApp;
  manifest: AppManifest;
  webhookSecret: string;
  clientSecret: string;
  expiresAtMs: number;
}

const slugOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * GitHub's App-manifest flow: the browser POSTs `manifest` to the web UI's App-creation page,
 * GitHub creates the App and redirects to the manifest's `redirect_url` with a one-time `code`,
 * which the App's back end exchanges (unauthenticated) for the App's id, key and secrets. The
 * simulator skips GitHub's confirmation page and creates the App at once.
 */
export function appManifestRoutes(
  router: Router,
  deps: { state: GitHubState; calls: CallCounter },
): void {
  const { state } = deps;
  const pending = new Map<string, Pending>();
  let nextId = 2001;
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  const create = (req: Request, res: Response, owner: string) => {
    const raw = (req.body as Record<string, unknown> | undefined)?.manifest;
    let parsed: unknown;
    try {
      parsed = typeof raw === 'string' ? JSON.parse(raw) : undefined;
    } catch {
      parsed = undefined;
    }
    const result = manifestSchema.safeParse(parsed);
    if (!result.success) {
      const field = result.error.issues[0]?.path.join('.') || 'manifest';
      res.status(422).type('text/plain').send(`Invalid GitHub App manifest: ${field}`);
      return;
    }
    const manifest = result.data;
    const kind = kindOfManifest(manifest);
    const id = nextId++;
    const app = createSimApp(
      kind,
      { id, name: manifest.name, slug: slugOf(manifest.name) },
      state.clock.iso(),
    );
    app.ownerLogin = owner;
    const webhookSecret = randomBytes(20).toString('hex');
    app.webhook = { url: manifest.hook_attributes.url, secret: webhookSecret };
    state.apps[kind] = app;
    const code = randomBytes(16).toString('hex');
    pending.set(code, {
      kind,
      app,
      manifest,
      webhookSecret,
      clientSecret: randomBytes(20).toString('hex'),
      expiresAtMs: state.clock.now() + CODE_TTL_MS,
    });
    const target = new URL(manifest.redirect_url);
    target.searchParams.set('code', code);
    const st = req.query.state;
    if (typeof st === 'string') target.searchParams.set('state', st);
    res.redirect(302, target.toString());
  };

  router.post('/settings/apps/new', form, (req, res) => {
    deps.calls.record('POST /settings/apps/new');
    create(req, res, 'sim-admin');
  });
  router.post('/organizations/:org/settings/apps/new', form, (req, res) => {
    deps.calls.record('POST /organizations/{org}/settings/apps/new');
    create(req, res, String(req.params.org));
  });

  router.post('/app-manifests/:code/conversions', (req, res) => {
    deps.calls.record('POST /app-manifests/{code}/conversions');
    const code = String(req.params.code);
    const p = pending.get(code);
    // One use only, within the hour: a second exchange is GitHub's plain 404.
    pending.delete(code);
    if (!p || p.expiresAtMs < state.clock.now()) throw new GitHubError(404, 'Not Found');
    const owner = { id: 1, login: p.app.ownerLogin, type: 'Organization' as const, createdAt: '' };
    res.status(201).json({
      ...appJson(p.app, { ...owner, createdAt: p.app.createdAt }),
      description: p.manifest.description ?? '',
      external_url: p.manifest.url,
      permissions: { metadata: 'read', ...p.manifest.default_permissions },
      events: p.manifest.default_events,
      client_secret: p.clientSecret,
      webhook_secret: p.webhookSecret,
      pem: p.app.privateKeyPem,
    });
  });
}
