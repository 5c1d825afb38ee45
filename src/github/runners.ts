import type { Endpoints } from '@octokit/types';
import type { GitHubOctokit } from './apps.js';

export type RunnerScope = { kind: 'org'; org: string } | { kind: 'repo'; repoFullName: string };

export interface GitHubRunner {
  id: number;
  name: string;
  status: string;
  busy: boolean;
  labels: string[];
}

type Runner = Endpoints['GET /orgs/{org}/actions/runners']['response']['data']['runners'][number];

export const toRunner = (r: Runner): GitHubRunner => ({
  id: r.id,
  name: r.name,
  status: r.status,
  busy: r.busy,
  labels: r.labels.map((l) => l.name),
});

export const splitRepo = (repoFullName: string) => {
  const [owner = '', repo = ''] = repoFullName.split('/');
  return { owner, repo };
};

/*
 * The runner routes of GitHub's REST API exist twice, for an organization and for a repository,
 * with the same bodies and answers. Each call names both typed routes, so that every request is
 * typed by @octokit/types (no route string built at run time).
 */

export function generateJitConfig(
  octokit: GitHubOctokit,
  scope: RunnerScope,
  body: { name: string; runner_group_id: number; labels: string[]; work_folder: string },
) {
  return scope.kind === 'org'
    ? octokit.request('POST /orgs/{org}/actions/runners/generate-jitconfig', {
        org: scope.org,
        ...body,
      })
    : octokit.request('POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig', {
        ...splitRepo(scope.repoFullName),
        ...body,
      });
}

/** Every runner of the scope (or of one org runner group), all pages. */
export function listRunners(
  octokit: GitHubOctokit,
  scope: RunnerScope,
  filter: { groupId?: number; name?: string } = {},
): Promise<Runner[]> {
  const page = { per_page: 100, ...(filter.name === undefined ? {} : { name: filter.name }) };
  if (scope.kind === 'repo') {
    return octokit.paginate('GET /repos/{owner}/{repo}/actions/runners', {
      ...splitRepo(scope.repoFullName),
      ...page,
    });
  }
  if (filter.groupId === undefined) {
    return octokit.paginate('GET /orgs/{org}/actions/runners', { org: scope.org, ...page });
  }
  return octokit.paginate('GET /orgs/{org}/actions/runner-groups/{runner_group_id}/runners', {
    org: scope.org,
    runner_group_id: filter.groupId,
    per_page: 100,
  });
}

export function deleteRunner(octokit: GitHubOctokit, scope: RunnerScope, runnerId: number) {
  return scope.kind === 'org'
    ? octokit.request('DELETE /orgs/{org}/actions/runners/{runner_id}', {
        org: scope.org,
        runner_id: runnerId,
      })
    : octokit.request('DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}', {
        ...splitRepo(scope.repoFullName),
        runner_id: runnerId,
      });
}
