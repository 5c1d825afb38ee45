import type { Metrics } from './registry.js';

/**
 * A GitHub route as a metric label: the template, never names. Octokit passes templates for typed
 * routes (`/orgs/{org}/…`), but routes we build at run time carry org, repository and runner
 * names; those are replaced so no entity name reaches `/metrics` and cardinality stays bounded.
 */
export function routeTemplate(route: string): string {
  const [method = '', rawPath = ''] = route.split(' ', 2);
  const path = (rawPath.split('?')[0] ?? '')
    .replace(/^https?:\/\/[^/]+/, '')
    .replace(/\/orgs\/[^/{][^/]*/g, '/orgs/{org}')
    .replace(/\/repos\/[^/{][^/]*\/[^/{][^/]*/g, '/repos/{owner}/{repo}')
    .replace(/\/users\/[^/{][^/]*/g, '/users/{username}')
    .replace(/\/runners\/[^/{][^/]*/g, (m) =>
      /^\/runners\/(generate-jitconfig|registration-token|remove-token|downloads)$/.test(m)
        ? m
        : '/runners/{runner_id}',
    )
    .replace(/\/\d+(?=\/|$)/g, '/{id}');
  return `${method} ${path}`;
}

export interface CallInfo {
  route: string;
  status: number;
  ms: number;
}

export interface RateLimitInfo {
  remaining: number;
  limit: number;
  resetAt: number;
  /** Installation id, or "app" for App (JWT) calls. Absent: reported as "unknown". */
  installation?: string | number;
}

/**
 * The hooks of src/github/resilience.ts (`onCall`, `onRateLimit`) feeding our metrics. Pass them
 * in `createGitHub({ resilience: githubMetricHooks(metrics) })`.
 */
export function githubMetricHooks(metrics: Pick<Metrics, 'github'>) {
  return {
    onCall(info: CallInfo): void {
      const route = routeTemplate(info.route);
      metrics.github.calls.inc({ route, status: String(info.status) });
      metrics.github.callDuration.observe({ route }, Math.max(0, info.ms) / 1000);
    },
    onRateLimit(info: RateLimitInfo): void {
      const installation = String(info.installation ?? 'unknown');
      if (Number.isFinite(info.remaining))
        metrics.github.rateLimitRemaining.set({ installation }, info.remaining);
      if (Number.isFinite(info.limit))
        metrics.github.rateLimitLimit.set({ installation }, info.limit);
      if (Number.isFinite(info.resetAt))
        metrics.github.rateLimitReset.set({ installation }, Math.floor(info.resetAt / 1000));
    },
  };
}
