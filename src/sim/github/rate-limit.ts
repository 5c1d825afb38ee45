import type { Clock } from './clock.js';
import { GitHubError } from './errors.js';

export const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

export interface RateLimitState {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds. */
  reset: number;
}

/**
 * GitHub's primary limit: a budget per installation (or per App for JWT calls) that refills
 * an hour after the window's first call. Running out is a real 403, as on GitHub.
 */
export class RateLimits {
  private windows = new Map<string, { used: number; resetAtMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs = 3_600_000,
  ) {}

  consume(key: string): RateLimitState {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || now >= w.resetAtMs) {
      w = { used: 0, resetAtMs: now + this.windowMs };
      this.windows.set(key, w);
    }
    w.used += 1;
    return {
      limit: this.limit,
      remaining: Math.max(0, this.limit - w.used),
      used: w.used,
      reset: Math.ceil(w.resetAtMs / 1000),
    };
  }

  exceeded(state: RateLimitState): boolean {
    return state.used > state.limit;
  }

  reset(): void {
    this.windows.clear();
  }
}

export function rateLimitHeaders(s: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(s.limit),
    'x-ratelimit-remaining': String(s.remaining),
    'x-ratelimit-used': String(s.used),
    'x-ratelimit-reset': String(s.reset),
    'x-ratelimit-resource': 'core',
  };
}

export function primaryLimitError(
  s: RateLimitState,
  who: string,
  status: 403 | 429 = 403,
): GitHubError {
  return new GitHubError(
    status,
    `API rate limit exceeded for ${who}.`,
    rateLimitHeaders({ ...s, remaining: 0 }),
    RATE_LIMIT_DOCS,
  );
}
