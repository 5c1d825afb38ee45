import { accessibleOrg, requirePermission } from '../auth.js';
import { notFound } from '../errors.js';
import { paginate } from '../pagination.js';
import { idParam, param } from '../params.js';
import type { DefineRoute } from '../route.js';
import type { Runners } from '../runners.js';
import { runnerGroupJson, runnerJson } from '../serialize.js';
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
