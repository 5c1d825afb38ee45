import { PermanentError } from '../errors.js';
import {
  createAppClient,
  octokitClass,
  type AppClient,
  type AppCredentials,
  type GitHubOctokit,
  type OctokitSettings,
} from './apps.js';
import { isStatus } from './errors.js';
import type { ResilienceOptions } from './resilience.js';
import {
  createGroup,
  findGroup,
  policyKey,
  updateGroup,
  type RunnerGroupPolicy,
} from './runner-groups.js';
import {
  deleteRunner,
  generateJitConfig,
  listRunners,
  splitRepo,
  toRunner,
  type GitHubRunner,
  type RunnerScope,
} from './runners.js';

export type { AppCredentials } from './apps.js';
export type { GitHubRunner, RunnerScope } from './runners.js';
export type { RunnerGroupPolicy } from './runner-groups.js';

export type AppKind = 'org' | 'personal';
export type EntityType = 'Organization' | 'User';

/** Organizations use the org App (org runners in a group); personal accounts the personal App. */
export const appFor = (entityType: EntityType): AppKind =>
  entityType === 'Organization' ? 'org' : 'personal';

export interface InstallationRef {
  installationId: number;
  entityType: EntityType;
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
  /**
   * The id of the org's runner group `name`, made (or updated) to follow `policy`, the entity's
   * repository settings. Without a policy the group is only looked up (or made as GitHub's
   * defaults would, open to every repository), for callers that just need its id.
   */
  ensureRunnerGroup(
    inst: InstallationRef,
    org: string,
    name: string,
    policy?: RunnerGroupPolicy,
  ): Promise<number>;
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
  /** The App's webhook deliveries, newest first, a page at a time: stop iterating to stop. */
  listDeliveries(app: AppKind): AsyncIterable<HookDelivery[]>;
  redeliver(app: AppKind, deliveryId: number): Promise<void>;
}

export interface GitHubOptions {
  baseUrl: string;
  apps: Partial<Record<AppKind, AppCredentials>>;
  resilience?: Partial<ResilienceOptions>;
  /** For tests and benchmarks: a fetch to count or fail calls. */
  fetch?: typeof fetch;
  /** Where @octokit's own warnings go (clock skew corrected, 401 retried); console by default. */
  log?: OctokitSettings['log'];
  groupCacheMs?: number;
  now?: () => number;
}

/** What a group made without a policy allows: GitHub's own default group does the same. */
const OPEN_GROUP: RunnerGroupPolicy = { allowsPublicRepositories: true };

/** Our GitHub adapter: the only code that talks to the GitHub REST API (or the simulator). */
export function createGitHub(o: GitHubOptions): GitHub {
  const now = o.now ?? Date.now;
  const Client = octokitClass({
    baseUrl: o.baseUrl,
    fetch: o.fetch,
    resilience: {
      timeoutMs: 10_000,
      retries: 3,
      backoffMs: 300,
      maxRateLimitWaitMs: 5_000,
      ...o.resilience,
    },
  });
  const apps = new Map<AppKind, AppClient>();
  const appClient = (app: AppKind): AppClient => {
    let client = apps.get(app);
    if (!client) {
      const creds = o.apps[app];
      if (!creds)
        throw new PermanentError(`the ${app} GitHub App is not configured`, 'app_not_configured');
      client = createAppClient(creds, Client, o.log);
      apps.set(app, client);
    }
    return client;
  };
  // Runner-group ids by installation, org and name: a group is looked up (or made, or brought to
  // its policy) once an hour, not once per job, which keeps provisioning at about one GitHub call
  // per job. `policy` is the policy the group was checked against ('' for none).
  const groups = new Map<string, { id: number; at: number; policy: string }>();

  /**
   * Runs `call` as the installation. A token GitHub refuses (revoked) would stay in auth-app's
   * cache for the rest of its 59 minutes: mint a new one, and try once more.
   */
  async function asInstallation<T>(
    inst: InstallationRef,
    call: (octokit: GitHubOctokit) => Promise<T>,
  ): Promise<T> {
    const app = appClient(appFor(inst.entityType));
    const octokit = await app.installation(inst.installationId);
    try {
      return await call(octokit);
    } catch (err) {
      if (!isStatus(err, 401)) throw err;
      await app.refresh(inst.installationId);
      return call(octokit);
    }
  }

  return {
    async ensureRunnerGroup(inst, org, name, policy) {
      const key = `${inst.installationId}/${org}/${name}`;
      const hit = groups.get(key);
      const fresh = hit && now() - hit.at < (o.groupCacheMs ?? 3_600_000);
      if (fresh && (policy === undefined || hit.policy === policyKey(policy))) return hit.id;
      return asInstallation(inst, async (octokit) => {
        let group = await findGroup(octokit, org, name);
        let id = group?.id;
        if (!group) {
          try {
            id = await createGroup(octokit, org, name, policy ?? OPEN_GROUP, o.log);
          } catch (err) {
            // Another worker created it first (perhaps without a policy: it is checked below).
            if (!isStatus(err, 409)) throw err;
            group = await findGroup(octokit, org, name);
            id = group?.id;
          }
        }
        if (group && policy) await updateGroup(octokit, org, group, policy, o.log);
        if (id === undefined)
          throw new Error(`runner group "${name}" neither found nor created in ${org}`);
        // A look-up without a policy does not undo the check of one.
        const checked = policy ? policyKey(policy) : hit?.id === id ? hit.policy : '';
        groups.set(key, { id, at: now(), policy: checked });
        return id;
      });
    },

    generateJitConfig(inst, scope, runner) {
      return asInstallation(inst, async (octokit) => {
        const { data } = await generateJitConfig(octokit, scope, {
          name: runner.name,
          runner_group_id: runner.groupId ?? 1,
          labels: runner.labels,
          work_folder: '_work',
        });
        return { runnerId: data.runner.id, jitConfig: data.encoded_jit_config };
      });
    },

    findRunner(inst, scope, name) {
      return asInstallation(inst, async (octokit) => {
        // GitHub's `name` filter is exact, so this is one page.
        const found = (await listRunners(octokit, scope, { name })).find((r) => r.name === name);
        return found ? toRunner(found) : undefined;
      });
    },

    listRunners(inst, scope, groupId) {
      return asInstallation(inst, async (octokit) =>
        (await listRunners(octokit, scope, { groupId })).map(toRunner),
      );
    },

    deleteRunner(inst, scope, runnerId) {
      return asInstallation(inst, async (octokit) => {
        try {
          await deleteRunner(octokit, scope, runnerId);
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
      return asInstallation(inst, async (octokit) => {
        try {
          const { data } = await octokit.request(
            'GET /repos/{owner}/{repo}/actions/jobs/{job_id}',
            { ...splitRepo(repoFullName), job_id: jobId },
          );
          return {
            // Job and delivery ids can pass 2^53 in GitHub's schema (bigint); ours fit a number.
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

    async *listDeliveries(app) {
      const pages = appClient(app).octokit.paginate.iterator('GET /app/hook/deliveries', {
        per_page: 100,
      });
      for await (const { data } of pages) {
        yield data.map((d) => ({
          id: Number(d.id),
          guid: d.guid,
          deliveredAt: d.delivered_at,
          redelivery: d.redelivery,
          statusCode: d.status_code,
          event: d.event,
          action: d.action,
        }));
      }
    },

    async redeliver(app, deliveryId) {
      await appClient(app).octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', {
        delivery_id: deliveryId,
      });
    },
  };
}
