import { setTimeout as sleep } from 'node:timers/promises';
import type { NextFunction, Request, Response, Router } from 'express';
import { authenticateApp, authenticateInstallation } from './auth.js';
import type { CallCounter } from './calls.js';
import { GitHubError } from './errors.js';
import type { GitHubFaults } from './faults.js';
import type { Installation, SimApp } from './model.js';
import type { RateLimits } from './rate-limit.js';
import { primaryLimitError, rateLimitHeaders } from './rate-limit.js';
import type { GitHubState } from './state.js';
import type { InstallationTokens } from './tokens.js';

export type AuthKind = 'app' | 'installation';
type Caller<A extends AuthKind> = A extends 'app' ? SimApp : Installation;
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteDeps {
  state: GitHubState;
  tokens: InstallationTokens;
  faults: GitHubFaults;
  calls: CallCounter;
  rateLimits: RateLimits;
  /** Unauthenticated callers share a small budget, as on GitHub. */
  anonymousLimits: RateLimits;
}

export type Handler<A extends AuthKind> = (
  req: Request,
  res: Response,
  caller: Caller<A>,
) => unknown;

export type DefineRoute = <A extends AuthKind>(
  method: Method,
  template: string,
  auth: A,
  handler: Handler<A>,
) => void;

/**
 * Routes are declared with GitHub's path templates, which are also their keys for call counts
 * and faults. Every call is counted, delayed, authenticated, charged to a rate limit and maybe
 * faulted, in that order, before its handler runs.
 */
export function routeDefiner(router: Router, deps: RouteDeps): DefineRoute {
  return <A extends AuthKind>(method: Method, template: string, auth: A, handler: Handler<A>) => {
    const key = `${method} ${template}`;
    const path = template.replace(/\{(\w+)\}/g, ':$1');
    const run = async (req: Request, res: Response, next: NextFunction) => {
      deps.calls.record(key);
      const delay = deps.faults.latencyFor(key);
      if (delay > 0) await sleep(delay);
      let caller: Caller<A>;
      try {
        caller = (
          auth === 'app'
            ? authenticateApp(req, deps.state)
            : authenticateInstallation(req, deps.tokens)
        ) as Caller<A>;
      } catch (err) {
        res.set(rateLimitHeaders(deps.anonymousLimits.consume(req.ip ?? 'anonymous')));
        throw err;
      }
      const isApp = auth === 'app';
      const rateKey = isApp ? `app:${caller.id}` : `installation:${caller.id}`;
      const who = isApp ? `app ID ${caller.id}` : `installation ID ${caller.id}`;
      const rate = deps.rateLimits.consume(rateKey);
      res.set(rateLimitHeaders(rate));
      if (deps.rateLimits.exceeded(rate)) throw primaryLimitError(rate, who);
      const fault = deps.faults.takeResponse(key, rate, who);
      if (fault) throw fault;
      await handler(req, res, caller);
      if (!res.headersSent) next();
    };
    const m = method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
    router[m](path, run);
  };
}

/** Renders GitHubError (and anything unexpected) the way GitHub answers errors. */
export function errorHandler(
  err: unknown,
  _req: Request,
  res: Response,
  _next: NextFunction,
): void {
  const e =
    err instanceof GitHubError
      ? err
      : isBodyError(err)
        ? new GitHubError(400, 'Problems parsing JSON')
        : new GitHubError(
            500,
            err instanceof Error ? `Server Error: ${err.message}` : 'Server Error',
          );
  res.status(e.status).set(e.headers).json(e.body());
}

/** body-parser's errors carry `type: 'entity.parse.failed'` and similar. */
function isBodyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'type' in err && 'status' in err;
}
