import { accessibleOrg, requirePermission } from '../auth.js';
import { notFound } from '../errors.js';
import { paginate } from '../pagination.js';
import { idParam, param } from '../params.js';
import type { DefineRoute } from '../route.js';
import type { Runners } from '../runners.js';
import { repoJson, runnerGroupJson, runnerJson } from '../serialize.js';
import type { GitHubState } from '../state.js';

export function runnerGroupRoutes(
  route: DefineRoute,
  deps: { state: GitHubState; runners: Runners },
): void {
  const { state, runners } = deps;
  const PERM = 'organization_self_hosted_runners';

  route('GET', '/orgs/{org}/actions/runner-groups', 'installation', (req, res, inst) => {
    const org = accessibleOrg(state, inst, param(req, 'org'));
    requirePermission(inst, PERM, 'read');
    const all = state.groupsOf(org.id);
    res.json({
      total_count: all.length,
      runner_groups: paginate(req, res, all).map((g) => runnerGroupJson(g, org)),
    });
  });

  route('POST', '/orgs/{org}/actions/runner-groups', 'installation', (req, res, inst) => {
    const org = accessibleOrg(state, inst, param(req, 'org'));
    requirePermission(inst, PERM, 'write');
    res.status(201).json(runnerGroupJson(runners.createGroup(org, req.body), org));
  });

  route(
    'PATCH',
    '/orgs/{org}/actions/runner-groups/{runner_group_id}',
    'installation',
    (req, res, inst) => {
      const org = accessibleOrg(state, inst, param(req, 'org'));
      requirePermission(inst, PERM, 'write');
      const group = runners.updateGroup(org, idParam(req, 'runner_group_id'), req.body);
      res.json(runnerGroupJson(group, org));
    },
  );

  route(
    'GET',
    '/orgs/{org}/actions/runner-groups/{runner_group_id}/repositories',
    'installation',
    (req, res, inst) => {
      const org = accessibleOrg(state, inst, param(req, 'org'));
      requirePermission(inst, PERM, 'read');
      const all = runners.groupRepositories(org, idParam(req, 'runner_group_id'));
      res.json({ total_count: all.length, repositories: paginate(req, res, all).map(repoJson) });
    },
  );

  route(
    'PUT',
    '/orgs/{org}/actions/runner-groups/{runner_group_id}/repositories',
    'installation',
    (req, res, inst) => {
      const org = accessibleOrg(state, inst, param(req, 'org'));
      requirePermission(inst, PERM, 'write');
      runners.setGroupRepositories(org, idParam(req, 'runner_group_id'), req.body);
      res.status(204).end();
    },
  );

  route(
    'GET',
    '/orgs/{org}/actions/runner-groups/{runner_group_id}/runners',
    'installation',
    (req, res, inst) => {
      const org = accessibleOrg(state, inst, param(req, 'org'));
      requirePermission(inst, PERM, 'read');
      const group = state.group(org.id, idParam(req, 'runner_group_id'));
      if (!group) throw notFound();
      const all = runners.list({ kind: 'org', org }, { groupId: group.id });
      res.json({ total_count: all.length, runners: paginate(req, res, all).map(runnerJson) });
    },
  );
}
