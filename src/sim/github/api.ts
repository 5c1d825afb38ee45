/** The simulated GitHub's public face: options in, handles and controls out. */

import type { Express, Router } from 'express';
import type { AppSeed } from './apps.js';
import type { CallCounts } from './calls.js';
import type { Clock } from './clock.js';
import type { GitHubFaults } from './faults.js';
import type { InstallOptions, Installations } from './installations.js';
import type { Jobs, QueueJobInput } from './jobs.js';
import type {
  Account,
  AppKind,
  Delivery,
  Installation,
  Repo,
  Runner,
  WorkflowJob,
} from './model.js';
import type { Runners } from './runners.js';
import type { GitHubState } from './state.js';
import type { InstallationTokens } from './tokens.js';
import type { WebhookSender } from './webhooks.js';

export interface GitHubSimOptions {
  apps?: { org?: AppSeed; personal?: AppSeed };
  /** Installation token lifetime (GitHub: 1 h). */
  tokenTtlMs?: number;
  /** Primary rate limit per installation (or App) per hour (GitHub: 5000). */
  rateLimit?: number;
  webhookTimeoutMs?: number;
  /** Deliveries kept per App (default 10 000). */
  maxDeliveries?: number;
  /** How long a queued job runs once a runner takes it, unless the job says otherwise. */
  defaultJobDurationMs?: number;
  /** Seeds probability faults. */
  seed?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export interface GitHubSim {
  /** The express app serving GitHub's REST routes and `/_sim/…`. */
  app: Express;
  /** Mounted at `/_sim`; other simulator parts add their control routes here. */
  controlRouter: Router;
  state: GitHubState;
  clock: Clock;
  faults: GitHubFaults;
  tokens: InstallationTokens;
  runners: Runners;
  jobs: Jobs;
  installations: Installations;
  webhooks: WebhookSender;
  apps: GitHubState['apps'];
  addOrg(input: { login: string; id?: number }): Account;
  addUser(input: { login: string; id?: number }): Account;
  addRepo(input: { owner: string; name: string; private?: boolean; id?: number }): Repo;
  installApp(app: AppKind, login: string, opts?: InstallOptions): Installation;
  suspendInstallation(id: number): Installation;
  unsuspendInstallation(id: number): Installation;
  deleteInstallation(id: number): Installation;
  /** Queues a job and sends its `queued` webhook. */
  queueJob(input: QueueJobInput): WorkflowJob;
  getJob(id: number): WorkflowJob | undefined;
  listJobs(filter?: { status?: WorkflowJob['status'] }): WorkflowJob[];
  /** Completes a job as cancelled (its runner, if any, stops). */
  cancelJob(id: number): WorkflowJob;
  listRunners(): Runner[];
  /** Where (and with which secret) an App's webhooks go; both Apps unless one is named. */
  setWebhookTarget(url: string | undefined, secret?: string, app?: AppKind): void;
  deliveries(app: AppKind): Delivery[];
  calls(): CallCounts;
  resetCalls(): void;
  expireTokens(installationId?: number): number;
  /** Resolves when every webhook under way has been recorded. */
  idle(): Promise<void>;
  listen(port?: number, host?: string): Promise<Listening>;
  /** Closes every server `listen` opened (webhooks under way are not awaited). */
  close(): Promise<void>;
}
