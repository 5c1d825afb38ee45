import { accessibleRepo } from '../auth.js';
import { param } from '../params.js';
import type { DefineRoute } from '../route.js';
import { repoJson } from '../serialize.js';
import type { GitHubState } from '../state.js';

export function repoRoutes(route: DefineRoute, deps: { state: GitHubState }): void {
  const { state } = deps;
  // Every App may read metadata: no permission to check. Names are case-insensitive.
  route('GET', '/repos/{owner}/{repo}', 'installation', (req, res, inst) => {
    res.json(repoJson(accessibleRepo(state, inst, param(req, 'owner'), param(req, 'repo'))));
  });
}
