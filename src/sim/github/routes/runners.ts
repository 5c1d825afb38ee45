import type { Request } from 'express';
import { accessibleOrg, accessibleRepo, requirePermission } from '../auth.js';
import type { Installation } from '../model.js';
import { paginate } from '../pagination.js';
import { idParam, param, queryText } from '../params.js';
import type { DefineRoute } from '../route.js';
import type { Runners, ScopeRef } from '../runners.js';
import { runnerJson } from '../serialize.js';
import type { GitHubState } from '../state.js';

/** The same four runner routes, for organizations and for repositories. */
export function runnerRoutes(
  route: DefineRoute,
  deps: { state: GitHubState; runners: Runners },
): void {
  const { state, runners } = deps;
  const scopes: {
    prefix: string;
    resolve: (req: Request, inst: Installation, level: 'read' | 'write') => ScopeRef;
  }[] = [
    {
      prefix: '/orgs/{org}',
      resolve: (req, inst, level) => {
        const org = accessibleOrg(state, inst, param(req, 'org'));
        requirePermission(inst, 'organization_self_hosted_runners', level);
        return { kind: 'org', org };
      },
    },
    {
      prefix: '/repos/{owner}/{repo}',
      resolve: (req, inst, level) => {
        const repo = accessibleRepo(state, inst, param(req, 'owner'), param(req, 'repo'));
        requirePermission(inst, 'administration', level);
        return { kind: 'repo', repo };
      },
    },
  ];

  for (const { prefix, resolve } of scopes) {
    route('GET', `${prefix}/actions/runners`, 'installation', (req, res, inst) => {
      const all = runners.list(resolve(req, inst, 'read'), { name: queryText(req, 'name') });
      res.json({ total_count: all.length, runners: paginate(req, res, all).map(runnerJson) });
    });

    route('GET', `${prefix}/actions/runners/{runner_id}`, 'installation', (req, res, inst) => {
      res.json(runnerJson(runners.get(resolve(req, inst, 'read'), idParam(req, 'runner_id'))));
    });

    route(
      'POST',
      `${prefix}/actions/runners/generate-jitconfig`,
      'installation',
      (req, res, inst) => {
        const { runner, encoded } = runners.generateJitConfig(
          resolve(req, inst, 'write'),
          req.body,
        );
        res.status(201).json({ runner: runnerJson(runner), encoded_jit_config: encoded });
      },
    );

    route('DELETE', `${prefix}/actions/runners/{runner_id}`, 'installation', (req, res, inst) => {
      runners.delete(resolve(req, inst, 'write'), idParam(req, 'runner_id'));
      res.status(204).end();
    });
  }
}
