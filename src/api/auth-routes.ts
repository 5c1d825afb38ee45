import express, { Router, type Request, type Response } from 'express';
import type { Logger } from '../logger.js';
import { DISABLED_MESSAGE, SESSION_COOKIE, safeNext, type OperatorAuth } from './auth.js';
import { sendPage } from './pages/layout.js';
import { loginPage } from './pages/login-page.js';
import { sendError } from './pages/negotiate.js';

/** `/login` (a form that sets the session cookie) and `/logout`. */
export function authRouter(deps: { auth: OperatorAuth; log: Pick<Logger, 'warn'> }): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const disabled = (req: Request, res: Response) => {
    if (deps.auth.enabled) return false;
    sendError(req, res, 503, DISABLED_MESSAGE);
    return true;
  };

  router.get('/login', (req, res) => {
    if (disabled(req, res)) return;
    sendPage(res, 200, loginPage({ next: safeNext(req.query.next) }));
  });

  router.post('/login', form, (req: Request, res: Response) => {
    if (disabled(req, res)) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    if (typeof body.token !== 'string' || !deps.auth.checkToken(body.token)) {
      deps.log.warn({ ip: req.ip }, 'operator login refused');
      sendPage(res, 401, loginPage({ next, error: 'That is not the admin token.' }));
      return;
    }
    const session = deps.auth.issueSession();
    res.cookie(SESSION_COOKIE, session.value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: session.maxAgeMs,
    });
    res.redirect(303, next);
  });

  const logout = (req: Request, res: Response) => {
    res.clearCookie(SESSION_COOKIE, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
    });
    res.redirect(303, '/login');
  };
  router.get('/logout', logout);
  router.post('/logout', logout);
  return router;
}
