import express, { Router, type Request, type Response } from 'express';
import { recordAudit } from '../db/audit.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import {
  DISABLED_MESSAGE,
  SESSION_COOKIE,
  readCookie,
  safeNext,
  secureCookie,
  sessionActor,
  type OperatorAuth,
} from './auth.js';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.js';
import { sendPage } from './pages/layout.js';
import { loginPage } from './pages/login-page.js';
import { sendError } from './pages/negotiate.js';

export interface AuthRouterDeps {
  auth: OperatorAuth;
  db: Db;
  log: Pick<Logger, 'warn'>;
  trustProxy: boolean;
  throttle?: LoginThrottle;
}

/** `/login` (a form that sets the session cookie) and `POST /logout`, both audited. */
export function authRouter(deps: AuthRouterDeps): Router {
  const router = Router();
  const throttle = deps.throttle ?? createLoginThrottle();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const disabled = (req: Request, res: Response) => {
    if (deps.auth.enabled) return false;
    sendError(req, res, 503, DISABLED_MESSAGE);
    return true;
  };
  const cookieOptions = (req: Request) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: secureCookie(req, deps.trustProxy),
    path: '/',
  });
  const client = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

  router.get('/login', (req, res) => {
    if (disabled(req, res)) return;
    sendPage(res, 200, loginPage({ next: safeNext(req.query.next) }));
  });

  router.post('/login', form, async (req: Request, res: Response) => {
    if (disabled(req, res)) return;
    const ip = client(req);
    const wait = throttle.retryAfterSeconds(ip);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      sendError(req, res, 429, `too many refused logins from this address: retry in ${wait}s`);
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    if (typeof body.token !== 'string' || !deps.auth.checkToken(body.token)) {
      throttle.fail(ip);
      deps.log.warn({ ip }, 'operator login refused');
      await recordAudit(deps.db, { actor: 'anonymous', action: 'login_failed', detail: { ip } });
      sendPage(res, 401, loginPage({ next, error: 'That is not the admin token.' }));
      return;
    }
    throttle.succeed(ip);
    const session = deps.auth.issueSession();
    await recordAudit(deps.db, {
      actor: sessionActor(session.value),
      action: 'login',
      detail: { ip },
    });
    res.cookie(SESSION_COOKIE, session.value, { ...cookieOptions(req), maxAge: session.maxAgeMs });
    res.redirect(303, next);
  });

  // A GET must not log anyone out: a link or an <img> on another page could do it.
  router.get('/logout', (req, res) => {
    res.set('Allow', 'POST');
    sendError(req, res, 405, 'log out with POST /logout (the "Log out" button)');
  });
  router.post('/logout', async (req: Request, res: Response) => {
    const cookie = readCookie(req, SESSION_COOKIE);
    if (cookie !== undefined && deps.auth.verifySession(cookie)) {
      await recordAudit(deps.db, {
        actor: sessionActor(cookie),
        action: 'logout',
        detail: { ip: client(req) },
      });
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.redirect(303, '/login');
  });
  return router;
}
