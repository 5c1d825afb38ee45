import { createHash } from 'node:crypto';
import type { JobConclusion, Repo, Runner, RunnerGroup, WorkflowJob } from './model.js';
import { workflowJobPayload } from './payloads.js';
import type { GitHubState } from './state.js';
import type { WebhookSender } from './webhooks.js';

export interface QueueJobInput {
  /** `owner/name` or a Repo. */
  repo: string | Repo;
  labels: string[];
  /** How long a runner spends on it (default from the simulator options). */
  durationMs?: number;
  name?: string;
  workflowName?: string;
  /** Jobs of one run share it; by default every job gets a run of its own. */
  runId?: number;
  /** Login of the user who triggered the run (default: the repo's owner, or `sim-actor`). */
  sender?: string;
}

/** The matching rule of docs/simulator.md: the same label set, order and duplicates aside. */
export function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((l, i) => l === y[i]);
}

function inScope(runner: Runner, job: WorkflowJob, repo: Repo): boolean {
  return runner.repoId === undefined
    ? repo.owner.id === runner.accountId
    : job.repoId === runner.repoId;
}

/**
 * What GitHub enforces for an org runner's group: `allows_public_repositories: false` (and
 * `visibility: private`) keeps public repositories' jobs away, `selected` keeps all but the
 * selected repositories' jobs away. Such a job waits for another runner.
 */
function groupServes(group: RunnerGroup | undefined, repo: Repo): boolean {
  if (!group) return true;
  if (!repo.private && (!group.allowsPublicRepositories || group.visibility === 'private')) {
    return false;
  }
  return group.visibility !== 'selected' || group.selectedRepositoryIds.includes(repo.id);
}

/** Workflow jobs from queued to completed, with the `workflow_job` webhooks of each step. */
export class Jobs {
  constructor(
    private readonly state: GitHubState,
    private readonly webhooks: WebhookSender,
    private readonly defaultDurationMs: number,
  ) {}

  queue(input: QueueJobInput): WorkflowJob {
    const repo = this.state.resolveRepo(input.repo);
    if (input.labels.length === 0) throw new Error('a job needs at least one label');
    const sender = input.sender
      ? this.state.account(input.sender)
      : repo.owner.type === 'User'
        ? repo.owner
        : this.state.actor;
    if (!sender) throw new Error(`unknown sender ${input.sender}`);
    const id = this.state.nextId('job');
    const job: WorkflowJob = {
      id,
      runId: input.runId ?? this.state.nextId('run'),
      runAttempt: 1,
      repoId: repo.id,
      name: input.name ?? 'build',
      workflowName: input.workflowName ?? 'CI',
      headSha: createHash('sha1').update(`job-${id}`).digest('hex'),
      headBranch: repo.defaultBranch,
      labels: [...input.labels],
      status: 'queued',
      conclusion: null,
      createdAt: this.state.clock.iso(),
      startedAt: null,
      completedAt: null,
      runnerId: null,
      runnerName: null,
      runnerGroupId: null,
      runnerGroupName: null,
      durationMs: input.durationMs ?? this.defaultDurationMs,
      senderId: sender.id,
    };
    this.state.jobs.set(job.id, job);
    this.state.queuedJobs.set(job.id, job);
    this.notify(job, 'queued');
    // Waiting runners hear of it after the caller has seen the job queued.
    queueMicrotask(() => this.state.events.emit('job:queued', job));
    return job;
  }

  get(id: number): WorkflowJob | undefined {
    return this.state.jobs.get(id);
  }

  list(filter: { status?: WorkflowJob['status'] } = {}): WorkflowJob[] {
    return [...this.state.jobs.values()].filter(
      (j) => filter.status === undefined || j.status === filter.status,
    );
  }

  /**
   * The runner takes the oldest queued job of its scope with its label set. Synchronous, so two
   * runners can never take the same job.
   */
  claim(runner: Runner): WorkflowJob | undefined {
    if (runner.busy || runner.status !== 'online') return undefined;
    const group =
      runner.repoId === undefined ? this.state.group(runner.accountId, runner.groupId) : undefined;
    for (const job of this.state.queuedJobs.values()) {
      if (!sameLabels(job.labels, runner.labels)) continue;
      const repo = this.state.repos.get(job.repoId);
      if (!repo || !inScope(runner, job, repo) || !groupServes(group, repo)) continue;
      runner.busy = true;
      this.state.queuedJobs.delete(job.id);
      job.status = 'in_progress';
      job.startedAt = this.state.clock.iso();
      job.runnerId = runner.id;
      job.runnerName = runner.name;
      job.runnerGroupId = group?.id ?? 1;
      job.runnerGroupName = group?.name ?? 'Default';
      this.notify(job, 'in_progress');
      this.state.events.emit('job:started', job);
      return job;
    }
    return undefined;
  }

  /** The runner reports the job's end. */
  finish(jobId: number, conclusion: JobConclusion): WorkflowJob {
    const job = this.state.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    if (job.status === 'completed') return job;
    this.state.queuedJobs.delete(job.id);
    job.status = 'completed';
    job.conclusion = conclusion;
    job.completedAt = this.state.clock.iso();
    // A job cancelled before pickup never started; GitHub reports its creation time instead.
    job.startedAt ??= job.createdAt;
    if (job.runnerId !== null) {
      const runner = this.state.runners.get(job.runnerId);
      if (runner) runner.busy = false;
    }
    this.notify(job, 'completed');
    this.state.events.emit('job:completed', job);
    return job;
  }

  /** Cancelling from the UI: a queued job completes at once; a running one tells its runner. */
  cancel(jobId: number): WorkflowJob {
    return this.finish(jobId, 'cancelled');
  }

  private notify(job: WorkflowJob, action: 'queued' | 'in_progress' | 'completed'): void {
    const repo = this.state.repos.get(job.repoId);
    if (!repo) return;
    const inst = this.state.installationFor(repo.owner.id);
    // Suspended Apps receive no events.
    if (!inst || inst.suspendedAt) return;
    const sender = this.state.accounts.get(job.senderId) ?? this.state.actor;
    const payload = workflowJobPayload(action, job, repo, inst, sender);
    void this.webhooks.send(inst.app, 'workflow_job', payload, {
      installationId: inst.id,
      repositoryId: repo.id,
      orderKey: `job:${job.id}`,
    });
  }
}
