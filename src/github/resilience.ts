import type { Octokit, OctokitOptions } from '@octokit/core';
import { RequestError } from '@octokit/request-error';
import type { EndpointDefaults } from '@octokit/types';
import { RateLimitedError } from './errors.js';

export interface ResilienceOptions {
  /** Per attempt. Every outbound call has one. */
  timeoutMs: number;
  /** Retries after the first attempt for 5xx, timeouts and network errors. */
  retries: number;
  /** Base of the exponential backoff, in ms (jittered). */
  backoffMs: number;
  /** Wait this long at most inside a call for a rate limit; beyond it, throw RateLimitedError. */
  maxRateLimitWaitMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Sees every response's rate-limit headers (for metrics): per installation, or "app" (JWT). */
  onRateLimit?: (info: {
    remaining: number;
    limit: number;
    resetAt: number;
    installation: number | 'app';
  }) => void;
  onCall?: (info: { route: string; status: number; ms: number }) => void;
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long GitHub asks us to wait, if this error is a primary or secondary rate limit. */
export function rateLimitWait(err: RequestError, now: number): number | undefined {
  const h = err.response?.headers ?? {};
  const retryAfter = Number(h['retry-after']);
  if (err.status === 429 || err.status === 403) {
    if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
    if (h['x-ratelimit-remaining'] === '0' && h['x-ratelimit-reset']) {
      return Math.max(0, Number(h['x-ratelimit-reset']) * 1000 - now) + 1000;
    }
    const data = err.response?.data as { message?: unknown } | undefined;
    const message = typeof data?.message === 'string' ? data.message : '';
    if (err.status === 429 || /secondary rate limit/i.test(message)) return 60_000;
  }
  return undefined;
}

const transient = (err: unknown): boolean => {
  if (err instanceof RequestError) return err.status >= 500 || err.status === 0;
  // fetch network failures and our own timeouts surface as plain errors.
  return err instanceof Error;
};

/**
 * `METHOD /path`: the route template for typed calls, the path for the pages `paginate` follows
 * (full URLs), without the base URL or the query.
 */
function routeOf(options: Required<EndpointDefaults>): string {
  const url = options.url.startsWith(options.baseUrl)
    ? options.url.slice(options.baseUrl.length)
    : options.url;
  return `${options.method} ${url.replace(/\?.*$/, '')}`;
}

/** The installation an Octokit acts as (set by @octokit/app's installation factory), or "app". */
function actingAs(options: OctokitOptions): number | 'app' {
  const auth: unknown = options.auth;
  const id =
    typeof auth === 'object' && auth !== null && 'installationId' in auth
      ? auth.installationId
      : undefined;
  return typeof id === 'number' ? id : 'app';
}

/**
 * An Octokit plugin: a timeout per attempt, retries with exponential backoff and full jitter on
 * 5xx / timeouts / network errors, and rate limits honoured (`retry-after`, `x-ratelimit-reset`).
 * It wraps the auth hook, so a retry is authenticated afresh (from auth-app's token cache). Ours
 * because @octokit/plugin-throttling serialises writes one per second per process, which would
 * cap provisioning at a job a second, and @octokit/plugin-retry neither times out nor jitters.
 */
export function resilience(o: ResilienceOptions) {
  const sleep = o.sleep ?? sleepFor;
  const now = o.now ?? Date.now;
  const random = o.random ?? Math.random;
  return (octokit: Octokit, options: OctokitOptions): void => {
    const installation = actingAs(options);
    octokit.hook.wrap('request', async (request, options) => {
      const route = routeOf(options);
      for (let attempt = 0; ; attempt++) {
        const started = now();
        try {
          // Set on the options object itself: the hooks inside this one (auth-app's) are bound
          // to it, and would ignore a copy passed as an argument.
          options.request = { ...options.request, signal: AbortSignal.timeout(o.timeoutMs) };
          const response = await request(options);
          report(response.headers, response.status, started);
          return response;
        } catch (err) {
          if (err instanceof RequestError) report(err.response?.headers ?? {}, err.status, started);
          else o.onCall?.({ route, status: 0, ms: now() - started });
          const wait = err instanceof RequestError ? rateLimitWait(err, now()) : undefined;
          if (wait !== undefined) {
            if (wait > o.maxRateLimitWaitMs || attempt >= o.retries) {
              throw new RateLimitedError(now() + wait, route);
            }
            await sleep(wait);
            continue;
          }
          if (!transient(err) || attempt >= o.retries) throw err;
          await sleep(random() * o.backoffMs * 2 ** attempt);
        }
      }

      function report(headers: Record<string, unknown>, status: number, started: number) {
        o.onCall?.({ route, status, ms: now() - started });
        if (headers['x-ratelimit-remaining'] !== undefined) {
          o.onRateLimit?.({
            remaining: Number(headers['x-ratelimit-remaining']),
            limit: Number(headers['x-ratelimit-limit']),
            resetAt: Number(headers['x-ratelimit-reset']) * 1000,
            installation,
          });
        }
      }
    });
  };
}
