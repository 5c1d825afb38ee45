import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { GitHubError, invalid, notFound } from './errors.js';
import type { Account, Repo, Runner, RunnerGroup } from './model.js';
import type { GitHubState } from './state.js';

/** Where runners are registered: an organization, or one repository. */
export type ScopeRef = { kind: 'org'; org: Account } | { kind: 'repo'; repo: Repo };

export function scopeName(s: ScopeRef): string {
  return s.kind === 'org' ? `orgs/${s.org.login}` : `repos/${s.repo.owner.login}/${s.repo.name}`;
}

const jitSchema = z.object({
  runner_id: z.number().int(),
  name: z.string(),
  scope: z.string(),
  labels: z.array(z.string()),
  secret: z.string(),
});
export type JitConfig = z.infer<typeof jitSchema>;

export function encodeJitConfig(c: JitConfig): string {
  return Buffer.from(JSON.stringify(c)).toString('base64');
}

export function decodeJitConfig(text: string): JitConfig | undefined {
  try {
    const parsed = jitSchema.safeParse(JSON.parse(Buffer.from(text, 'base64').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A runner process could not connect with its JIT config. */
export class RegistrationError extends Error {
  override name = 'RegistrationError';
}

const visibility = z.enum(['all', 'selected', 'private']);
const repoIds = z.array(z.number().int().positive());

// GitHub's defaults: visible to all repositories, but not to public ones.
const groupBody = z.object({
  name: z.string().min(1),
  visibility: visibility.default('all'),
  selected_repository_ids: repoIds.default([]),
  allows_public_repositories: z.boolean().default(false),
});

const groupUpdate = z.object({
  name: z.string().min(1),
  visibility: visibility.optional(),
  allows_public_repositories: z.boolean().optional(),
});

const groupRepos = z.object({ selected_repository_ids: repoIds });

const jitBody = z.object({
  name: z.string().min(1).max(64),
  runner_group_id: z.number().int().optional(),
  labels: z.array(z.string().min(1)).min(1).max(100),
  work_folder: z.string().default('_work'),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw invalid(String(issue?.path[0] ?? 'body'), issue?.message ?? 'is invalid');
}

/** Runner groups and self-hosted runners: what the REST routes and the Actions service change. */
export class Runners {
  constructor(private readonly state: GitHubState) {}

  createGroup(org: Account, body: unknown): RunnerGroup {
    const b = parse(groupBody, body);
    const groups = this.state.groupsOf(org.id);
    if (groups.some((g) => g.name.toLowerCase() === b.name.toLowerCase())) {
      throw new GitHubError(409, `Runner group name "${b.name}" is already in use`);
    }
    const group: RunnerGroup = {
      id: this.state.nextId('group'),
      orgId: org.id,
      name: b.name,
      visibility: b.visibility,
      selectedRepositoryIds: this.orgRepoIds(org, b.selected_repository_ids),
      allowsPublicRepositories: b.allows_public_repositories,
      isDefault: false,
    };
    this.state.runnerGroups.set(org.id, [...groups, group]);
    return group;
  }

  /** `PATCH …/runner-groups/{id}`: GitHub requires `name` even when it does not change. */
  updateGroup(org: Account, groupId: number, body: unknown): RunnerGroup {
    const group = this.state.group(org.id, groupId);
    if (!group) throw notFound();
    const b = parse(groupUpdate, body);
    const clash = this.state
      .groupsOf(org.id)
      .some((g) => g.id !== group.id && g.name.toLowerCase() === b.name.toLowerCase());
    if (clash) throw new GitHubError(409, `Runner group name "${b.name}" is already in use`);
    group.name = b.name;
    group.visibility = b.visibility ?? group.visibility;
    group.allowsPublicRepositories = b.allows_public_repositories ?? group.allowsPublicRepositories;
    return group;
  }

  /** `PUT …/runner-groups/{id}/repositories`: replaces the selection. */
  setGroupRepositories(org: Account, groupId: number, body: unknown): void {
    const group = this.state.group(org.id, groupId);
    if (!group) throw notFound();
    group.selectedRepositoryIds = this.orgRepoIds(
      org,
      parse(groupRepos, body).selected_repository_ids,
    );
  }

  groupRepositories(org: Account, groupId: number): Repo[] {
    const group = this.state.group(org.id, groupId);
    if (!group) throw notFound();
    return group.selectedRepositoryIds.flatMap((id) => this.state.repos.get(id) ?? []);
  }

  /** A group can only select its own organization's repositories. */
  private orgRepoIds(org: Account, ids: readonly number[]): number[] {
    for (const id of ids) {
      if (this.state.repos.get(id)?.owner.id !== org.id) {
        throw invalid(
          'selected_repository_ids',
          `contains ${id}, not a repository of ${org.login}`,
        );
      }
    }
    return [...new Set(ids)];
  }

  /** Creates the runner (offline until its process connects) and the config that proves it. */
  generateJitConfig(scope: ScopeRef, body: unknown): { runner: Runner; encoded: string } {
    const b = parse(jitBody, body);
    let groupId = 1;
    if (scope.kind === 'org') {
      if (b.runner_group_id === undefined) throw invalid('runner_group_id', "wasn't supplied");
      if (!this.state.group(scope.org.id, b.runner_group_id)) throw notFound();
      groupId = b.runner_group_id;
    }
    const scopeText = scopeName(scope);
    if (this.list(scope).some((r) => r.name === b.name)) {
      throw new GitHubError(
        409,
        `Already exists - A runner with the name ${b.name} already exists.`,
      );
    }
    const runner: Runner = {
      id: this.state.nextId('runner'),
      name: b.name,
      labels: b.labels,
      scope: scopeText,
      accountId: scope.kind === 'org' ? scope.org.id : scope.repo.owner.id,
      repoId: scope.kind === 'repo' ? scope.repo.id : undefined,
      groupId,
      status: 'offline',
      busy: false,
      secret: randomBytes(24).toString('base64url'),
      registered: false,
      workFolder: b.work_folder,
      createdAt: this.state.clock.iso(),
    };
    this.state.runners.set(runner.id, runner);
    const encoded = encodeJitConfig({
      runner_id: runner.id,
      name: runner.name,
      scope: scopeText,
      labels: runner.labels,
      secret: runner.secret,
    });
    return { runner, encoded };
  }

  list(scope: ScopeRef, filter: { name?: string; groupId?: number } = {}): Runner[] {
    return [...this.state.runners.values()].filter(
      (r) =>
        (scope.kind === 'org'
          ? r.accountId === scope.org.id && r.repoId === undefined
          : r.repoId === scope.repo.id) &&
        (filter.name === undefined || r.name === filter.name) &&
        (filter.groupId === undefined || r.groupId === filter.groupId),
    );
  }

  get(scope: ScopeRef, id: number): Runner {
    const r = this.state.runners.get(id);
    if (!r || r.scope !== scopeName(scope)) throw notFound();
    return r;
  }

  delete(scope: ScopeRef, id: number): void {
    const r = this.get(scope, id);
    if (r.busy) {
      throw new GitHubError(422, `Bad request - Runner "${r.name}" is still running a job"`);
    }
    this.remove(r.id);
  }

  /** A runner process connects with its JIT config: the secret must match, and only once. */
  register(jit: JitConfig): Runner {
    const r = this.state.runners.get(jit.runner_id);
    if (!r) {
      throw new RegistrationError(
        'The runner registration has been deleted from the server, please re-configure.',
      );
    }
    const a = Buffer.from(jit.secret);
    const b = Buffer.from(r.secret);
    const genuine = a.length === b.length && timingSafeEqual(a, b);
    if (!genuine || r.name !== jit.name || r.scope !== jit.scope) {
      throw new RegistrationError('Registration was not found or is not medium trust.');
    }
    if (r.registered) throw new RegistrationError('This JIT configuration has already been used.');
    r.registered = true;
    r.status = 'online';
    return r;
  }

  goOffline(id: number): void {
    const r = this.state.runners.get(id);
    if (r) {
      r.status = 'offline';
      r.busy = false;
    }
  }

  /** Ephemeral runners deregister after their job; DELETE removes idle ones. */
  remove(id: number): void {
    const r = this.state.runners.get(id);
    if (!r) return;
    this.state.runners.delete(id);
    this.state.events.emit('runner:deleted', r);
  }
}
