/**
 * The organization runner group our runners join, kept to the entity's `repositories:` and
 * `public_repositories` settings. GitHub enforces a group's settings itself: a runner of a group
 * with `allows_public_repositories: false` takes no job of a public repository, and one of a
 * `visibility: selected` group only jobs of the selected repositories.
 */
import type { Endpoints } from '@octokit/types';
import type { RunnerGroupPolicy } from '../config/repo-access.js';
import type { GitHubOctokit } from './apps.js';
import { isStatus } from './errors.js';
import { splitRepo } from './runners.js';

export type { RunnerGroupPolicy } from '../config/repo-access.js';

type Group =
  Endpoints['GET /orgs/{org}/actions/runner-groups']['response']['data']['runner_groups'][number];

/** What the group should be: `selected` with these ids, or `all`. */
interface Wanted {
  visibility: 'all' | 'selected';
  allows_public_repositories: boolean;
  selected_repository_ids?: number[];
}

export interface GroupLog {
  warn(fields: object, message: string): void;
}

/** A stable key of a policy: a cached group id is reused only for the policy it was made for. */
export const policyKey = (p: RunnerGroupPolicy | undefined): string =>
  p ? JSON.stringify([p.allowsPublicRepositories, p.repositories ?? null]) : '';

export async function findGroup(
  octokit: GitHubOctokit,
  org: string,
  name: string,
): Promise<Group | undefined> {
  const [group] = await octokit.paginate(
    'GET /orgs/{org}/actions/runner-groups',
    { org, per_page: 100 },
    (response, done) => {
      const found = response.data.filter((g) => g.name === name);
      if (found.length > 0) done();
      return found;
    },
  );
  return group;
}

/**
 * The ids of the org's repositories among `names`. A name GitHub does not know (a typo, a
 * repository since deleted, one of another owner) is left out with a warning: the webhook
 * filter refuses it anyway.
 */
async function repositoryIds(
  octokit: GitHubOctokit,
  org: string,
  names: readonly string[],
  log?: GroupLog,
): Promise<number[]> {
  const ids: number[] = [];
  for (const name of names) {
    const { owner, repo } = splitRepo(name);
    try {
      // An organization's group can only select the organization's own repositories.
      if (owner.toLowerCase() === org.toLowerCase()) {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo });
        ids.push(Number(data.id));
        continue;
      }
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    log?.warn(
      { org, repository: name },
      'runner group: no such repository in the org, not selected',
    );
  }
  return [...new Set(ids)].sort((a, b) => a - b);
}

async function wanted(
  octokit: GitHubOctokit,
  org: string,
  policy: RunnerGroupPolicy,
  log?: GroupLog,
): Promise<Wanted> {
  if (!policy.repositories) {
    return { visibility: 'all', allows_public_repositories: policy.allowsPublicRepositories };
  }
  return {
    visibility: 'selected',
    allows_public_repositories: policy.allowsPublicRepositories,
    selected_repository_ids: await repositoryIds(octokit, org, policy.repositories, log),
  };
}

export async function createGroup(
  octokit: GitHubOctokit,
  org: string,
  name: string,
  policy: RunnerGroupPolicy,
  log?: GroupLog,
): Promise<number> {
  const body = await wanted(octokit, org, policy, log);
  const { data } = await octokit.request('POST /orgs/{org}/actions/runner-groups', {
    org,
    name,
    ...body,
  });
  return data.id;
}

async function selectedIds(octokit: GitHubOctokit, org: string, groupId: number) {
  const repos = await octokit.paginate(
    'GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories',
    { org, runner_group_id: groupId, per_page: 100 },
  );
  return repos.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/**
 * Brings an existing group to the policy: `PATCH` its visibility and public-repository setting,
 * `PUT` its selected repositories. Someone may have changed it in GitHub's settings; the
 * runners config is what the operators chose, so it wins (and we say so in the log).
 */
export async function updateGroup(
  octokit: GitHubOctokit,
  org: string,
  group: Group,
  policy: RunnerGroupPolicy,
  log?: GroupLog,
): Promise<void> {
  const want = await wanted(octokit, org, policy, log);
  const settingsDiffer =
    group.visibility !== want.visibility ||
    group.allows_public_repositories !== want.allows_public_repositories;
  if (settingsDiffer) {
    log?.warn(
      {
        org,
        group: group.name,
        was: {
          visibility: group.visibility,
          allows_public_repositories: group.allows_public_repositories,
        },
        now: {
          visibility: want.visibility,
          allows_public_repositories: want.allows_public_repositories,
        },
      },
      'runner group settings differ from the runners config: updating the group',
    );
    await octokit.request('PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}', {
      org,
      runner_group_id: group.id,
      name: group.name,
      visibility: want.visibility,
      allows_public_repositories: want.allows_public_repositories,
    });
  }
  const ids = want.selected_repository_ids;
  if (!ids) return;
  const current = settingsDiffer ? undefined : await selectedIds(octokit, org, group.id);
  if (current && current.length === ids.length && current.every((id, i) => id === ids[i])) return;
  await octokit.request('PUT /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories', {
    org,
    runner_group_id: group.id,
    selected_repository_ids: ids,
  });
}
