import { accessibleRepo, requirePermission } from '../auth.js';
import { notFound } from '../errors.js';
import { idParam, param } from '../params.js';
import { jobJson } from '../payloads.js';
import type { DefineRoute } from '../route.js';
import type { GitHubState } from '../state.js';

export function jobRoutes(route: DefineRoute, deps: { state: GitHubState }): void {
  const { state } = deps;
  route('GET', '/repos/{owner}/{repo}/actions/jobs/{job_id}', 'installation', (req, res, inst) => {
    const repo = accessibleRepo(state, inst, param(req, 'owner'), param(req, 'repo'));
    requirePermission(inst, 'actions', 'read');
    const job = state.jobs.get(idParam(req, 'job_id'));
    if (!job || job.repoId !== repo.id) throw notFound();
    res.json(jobJson(job, repo));
  });
}
