import { EventEmitter } from 'node:events';
import type { AppSeed } from './apps.js';
import { createSimApp } from './apps.js';
import type { Clock } from './clock.js';
import type {
  Account,
  AccountType,
  AppKind,
  Delivery,
  Installation,
  InstallationToken,
  Repo,
  Runner,
  RunnerGroup,
  SimApp,
  WorkflowJob,
} from './model.js';

/** What the simulated GitHub announces in-process (the Actions service listens). */
export interface GitHubEvents {
  'job:queued': [job: WorkflowJob];
  /** A runner took the job (observers time queue waits with it). */
  'job:started': [job: WorkflowJob];
  'job:completed': [job: WorkflowJob];
  'runner:deleted': [runner: Runner];
}

/** Distinct ranges keep ids of different kinds from being mistaken for one another in logs. */
const ID_BASE = {
  account: 1_000_000,
  repo: 2_000_000,
  installation: 3_000_000,
  runner: 0,
  group: 1,
  job: 40_000_000,
  run: 10_000_000,
  delivery: 900_000_000,
} as const;

export type IdKind = keyof typeof ID_BASE;

/**
 * All of the simulated GitHub's data, with lookups. Behaviour lives in the services
 * (installations, runners, jobs, tokens, webhooks), which share one instance.
 */
export class GitHubState {
  readonly apps: Record<AppKind, SimApp>;
  readonly accounts = new Map<number, Account>();
  readonly repos = new Map<number, Repo>();
  readonly installations = new Map<number, Installation>();
  readonly tokens = new Map<string, InstallationToken>();
  /** Per org id; the Default group (id 1) first. */
  readonly runnerGroups = new Map<number, RunnerGroup[]>();
  readonly runners = new Map<number, Runner>();
  readonly jobs = new Map<number, WorkflowJob>();
  /** Jobs still waiting for a runner, oldest first, so claims need not scan finished ones. */
  readonly queuedJobs = new Map<number, WorkflowJob>();
  readonly deliveries: Record<AppKind, Delivery[]> = { org: [], personal: [] };
  readonly events = new EventEmitter<GitHubEvents>();
  /** The user who "pushes" the commits of jobs in organization repositories. */
  readonly actor: Account;
  private readonly counters = { ...ID_BASE } as Record<IdKind, number>;
  private readonly accountsByLogin = new Map<string, Account>();
  private readonly reposByName = new Map<string, Repo>();

  constructor(
    readonly clock: Clock,
    apps: { org?: AppSeed; personal?: AppSeed } = {},
  ) {
    const now = clock.iso();
    this.apps = {
      org: createSimApp('org', apps.org ?? {}, now),
      personal: createSimApp('personal', apps.personal ?? {}, now),
    };
    // Many runners may wait for jobs at once, each with its own listener.
    this.events.setMaxListeners(0);
    this.actor = this.addAccount('User', { login: 'sim-actor' });
  }

  /** Typed `on` that returns its own unsubscribe. */
  subscribe<E extends keyof GitHubEvents>(
    event: E,
    fn: (...args: GitHubEvents[E]) => void,
  ): () => void {
    // The typed emitter's conditional listener type defeats generic callers; one cast here.
    const emitter = this.events as unknown as EventEmitter;
    const listener = fn as (...args: unknown[]) => void;
    emitter.on(event, listener);
    return () => emitter.off(event, listener);
  }

  nextId(kind: IdKind): number {
    this.counters[kind] += 1;
    return this.counters[kind];
  }

  addAccount(type: AccountType, input: { login: string; id?: number }): Account {
    if (this.account(input.login)) throw new Error(`account ${input.login} already exists`);
    if (input.id !== undefined && this.accounts.has(input.id)) {
      throw new Error(`account id ${input.id} already exists`);
    }
    const account: Account = {
      id: input.id ?? this.nextId('account'),
      login: input.login,
      type,
      createdAt: this.clock.iso(),
    };
    this.accounts.set(account.id, account);
    this.accountsByLogin.set(account.login.toLowerCase(), account);
    if (type === 'Organization') {
      this.runnerGroups.set(account.id, [
        {
          id: 1,
          orgId: account.id,
          name: 'Default',
          visibility: 'all',
          selectedRepositoryIds: [],
          allowsPublicRepositories: true,
          isDefault: true,
        },
      ]);
    }
    return account;
  }

  /** GitHub logins are case-insensitive. */
  account(login: string): Account | undefined {
    return this.accountsByLogin.get(login.toLowerCase());
  }

  addRepo(input: { owner: string; name: string; private?: boolean; id?: number }): Repo {
    const owner = this.account(input.owner);
    if (!owner) throw new Error(`unknown account ${input.owner}`);
    if (this.repo(input.owner, input.name)) {
      throw new Error(`repository ${input.owner}/${input.name} already exists`);
    }
    const repo: Repo = {
      id: input.id ?? this.nextId('repo'),
      name: input.name,
      owner,
      private: input.private ?? false,
      defaultBranch: 'main',
      createdAt: this.clock.iso(),
    };
    this.repos.set(repo.id, repo);
    this.reposByName.set(`${owner.login}/${repo.name}`.toLowerCase(), repo);
    return repo;
  }

  repo(owner: string, name: string): Repo | undefined {
    return this.reposByName.get(`${owner}/${name}`.toLowerCase());
  }

  /** Accepts `owner/name` or a Repo. */
  resolveRepo(ref: string | Repo): Repo {
    if (typeof ref !== 'string') return ref;
    const [owner, name, ...rest] = ref.split('/');
    const repo = owner && name && rest.length === 0 ? this.repo(owner, name) : undefined;
    if (!repo) throw new Error(`unknown repository ${ref}`);
    return repo;
  }

  reposOf(accountId: number): Repo[] {
    return [...this.repos.values()].filter((r) => r.owner.id === accountId);
  }

  /** The live (not deleted) installation of an App on an account. */
  installationOn(app: AppKind, accountId: number): Installation | undefined {
    for (const i of this.installations.values()) {
      if (i.app === app && i.account.id === accountId && !i.deleted) return i;
    }
    return undefined;
  }

  /** The installation that hears about an account's events: whichever App is installed there. */
  installationFor(accountId: number): Installation | undefined {
    return this.installationOn('org', accountId) ?? this.installationOn('personal', accountId);
  }

  groupsOf(orgId: number): RunnerGroup[] {
    return this.runnerGroups.get(orgId) ?? [];
  }

  group(orgId: number, groupId: number): RunnerGroup | undefined {
    return this.groupsOf(orgId).find((g) => g.id === groupId);
  }
}
