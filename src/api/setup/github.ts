import githubAppJwt from 'universal-github-app-jwt';
import type { GitHubAppCredentials } from '../../config/env.js';

/**
 * The web process's only way to GitHub (test/architecture.test.ts allows this file and nothing
 * else): the admin-only /setup pages. Plain `fetch`, no Octokit, no retries: a person waits for
 * the answer and can reload. The webhook path never reaches this module.
 */

export class GitHubCallError extends Error {
  constructor(
    readonly status: number,
    readonly route: string,
    message: string,
  ) {
    super(`${route}: ${status} ${message}`);
    this.name = 'GitHubCallError';
  }
}

export interface SetupGitHubOptions {
  apiUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type Call = <T>(route: string, auth: string | undefined, body?: unknown) => Promise<T>;

/** One REST call: `route` is "METHOD /path" with the path already filled in. */
export function restCaller(o: SetupGitHubOptions): Call {
  const doFetch = o.fetch ?? fetch;
  return async <T>(route: string, auth: string | undefined, body?: unknown): Promise<T> => {
    const [method = 'GET', path = '/'] = route.split(' ');
    const res = await doFetch(o.apiUrl + path, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'rise-riscv-runners-setup',
        ...(auth ? { authorization: auth } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      redirect: 'error',
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 200);
      try {
        const parsed = (JSON.parse(text) as { message?: unknown }).message;
        if (typeof parsed === 'string') message = parsed;
      } catch {
        // not JSON: keep the text
      }
      // Error texts name the route's template: ids and the one-time manifest code stay out.
      const template = route
        .replace(/\?.*$/, '')
        .replace(/\/app-manifests\/[^/]+/, '/app-manifests/{code}')
        .replace(/\/\d+(?=\/|$)/g, '/{id}');
      throw new GitHubCallError(res.status, template, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/** What GitHub returns once for a manifest code: the new App, its key and secrets. */
export interface CreatedApp {
  id: number;
  slug: string;
  name: string;
  html_url: string;
  owner?: { login?: string } | null;
  webhook_secret: string | null;
  pem: string;
  client_id?: string;
  client_secret?: string;
}

/** `POST /app-manifests/{code}/conversions`: unauthenticated, the code is the credential. */
export async function convertManifestCode(call: Call, code: string): Promise<CreatedApp> {
  return call<CreatedApp>(`POST /app-manifests/${encodeURIComponent(code)}/conversions`, undefined);
}

export interface InstallationInfo {
  id: number;
  app_id: number;
  account: { login: string; type: string } | null;
  permissions: Record<string, string>;
  suspended_at: string | null;
}

export interface Runner {
  id: number;
  name: string;
}

/** The calls /setup/check makes as one App: read-only but for one runner minted and deleted. */
export function appClient(call: Call, app: GitHubAppCredentials) {
  const jwt = async () =>
    `Bearer ${(await githubAppJwt({ id: app.appId, privateKey: app.privateKey })).token}`;
  return {
    appId: app.appId,
    async installation(id: number): Promise<InstallationInfo> {
      return call<InstallationInfo>(`GET /app/installations/${id}`, await jwt());
    },
    /** A token narrowed to what the check needs. */
    async token(id: number, permissions: Record<string, 'read' | 'write'>): Promise<string> {
      const t = await call<{ token: string }>(
        `POST /app/installations/${id}/access_tokens`,
        await jwt(),
        { permissions },
      );
      return `token ${t.token}`;
    },
    async runnerGroups(token: string, org: string): Promise<{ id: number; name: string }[]> {
      const groups: { id: number; name: string }[] = [];
      for (let page = 1; page <= 10; page++) {
        const { runner_groups } = await call<{ runner_groups: { id: number; name: string }[] }>(
          `GET /orgs/${encodeURIComponent(org)}/actions/runner-groups?per_page=100&page=${page}`,
          token,
        );
        groups.push(...runner_groups);
        if (runner_groups.length < 100) break;
      }
      return groups;
    },
    /** Mints a JIT config (never returned: only the runner it registered) for `runnersPath`. */
    async mintJit(
      token: string,
      runnersPath: string,
      runner: { name: string; labels: string[]; groupId: number },
    ): Promise<Runner> {
      const made = await call<{ runner: Runner }>(`POST ${runnersPath}/generate-jitconfig`, token, {
        name: runner.name,
        runner_group_id: runner.groupId,
        labels: runner.labels,
        work_folder: '_work',
      });
      return { id: made.runner.id, name: made.runner.name };
    },
    async deleteRunner(token: string, runnersPath: string, runnerId: number): Promise<void> {
      await call(`DELETE ${runnersPath}/${runnerId}`, token);
    },
  };
}

export type AppClient = ReturnType<typeof appClient>;
