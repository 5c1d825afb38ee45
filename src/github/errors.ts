import { RequestError } from '@octokit/request-error';

/** GitHub asked us to slow down and the wait is too long to spend inside one job attempt. */
export class RateLimitedError extends Error {
  constructor(
    readonly resetAt: number,
    readonly route: string,
  ) {
    super(`GitHub rate limit on ${route}; retry after ${new Date(resetAt).toISOString()}`);
    this.name = 'RateLimitedError';
  }
}

export const statusOf = (err: unknown): number | undefined =>
  err instanceof RequestError ? err.status : undefined;

export const isStatus = (err: unknown, ...codes: number[]): boolean => {
  const status = statusOf(err);
  return status !== undefined && codes.includes(status);
};

/** A short, secret-free description of a GitHub error for failure_info and logs. */
export function describeGitHubError(err: unknown): Record<string, unknown> {
  if (err instanceof RequestError) {
    const data = err.response?.data as { message?: unknown } | undefined;
    return {
      status: err.status,
      route: `${err.request.method} ${err.request.url.replace(/\?.*$/, '')}`,
      message: typeof data?.message === 'string' ? data.message : err.message.split('\n')[0],
    };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}
