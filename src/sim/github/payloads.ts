/** Workflow jobs as GitHub serves them, and the webhook payloads that carry them. */

import type { Account, Installation, Repo, SimApp, WorkflowJob } from './model.js';
import {
  API,
  WEB,
  installationJson,
  nodeId,
  orgJson,
  repoJson,
  repoRefJson,
  userJson,
} from './serialize.js';

const STEP_NAMES = [
  'Set up job',
  'Run actions/checkout@v4',
  'Run ./configure --prefix=/usr',
  'Run make -j"$(nproc)"',
  'Run make check',
  'Post Run actions/checkout@v4',
  'Complete job',
];

interface Step {
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  number: number;
  started_at: string | null;
  completed_at: string | null;
}

/** Steps spread evenly over the job's run, so payloads weigh what GitHub's do. */
function steps(job: WorkflowJob): Step[] {
  if (job.status === 'queued' || !job.startedAt) return [];
  const start = Date.parse(job.startedAt);
  const end = job.completedAt ? Date.parse(job.completedAt) : start;
  const slice = (end - start) / STEP_NAMES.length;
  const at = (i: number): string =>
    new Date(start + slice * i).toISOString().replace(/\.\d{3}Z$/, '.000Z');
  return STEP_NAMES.map((name, i): Step => {
    const number = i + 1;
    if (job.status === 'in_progress') {
      return i === 0
        ? {
            name,
            status: 'in_progress',
            conclusion: null,
            number,
            started_at: at(0),
            completed_at: null,
          }
        : {
            name,
            status: 'queued',
            conclusion: null,
            number,
            started_at: null,
            completed_at: null,
          };
    }
    // A cancelled or failed job stops after the first step; the rest are skipped.
    const conclusion =
      job.conclusion === 'success' || i === 0 ? 'success' : i === 1 ? job.conclusion : 'skipped';
    return {
      name,
      status: 'completed',
      conclusion,
      number,
      started_at: at(i),
      completed_at: at(i + 1),
    };
  });
}

export function jobJson(job: WorkflowJob, repo: Repo): Record<string, unknown> {
  const full = `${repo.owner.login}/${repo.name}`;
  return {
    id: job.id,
    run_id: job.runId,
    workflow_name: job.workflowName,
    head_branch: job.headBranch,
    run_url: `${API}/repos/${full}/actions/runs/${job.runId}`,
    run_attempt: job.runAttempt,
    node_id: nodeId('CheckRun', job.id),
    head_sha: job.headSha,
    url: `${API}/repos/${full}/actions/jobs/${job.id}`,
    html_url: `${WEB}/${full}/actions/runs/${job.runId}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: job.createdAt,
    started_at: job.startedAt ?? job.createdAt,
    completed_at: job.completedAt,
    name: job.name,
    steps: steps(job),
    check_run_url: `${API}/repos/${full}/check-runs/${job.id}`,
    labels: job.labels,
    runner_id: job.runnerId,
    runner_name: job.runnerName,
    runner_group_id: job.runnerGroupId,
    runner_group_name: job.runnerGroupName,
  };
}

export function workflowJobPayload(
  action: 'queued' | 'in_progress' | 'completed',
  job: WorkflowJob,
  repo: Repo,
  installation: Installation,
  sender: Account,
): Record<string, unknown> {
  return {
    action,
    workflow_job: jobJson(job, repo),
    repository: repoJson(repo),
    ...(repo.owner.type === 'Organization' ? { organization: orgJson(repo.owner) } : {}),
    sender: userJson(sender),
    installation: {
      id: installation.id,
      node_id: nodeId('IntegrationInstallation', installation.id),
    },
  };
}

export type InstallationAction = 'created' | 'deleted' | 'suspend' | 'unsuspend';

export function installationPayload(
  action: InstallationAction,
  installation: Installation,
  app: SimApp,
  repos: Repo[],
  sender: Account,
): Record<string, unknown> {
  return {
    action,
    installation: installationJson(installation, app),
    ...(action === 'created' || action === 'deleted'
      ? { repositories: repos.map(repoRefJson) }
      : {}),
    requester: null,
    sender: userJson(sender),
  };
}
