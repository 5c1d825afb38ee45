/** The simulated GitHub's entities, as stored in memory (REST shapes are built in serialize.ts). */

import type { KeyObject } from 'node:crypto';

export type AppKind = 'org' | 'personal';
export const APP_KINDS: readonly AppKind[] = ['org', 'personal'];

export interface SimApp {
  kind: AppKind;
  id: number;
  slug: string;
  name: string;
  clientId: string;
  /** PKCS#1 PEM, the format GitHub hands out. */
  privateKeyPem: string;
  publicKey: KeyObject;
  hookId: number;
  ownerLogin: string;
  createdAt: string;
  webhook: { url?: string; secret?: string };
}

export type AccountType = 'Organization' | 'User';

export interface Account {
  id: number;
  login: string;
  type: AccountType;
  createdAt: string;
}

export interface Repo {
  id: number;
  name: string;
  owner: Account;
  private: boolean;
  defaultBranch: string;
  createdAt: string;
}

export interface Installation {
  id: number;
  app: AppKind;
  account: Account;
  permissions: Record<string, 'read' | 'write'>;
  repositorySelection: 'all' | 'selected';
  createdAt: string;
  updatedAt: string;
  suspendedAt: string | null;
  deleted: boolean;
}

export interface InstallationToken {
  token: string;
  installationId: number;
  /** Simulator-clock milliseconds. */
  expiresAtMs: number;
}

export interface RunnerGroup {
  id: number;
  orgId: number;
  name: string;
  visibility: 'all' | 'selected' | 'private';
  /** The repositories of a `selected` group (kept, but unused, under another visibility). */
  selectedRepositoryIds: number[];
  allowsPublicRepositories: boolean;
  isDefault: boolean;
}

/** `orgs/{org}` or `repos/{owner}/{repo}`, the path prefix of the runner's REST routes. */
export type RunnerScope = string;

export interface Runner {
  id: number;
  name: string;
  labels: string[];
  scope: RunnerScope;
  /** The org (org scope) or the repository's owner (repo scope). */
  accountId: number;
  /** Set for repository-scoped runners. */
  repoId?: number;
  groupId: number;
  status: 'online' | 'offline';
  busy: boolean;
  /** Proves the identity of whoever presents the JIT config. */
  secret: string;
  /** A JIT config works once: the runner has connected with it. */
  registered: boolean;
  workFolder: string;
  createdAt: string;
}

export type JobStatus = 'queued' | 'in_progress' | 'completed';
export type JobConclusion = 'success' | 'failure' | 'cancelled';

export interface WorkflowJob {
  id: number;
  runId: number;
  runAttempt: number;
  repoId: number;
  name: string;
  workflowName: string;
  headSha: string;
  headBranch: string;
  labels: string[];
  status: JobStatus;
  conclusion: JobConclusion | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  runnerId: number | null;
  runnerName: string | null;
  runnerGroupId: number | null;
  runnerGroupName: string | null;
  durationMs: number;
  senderId: number;
}

export interface Delivery {
  id: number;
  guid: string;
  app: AppKind;
  deliveredAt: string;
  redelivery: boolean;
  /** Seconds, as GitHub reports it. */
  duration: number;
  status: string;
  statusCode: number;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  request: { headers: Record<string, string>; payload: string };
  response: { headers: Record<string, string>; payload: string | null };
}
