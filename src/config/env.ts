import { z } from 'zod';
import { redactText } from '../util/redact.js';
import { ConfigError } from './errors.js';

/** Which process is starting decides which variables are required. */
export type Role = 'web' | 'worker' | 'release' | 'cli';

// `z.coerce.boolean()` turns "false" into true, so booleans are parsed by hand.
const boolEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// Fractions are allowed so tests can shrink timings; Kubernetes's deadline stays whole.
const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

// Keys pasted into env files often carry literal "\n" instead of line breaks.
const pemKey = optionalText.transform((v) => v?.replace(/\\n/g, '\n'));

/** ADMIN_TOKEN's minimum length (`openssl rand -hex 24` gives 48). */
export const ADMIN_TOKEN_MIN = 32;

const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ only, starting with a letter');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WORKER_METRICS_PORT: optionalText.pipe(
    z.coerce.number<string | undefined>().int().min(0).max(65535).optional(),
  ),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// URL' }),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'a redis:// URL' }).optional(),
  DEPLOY_ENV: z.enum(['prod', 'staging']),
  DB_SCHEMA: identifier.optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/)
    .optional(),
  GHAPP_WEBHOOK_SECRET: optionalText,
  GHAPP_ORG_APP_ID: z.coerce.number().int().positive().optional(),
  GHAPP_ORG_PRIVATE_KEY: pemKey,
  GHAPP_PERSONAL_APP_ID: z.coerce.number().int().positive().optional(),
  GHAPP_PERSONAL_PRIVATE_KEY: pemKey,
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  // Where browsers create Apps from a manifest (/setup); GitHub Enterprise Server or the simulator.
  GITHUB_WEB_URL: z.url().default('https://github.com'),
  // The web process's public base URL, for the App manifests' webhook and redirect URLs.
  PUBLIC_URL: z.url().optional(),
  KUBECONFIG: optionalText,
  K8S_KUBECONFIG: optionalText,
  // Set by Kubernetes in every pod: the worker then uses its ServiceAccount (in-cluster config).
  KUBERNETES_SERVICE_HOST: optionalText,
  K8S_NAMESPACE: z.string().min(1).default('default'),
  RUNNERS_CONFIG: z.string().min(1).default('config/runners.yaml'),
  // The token signs sessions and opens every operator page: short ones are guessable offline.
  ADMIN_TOKEN: optionalText.pipe(
    z.string().min(ADMIN_TOKEN_MIN, `must be at least ${ADMIN_TOKEN_MIN} characters`).optional(),
  ),
  // Bull Board's retry/remove/clean/pause buttons; read-only unless set to false.
  BULL_BOARD_READ_ONLY: boolEnv.default(true),
  STAGING_URL: z.url().optional(),
  // prod signs what it forwards to staging with this; staging verifies it as its webhook secret.
  STAGING_FORWARD_SECRET: optionalText.pipe(
    z.string().min(16, 'at least 16 characters').optional(),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RECONCILE_INTERVAL_SECONDS: seconds(15),
  RUNNER_REGISTRATION_TIMEOUT_SECONDS: seconds(120),
  POD_PENDING_TIMEOUT_SECONDS: seconds(600),
  RUNNER_IDLE_TIMEOUT_SECONDS: seconds(600),
  RUNNER_SURPLUS_IDLE_SECONDS: seconds(60),
  MAX_RUNNER_ATTEMPTS: z.coerce.number().int().positive().default(3),
  POD_DELETE_GRACE_SECONDS: seconds(21600),
  POD_ACTIVE_DEADLINE_SECONDS: z.coerce.number().int().positive().default(525600),
  JOB_STATUS_STALE_SECONDS: seconds(60),
  RUNNER_SCAN_INTERVAL_SECONDS: seconds(300),
  RECONCILE_BATCH: z.coerce.number().int().positive().default(100),
  RETENTION_DAYS: seconds(90),
  PROVISION_CONCURRENCY: z.coerce.number().int().positive().default(8),
  RUNNER_CONCURRENCY: z.coerce.number().int().positive().default(16),
  HTTP_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  JOB_LOCK_MS: z.coerce.number().int().positive().default(30_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(25_000),
  TRUST_PROXY: boolEnv.default(false),
  // Webhook body bytes held at once across all requests; beyond it deliveries get 503.
  WEBHOOK_INFLIGHT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
});

type Raw = z.infer<typeof schema>;

export interface GitHubAppCredentials {
  appId: number;
  privateKey: string;
}

export interface Config {
  port: number;
  /** The worker's /health and /metrics server; off when unset. */
  workerMetricsPort?: number;
  databaseUrl: string;
  redisUrl: string;
  deployEnv: 'prod' | 'staging';
  /** PostgreSQL schema holding our tables. */
  dbSchema: string;
  /** Prefix of every Redis key we write (BullMQ queues included). */
  redisPrefix: string;
  webhookSecrets: string[];
  apps: { org?: GitHubAppCredentials; personal?: GitHubAppCredentials };
  githubApiUrl: string;
  /** GitHub's web UI (App creation from a manifest). */
  githubWebUrl: string;
  /** Public base URL of `web`; /setup falls back to the request's own origin. */
  publicUrl?: string;
  kube: { kubeconfigPath?: string; kubeconfigYaml?: string; namespace: string };
  runnersConfigPath: string;
  adminToken?: string;
  /** Bull Board without its write actions (BULL_BOARD_READ_ONLY, default true). */
  bullBoardReadOnly: boolean;
  stagingUrl?: string;
  /** prod re-signs forwarded deliveries with it, so staging never holds prod's secret. */
  stagingForwardSecret?: string;
  logLevel: Raw['LOG_LEVEL'];
  timings: {
    reconcileIntervalSeconds: number;
    runnerRegistrationTimeoutSeconds: number;
    podPendingTimeoutSeconds: number;
    runnerIdleTimeoutSeconds: number;
    /** An idle runner whose pool has no pending job (its job was cancelled) goes after this. */
    runnerSurplusIdleSeconds: number;
    podDeleteGraceSeconds: number;
    podActiveDeadlineSeconds: number;
    retentionDays: number;
    /** An active job without a webhook for this long is checked against GitHub. */
    jobStatusStaleSeconds: number;
    /** How often the GitHub runners of one scope are listed for health and clean-up. */
    runnerScanIntervalSeconds: number;
  };
  /** Most GitHub checks of one kind in one reconciliation pass. */
  reconcileBatch: number;
  /** Runners that fail before their job starts, per job; then the job fails (MAX_RUNNER_ATTEMPTS). */
  maxRunnerAttempts: number;
  provisionConcurrency: number;
  runnerConcurrency: number;
  httpTimeoutMs: number;
  /** BullMQ job lock: a killed worker's jobs are taken over within about this long. */
  jobLockMs: number;
  shutdownTimeoutMs: number;
  trustProxy: boolean;
  /** Webhook body bytes held in memory at once, across all requests. */
  webhookInflightBytes: number;
  /** Runner names, the runner group and Redis keys differ outside prod. */
  names: { runnerPrefix: string; runnerGroup: string };
}

function requireFor(role: Role, raw: Raw, add: (name: string, message: string) => void): void {
  // `release` only migrates PostgreSQL.
  if (role !== 'release' && !raw.REDIS_URL) add('REDIS_URL', 'is required');
  if (role === 'web' && !raw.GHAPP_WEBHOOK_SECRET) {
    add('GHAPP_WEBHOOK_SECRET', 'is required: without it no webhook can be verified');
  }
  if (role !== 'worker') return;
  for (const kind of ['ORG', 'PERSONAL'] as const) {
    if (raw[`GHAPP_${kind}_APP_ID`] === undefined) add(`GHAPP_${kind}_APP_ID`, 'is required');
    if (!raw[`GHAPP_${kind}_PRIVATE_KEY`]) add(`GHAPP_${kind}_PRIVATE_KEY`, 'is required');
  }
  if (!raw.KUBECONFIG && !raw.K8S_KUBECONFIG && !raw.KUBERNETES_SERVICE_HOST) {
    add('KUBECONFIG', 'or K8S_KUBECONFIG is required (a kubeconfig path, or the YAML itself)');
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Webhook payloads and App tokens cross these URLs: plain http only to this machine (a simulator
 * or a local proxy), never across a network.
 */
function requireHttps(raw: Raw, add: (name: string, message: string) => void): void {
  for (const name of ['STAGING_URL', 'GITHUB_API_URL'] as const) {
    const value = raw[name];
    if (value === undefined) continue;
    const url = new URL(value);
    if (url.protocol === 'https:') continue;
    if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) continue;
    add(
      name,
      `must be an https:// URL (http:// only for localhost or 127.0.0.1), not ${url.protocol}//${url.host}`,
    );
  }
}

function requireForwardSecret(raw: Raw, add: (name: string, message: string) => void): void {
  if (!raw.STAGING_URL) return;
  const secret = raw.STAGING_FORWARD_SECRET;
  if (!secret) {
    add(
      'STAGING_FORWARD_SECRET',
      'is required with STAGING_URL: forwarded deliveries are signed with it',
    );
  } else if ((raw.GHAPP_WEBHOOK_SECRET ?? '').split(',').some((s) => s.trim() === secret)) {
    add(
      'STAGING_FORWARD_SECRET',
      "must differ from GHAPP_WEBHOOK_SECRET: staging must not hold prod's secret",
    );
  }
}

function app(id: number | undefined, key: string | undefined): GitHubAppCredentials | undefined {
  return id !== undefined && key ? { appId: id, privateKey: key } : undefined;
}

/**
 * Reads and validates the environment once, reporting every bad variable together.
 * Nothing else in the code base reads `process.env`.
 */
export function loadConfig(role: Role, env: NodeJS.ProcessEnv = process.env): Config {
  const input = { ...env, DATABASE_URL: env.DATABASE_URL ?? env.POSTGRES_URL };
  const parsed = schema.safeParse(input);
  const problems: string[] = [];
  const add = (name: string, message: string) => problems.push(`${name} ${message}`);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '?');
      const missing = input[name as keyof typeof input] === undefined;
      const alias = name === 'DATABASE_URL' ? ' (or POSTGRES_URL)' : '';
      add(name + alias, missing ? 'is required' : `is invalid: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const raw = parsed.data;
  requireFor(role, raw, add);
  requireHttps(raw, add);
  if (role === 'web') requireForwardSecret(raw, add);
  if (problems.length > 0) throw new ConfigError(problems);

  const suffix = raw.DEPLOY_ENV === 'prod' ? '' : '-staging';
  return {
    port: raw.PORT,
    workerMetricsPort: raw.WORKER_METRICS_PORT,
    databaseUrl: raw.DATABASE_URL,
    redisUrl: raw.REDIS_URL ?? '',
    deployEnv: raw.DEPLOY_ENV,
    dbSchema: raw.DB_SCHEMA ?? raw.DEPLOY_ENV,
    redisPrefix: raw.REDIS_PREFIX ?? `rise:${raw.DEPLOY_ENV}`,
    webhookSecrets: (raw.GHAPP_WEBHOOK_SECRET ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    apps: {
      org: app(raw.GHAPP_ORG_APP_ID, raw.GHAPP_ORG_PRIVATE_KEY),
      personal: app(raw.GHAPP_PERSONAL_APP_ID, raw.GHAPP_PERSONAL_PRIVATE_KEY),
    },
    githubApiUrl: raw.GITHUB_API_URL.replace(/\/+$/, ''),
    githubWebUrl: raw.GITHUB_WEB_URL.replace(/\/+$/, ''),
    publicUrl: raw.PUBLIC_URL?.replace(/\/+$/, ''),
    kube: {
      kubeconfigPath: raw.KUBECONFIG,
      kubeconfigYaml: raw.K8S_KUBECONFIG,
      namespace: raw.K8S_NAMESPACE,
    },
    runnersConfigPath: raw.RUNNERS_CONFIG,
    adminToken: raw.ADMIN_TOKEN,
    bullBoardReadOnly: raw.BULL_BOARD_READ_ONLY,
    stagingUrl: raw.STAGING_URL,
    stagingForwardSecret: raw.STAGING_FORWARD_SECRET,
    logLevel: raw.LOG_LEVEL,
    timings: {
      reconcileIntervalSeconds: raw.RECONCILE_INTERVAL_SECONDS,
      runnerRegistrationTimeoutSeconds: raw.RUNNER_REGISTRATION_TIMEOUT_SECONDS,
      podPendingTimeoutSeconds: raw.POD_PENDING_TIMEOUT_SECONDS,
      runnerIdleTimeoutSeconds: raw.RUNNER_IDLE_TIMEOUT_SECONDS,
      runnerSurplusIdleSeconds: raw.RUNNER_SURPLUS_IDLE_SECONDS,
      podDeleteGraceSeconds: raw.POD_DELETE_GRACE_SECONDS,
      podActiveDeadlineSeconds: raw.POD_ACTIVE_DEADLINE_SECONDS,
      retentionDays: raw.RETENTION_DAYS,
      jobStatusStaleSeconds: raw.JOB_STATUS_STALE_SECONDS,
      runnerScanIntervalSeconds: raw.RUNNER_SCAN_INTERVAL_SECONDS,
    },
    reconcileBatch: raw.RECONCILE_BATCH,
    maxRunnerAttempts: raw.MAX_RUNNER_ATTEMPTS,
    provisionConcurrency: raw.PROVISION_CONCURRENCY,
    runnerConcurrency: raw.RUNNER_CONCURRENCY,
    httpTimeoutMs: raw.HTTP_TIMEOUT_MS,
    jobLockMs: raw.JOB_LOCK_MS,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    trustProxy: raw.TRUST_PROXY,
    webhookInflightBytes: raw.WEBHOOK_INFLIGHT_BYTES,
    names: {
      runnerPrefix: `rise-riscv-runner${suffix}-`,
      runnerGroup: `RISE RISC-V Runners${raw.DEPLOY_ENV === 'prod' ? '' : ' (staging)'}`,
    },
  };
}

/** The config as it may be logged: secrets replaced by a marker saying whether they are set. */
export function redactConfig(config: Config): Record<string, unknown> {
  const mark = (v: unknown) => (v ? '[set]' : '[unset]');
  return {
    ...config,
    databaseUrl: redactText(config.databaseUrl),
    redisUrl: redactText(config.redisUrl),
    webhookSecrets: `[${config.webhookSecrets.length} set]`,
    apps: {
      org: config.apps.org ? { appId: config.apps.org.appId, privateKey: '[set]' } : '[unset]',
      personal: config.apps.personal
        ? { appId: config.apps.personal.appId, privateKey: '[set]' }
        : '[unset]',
    },
    kube: { ...config.kube, kubeconfigYaml: mark(config.kube.kubeconfigYaml) },
    adminToken: mark(config.adminToken),
    stagingForwardSecret: mark(config.stagingForwardSecret),
  };
}
