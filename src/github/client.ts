import { Octokit } from '@octokit/core';
import { PermanentError } from '../errors.js';
import { isStatus } from './errors.js';
import { addResilience, type ResilienceOptions } from './resilience.js';
import { InstallationTokens, type AppCredentials } from './token-cache.js';

export type AppKind = 'org' | 'personal';
export type EntityType = 'Organization' | 'User';

/** Organizations use the org App (org runners in a group); personal accounts the personal App. */
export const appFor = (entityType: EntityType): AppKind =>
  entityType === 'Organization' ? 'org' : 'personal';

export interface InstallationRef {
  installationId: number;
  entityType: EntityType;
}

export type RunnerScope = { kind: 'org'; org: string } | { kind: 'repo'; repoFullName: string };

export interface GitHubRunner {
  id: number;
  name: string;
  status: string;
  busy: boolean;
  labels: string[];
}

export interface GitHubJob {
  id: number;
  status: string;
  conclusion: string | null;
  runnerName: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface HookDelivery {
  id: number;
  guid: string;
  deliveredAt: string;
  redelivery: boolean;
  statusCode: number;
  event: string;
  action: string | null;
}

export interface GitHub {
  ensureRunnerGroup(inst: InstallationRef, org: string, name: string): Promise<number>;
  generateJitConfig(
    inst: InstallationRef,
    scope: RunnerScope,
    runner: { name: string; labels: string[]; groupId?: number },
  ): Promise<{ runnerId: number; jitConfig: string }>;
  findRunner(
    inst: InstallationRef,
    scope: RunnerScope,
    name: string,
  ): Promise<GitHubRunner | undefined>;
  listRunners(inst: InstallationRef, scope: RunnerScope, groupId?: number): Promise<GitHubRunner[]>;
  deleteRunner(
    inst: InstallationRef,
    scope: RunnerScope,
    runnerId: number,
  ): Promise<'deleted' | 'not_found' | 'busy'>;
  getJob(
    inst: InstallationRef,
    repoFullName: string,
    jobId: number,
  ): Promise<GitHubJob | undefined>;
  listDeliveries(
    app: AppKind,
    cursor?: string,
  ): Promise<{ deliveries: HookDelivery[]; next?: string }>;
  redeliver(app: AppKind, deliveryId: number): Promise<void>;
}

export interface GitHubOptions {
  baseUrl: string;
  apps: Partial<Record<AppKind, AppCredentials>>;
  resilience?: Partial<ResilienceOptions>;
  /** For tests and benchmarks: a fetch to count or fail calls. */
  fetch?: typeof fetch;
  groupCacheMs?: number;
  now?: () => number;
}

type Runner = {
  id: number;
  name: string;
  status: string;
  busy: boolean;
  labels: { name: string }[];
};
const toRunner = (r: Runner): GitHubRunner => ({
  id: r.id,
  name: r.name,
  status: r.status,
  busy: r.busy,
  labels: r.labels.map((l) => l.name),
});

const split = (repoFullName: string) => {
  const [owner = '', repo = ''] = repoFullName.split('/');
  return { owner, repo };
};

const runnersPath = (scope: RunnerScope) =>
  scope.kind === 'org'
    ? `/orgs/${encodeURIComponent(scope.org)}/actions/runners`
    : `/repos/${scope.repoFullName}/actions/runners`;

/** Our GitHub adapter: the only code that talks to the GitHub REST API (or the simulator). */
export function createGitHub(o: GitHubOptions): GitHub {
  const now = o.now ?? Date.now;
  const octokit = new Octokit({
    baseUrl: o.baseUrl,
    userAgent: 'rise-riscv-runners',
    request: o.fetch ? { fetch: o.fetch } : {},
  });
  addResilience(octokit, {
    timeoutMs: 10_000,
    retries: 3,
    backoffMs: 300,
    maxRateLimitWaitMs: 5_000,
    ...o.resilience,
  });
  const tokens = new Map<AppKind, InstallationTokens>();
  const tokensFor = (app: AppKind) => {
    let t = tokens.get(app);
    if (!t) {
      const creds = o.apps[app];
      if (!creds)
        throw new PermanentError(`the ${app} GitHub App is not configured`, 'app_not_configured');
      t = new InstallationTokens(octokit, creds, { now });
      tokens.set(app, t);
    }
    return t;
  };
  const groups = new Map<string, { id: number; at: number }>();
  // Routes built at run time (org or repository scope) have no Octokit types: their data is unknown.
  const dynamic = (route: string, params: Record<string, unknown>): Promise<{ data: unknown }> =>
    octokit.request(route, params);

  /** Runs `call` with an installation token; a refused token is minted again once. */
  async function asInstallation<T>(
    inst: InstallationRef,
    call: (auth: string) => Promise<T>,
  ): Promise<T> {
    const t = tokensFor(appFor(inst.entityType));
    const token = async () => {
      try {
        return `token ${await t.get(inst.installationId)}`;
      } catch (err) {
        if (isStatus(err, 404, 403, 401)) {
          throw new PermanentError(
            `installation ${inst.installationId} is gone or suspended`,
            'installation_unavailable',
            { installationId: inst.installationId, scope: 'installation' },
          );
        }
        throw err;
      }
    };
    try {
      return await call(await token());
    } catch (err) {
      if (!isStatus(err, 401)) throw err;
      t.invalidate(inst.installationId);
      return call(await token());
    }
  }

  async function asApp<T>(app: AppKind, call: (auth: string) => Promise<T>): Promise<T> {
    return call(`bearer ${await tokensFor(app).appJwt()}`);
  }

  async function paginate<T>(
    auth: string,
    url: string,
    key: string,
    map: (x: never) => T,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const { data } = await dynamic(`GET ${url}`, {
        per_page: 100,
        page,
        headers: { authorization: auth },
      });
      const items = ((data as Record<string, unknown>)[key] ?? []) as never[];
      out.push(...items.map(map));
      if (items.length < 100) return out;
    }
  }

  return {
    async ensureRunnerGroup(inst, org, name) {
      const key = `${inst.installationId}/${org}/${name}`;
      const hit = groups.get(key);
      if (hit && now() - hit.at < (o.groupCacheMs ?? 3_600_000)) return hit.id;
      return asInstallation(inst, async (auth) => {
        const url = `/orgs/${encodeURIComponent(org)}/actions/runner-groups`;
        const find = async () =>
          (await paginate(auth, url, 'runner_groups', (g: { id: number; name: string }) => g)).find(
            (g) => g.name === name,
          );
        let group = await find();
        if (!group) {
          try {
            const { data } = await dynamic(`POST ${url}`, {
              name,
              visibility: 'all',
              allows_public_repositories: true,
              headers: { authorization: auth },
            });
            group = data as { id: number; name: string };
          } catch (err) {
            // Another worker created it first.
            if (!isStatus(err, 409)) throw err;
            group = await find();
          }
        }
        if (!group) throw new Error(`runner group "${name}" neither found nor created in ${org}`);
        groups.set(key, { id: group.id, at: now() });
        return group.id;
      });
    },

    generateJitConfig(inst, scope, runner) {
      return asInstallation(inst, async (auth) => {
        const { data } = await dynamic(`POST ${runnersPath(scope)}/generate-jitconfig`, {
          name: runner.name,
          runner_group_id: runner.groupId ?? 1,
          labels: runner.labels,
          work_folder: '_work',
          headers: { authorization: auth },
        });
        const d = data as { runner: { id: number }; encoded_jit_config: string };
        return { runnerId: d.runner.id, jitConfig: d.encoded_jit_config };
      });
    },

    findRunner(inst, scope, name) {
      return asInstallation(inst, async (auth) => {
        const { data } = await dynamic(`GET ${runnersPath(scope)}`, {
          name,
          per_page: 100,
          headers: { authorization: auth },
        });
        const found = (data as { runners: Runner[] }).runners.find((r) => r.name === name);
        return found ? toRunner(found) : undefined;
      });
    },

    listRunners(inst, scope, groupId) {
      const url =
        scope.kind === 'org' && groupId !== undefined
          ? `/orgs/${encodeURIComponent(scope.org)}/actions/runner-groups/${groupId}/runners`
          : runnersPath(scope);
      return asInstallation(inst, (auth) => paginate(auth, url, 'runners', toRunner));
    },

    deleteRunner(inst, scope, runnerId) {
      return asInstallation(inst, async (auth) => {
        try {
          await dynamic(`DELETE ${runnersPath(scope)}/${runnerId}`, {
            headers: { authorization: auth },
          });
          return 'deleted' as const;
        } catch (err) {
          if (isStatus(err, 404)) return 'not_found' as const;
          // GitHub refuses to delete a runner that is running a job.
          if (isStatus(err, 422)) return 'busy' as const;
          throw err;
        }
      });
    },

    getJob(inst, repoFullName, jobId) {
      const { owner, repo } = split(repoFullName);
      return asInstallation(inst, async (auth) => {
        try {
          const { data } = await octokit.request(
            'GET /repos/{owner}/{repo}/actions/jobs/{job_id}',
            {
              owner,
              repo,
              job_id: jobId,
              headers: { authorization: auth },
            },
          );
          return {
            id: Number(data.id),
            status: data.status,
            conclusion: data.conclusion,
            runnerName: data.runner_name,
            startedAt: data.started_at,
            completedAt: data.completed_at ?? null,
          };
        } catch (err) {
          if (isStatus(err, 404)) return undefined;
          throw err;
        }
      });
    },

    listDeliveries(app, cursor) {
      return asApp(app, async (auth) => {
        const response = await octokit.request('GET /app/hook/deliveries', {
          per_page: 100,
          ...(cursor ? { cursor } : {}),
          headers: { authorization: auth },
        });
        const next = /<[^>]*[?&]cursor=([^&>]+)[^>]*>;\s*rel="next"/.exec(
          response.headers.link ?? '',
        )?.[1];
        return {
          deliveries: response.data.map((d) => ({
            id: Number(d.id),
            guid: d.guid,
            deliveredAt: d.delivered_at,
            redelivery: d.redelivery,
            statusCode: d.status_code,
            event: d.event,
            action: d.action,
          })),
          next: next ? decodeURIComponent(next) : undefined,
        };
      });
    },

    async redeliver(app, deliveryId) {
      await asApp(app, (auth) =>
        octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', {
          delivery_id: deliveryId,
          headers: { authorization: auth },
        }),
      );
    },
  };
}
