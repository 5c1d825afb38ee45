import { STATUS_CODES } from 'node:http';
import { GitHubError } from './errors.js';
import type { RateLimitState } from './rate-limit.js';
import { RATE_LIMIT_DOCS, primaryLimitError, rateLimitHeaders } from './rate-limit.js';

/** A route key ("POST /orgs/{org}/actions/runners/generate-jitconfig") or "*" for every route. */
export type RouteMatch = string;

/**
 * When a fault fires: on the next `count` calls (default 1), or at random with `probability`
 * (every matching call until cleared, or at most `count` times when both are given).
 */
export interface FaultTrigger {
  count?: number;
  probability?: number;
}

export type RateLimitKind = 'retry-after' | 'primary' | 'secondary';

export interface RateLimitFault extends FaultTrigger {
  type: RateLimitKind;
  /** 429 for retry-after, 403 for primary and secondary unless given. */
  status?: 403 | 429;
  /** For retry-after and secondary (default 60). */
  retryAfterSeconds?: number;
  /** For primary: x-ratelimit-reset this many seconds ahead (default 60). */
  resetInSeconds?: number;
}

export interface WebhookFault {
  event: string;
  action?: string;
  /** drop: neither sent nor listed. fail: not sent, listed with `statusCode`. */
  mode: 'drop' | 'fail';
  /** For fail: 0 (unreachable, the default) or an HTTP status the app "answered". */
  statusCode?: number;
  count?: number;
}

type ResponseRule =
  { kind: 'error'; status: number; message?: string } | ({ kind: 'rate-limit' } & RateLimitFault);

interface Armed<T> {
  route: RouteMatch;
  rule: T;
  remaining: number;
  probability?: number;
}

/** mulberry32: probability faults stay reproducible for a given seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function arm<T>(route: RouteMatch, rule: T, t: FaultTrigger): Armed<T> {
  const remaining = t.count ?? (t.probability === undefined ? 1 : Number.POSITIVE_INFINITY);
  return { route, rule, remaining, probability: t.probability };
}

/** Injected failures of the simulated GitHub. Everything is data: list, add, clear. */
export class GitHubFaults {
  private latencies = new Map<RouteMatch, number>();
  private responses: Armed<ResponseRule>[] = [];
  private webhooks: Armed<WebhookFault>[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  /** Adds `ms` before every matching call is answered; 0 removes it. */
  latency(route: RouteMatch, ms: number): void {
    if (ms > 0) this.latencies.set(route, ms);
    else this.latencies.delete(route);
  }

  error(
    route: RouteMatch,
    status: number,
    trigger: FaultTrigger & { message?: string } = {},
  ): void {
    this.responses.push(arm(route, { kind: 'error', status, message: trigger.message }, trigger));
  }

  rateLimit(route: RouteMatch, fault: RateLimitFault): void {
    this.responses.push(arm(route, { kind: 'rate-limit', ...fault }, fault));
  }

  dropWebhooks(f: Omit<WebhookFault, 'mode' | 'statusCode'>): void {
    this.webhooks.push(arm('*', { ...f, mode: 'drop' }, { count: f.count }));
  }

  failWebhooks(f: Omit<WebhookFault, 'mode'>): void {
    this.webhooks.push(arm('*', { ...f, mode: 'fail' }, { count: f.count }));
  }

  clear(): void {
    this.latencies.clear();
    this.responses = [];
    this.webhooks = [];
  }

  snapshot(): Record<string, unknown> {
    const show = <T>(a: Armed<T>) => ({
      route: a.route,
      ...a.rule,
      remaining: Number.isFinite(a.remaining) ? a.remaining : null,
      probability: a.probability,
    });
    return {
      latency: Object.fromEntries(this.latencies),
      responses: this.responses.map(show),
      webhooks: this.webhooks.map(show),
    };
  }

  latencyFor(routeKey: string): number {
    return this.latencies.get(routeKey) ?? this.latencies.get('*') ?? 0;
  }

  /** The error a faulted call answers with, if a rule fires for it. */
  takeResponse(routeKey: string, rate: RateLimitState, who: string): GitHubError | undefined {
    const rule = this.take(this.responses, (a) => a.route === routeKey || a.route === '*');
    return rule && render(rule, rate, who);
  }

  takeWebhook(event: string, action: string | null): WebhookFault | undefined {
    return this.take(
      this.webhooks,
      (a) => a.rule.event === event && (a.rule.action === undefined || a.rule.action === action),
    );
  }

  private take<T>(list: Armed<T>[], matches: (a: Armed<T>) => boolean): T | undefined {
    for (const a of list) {
      if (!matches(a)) continue;
      if (a.probability !== undefined && this.random() >= a.probability) continue;
      a.remaining -= 1;
      if (a.remaining <= 0) list.splice(list.indexOf(a), 1);
      return a.rule;
    }
    return undefined;
  }
}

function render(rule: ResponseRule, rate: RateLimitState, who: string): GitHubError {
  if (rule.kind === 'error') {
    return new GitHubError(rule.status, rule.message ?? STATUS_CODES[rule.status] ?? 'Error');
  }
  const retryAfter = String(rule.retryAfterSeconds ?? 60);
  switch (rule.type) {
    case 'primary': {
      // Clients compare the reset with their own clock, so it is real time, not simulated.
      const reset = Math.ceil(Date.now() / 1000) + (rule.resetInSeconds ?? 60);
      return primaryLimitError({ ...rate, reset }, who, rule.status ?? 403);
    }
    case 'secondary':
      return new GitHubError(
        rule.status ?? 403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        { ...rateLimitHeaders(rate), 'retry-after': retryAfter },
        `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
      );
    case 'retry-after':
      return new GitHubError(
        rule.status ?? 429,
        'Too Many Requests',
        { ...rateLimitHeaders(rate), 'retry-after': retryAfter },
        RATE_LIMIT_DOCS,
      );
  }
}
