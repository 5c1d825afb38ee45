import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../../src/config/env.js';
import { parseRunnersConfig, type RunnersConfig } from '../../src/config/runners.js';
import { createGitHub } from '../../src/github/client.js';
import { createKube, loadKubeConfig } from '../../src/kube/client.js';
import { createLogger } from '../../src/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';
import type { Counts } from '../../src/repeatables/deps.js';
import type { ReconcileTask } from '../../src/repeatables/job-schedulers.js';
import { startWorkerApp, type WorkerApp } from '../../src/worker-app.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from './stores.js';
import { simApps } from './sim-keys.js';
import { SECRET, startWeb, type TestWeb } from './web.js';
import { entryCommand } from './bundles.js';

/**
 * Open to any entity (no allowlist), so its pods run no privileged Docker (refused without the
 * allowlist); a test that needs privileged pods lists its entities under `allowlist: true`.
 */
export const BASE_RUNNERS = `
pools:
  - { labels: [ubuntu-24.04-riscv], board: scw-em-rv1, image: runner:24.04, pod: { docker: none } }
  - { labels: [ubuntu-24.04-riscv-rvv], board: cloudv10x-rvv, image: runner:24.04, pod: { docker: none } }
`;

export interface SystemOptions {
  runnersYaml?: string;
  sim?: SimulatorOptions;
  /** In-process worker apps to start (0 when the test starts processes itself). */
  workers?: number;
  timings?: Partial<Config['timings']>;
  githubRetries?: number;
  /** Backoff base of runner creation retries (production: 500 ms). */
  runnerBackoffMs?: number;
  /** Another (absent) process holds the pod-follower lease: only reconciliation follows pods. */
  holdLeadership?: boolean;
  /** A Redis of the test's own (FLUSHALL must not touch other test files). */
  redisUrl?: string;
}

/**
 * The clock the in-process workers' reconciliation decides ages by: the system's time plus an
 * offset that only grows, so a test moves it past a timeout instead of sleeping through it.
 * Everything else (BullMQ delays, leases, the simulator) keeps the real time.
 */
export function testClock() {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    /** Moves the clock forward by `ms`. */
    advance(ms: number): void {
      if (ms < 0) throw new Error('the test clock only moves forward');
      offsetMs += ms;
    },
  };
}

/**
 * The whole system on one machine: the simulator, the real web app and worker app(s), a fresh
 * PostgreSQL schema and Redis prefix. GitHub and Kubernetes are reached only over HTTP.
 */
export async function startSystem(opts: SystemOptions = {}) {
  const runnersYaml = opts.runnersYaml ?? BASE_RUNNERS;
  const runners: RunnersConfig = parseRunnersConfig(runnersYaml, 'test-runners.yaml');
  const pg: TestDb = await createTestDb({ max: 10 });
  const redis: TestRedis = createTestRedis(opts.redisUrl);
  const sim: Simulator = await startSimulator({
    ...opts.sim,
    github: { apps: simApps(), ...opts.sim?.github },
  });
  const web: TestWeb = await startWeb({
    db: pg.db,
    redisUrl: redis.url,
    prefix: redis.prefix,
    runners,
    deployEnv: 'prod',
  });
  sim.setWebhookTarget(`${web.url}/webhook`, SECRET);
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const namespace = 'default';
  const timings: Config['timings'] = {
    // Tests run passes themselves (TestSystem.pass); scheduled ticks would only race them.
    reconcileIntervalSeconds: 3600,
    runnerRegistrationTimeoutSeconds: 120,
    podPendingTimeoutSeconds: 600,
    runnerIdleTimeoutSeconds: 600,
    runnerSurplusIdleSeconds: 60,
    podDeleteGraceSeconds: 21600,
    podActiveDeadlineSeconds: 3600,
    retentionDays: 90,
    jobStatusStaleSeconds: 60,
    runnerScanIntervalSeconds: 300,
    ...opts.timings,
  };
  const config = {
    redisUrl: redis.url,
    redisPrefix: redis.prefix,
    dbSchema: pg.schema,
    deployEnv: 'prod' as const,
    names: { runnerPrefix: 'rise-riscv-runner-', runnerGroup: 'RISE RISC-V Runners' },
    timings,
    provisionConcurrency: 8,
    runnerConcurrency: 16,
    reconcileBatch: 100,
    maxRunnerAttempts: 3,
    jobLockMs: 2_000,
    apps: {} as Config['apps'],
  };
  const apps = {
    org: { appId: sim.github.apps.org.id, privateKey: sim.github.apps.org.privateKeyPem },
    personal: {
      appId: sim.github.apps.personal.id,
      privateKey: sim.github.apps.personal.privateKeyPem,
    },
  };
  config.apps = apps;
  const kubeConfig = loadKubeConfig({ yaml: sim.kubeconfig });
  const kube = createKube({ config: kubeConfig, namespace, deployEnv: 'prod' });
  const github = createGitHub({
    baseUrl: sim.githubUrl,
    apps,
    resilience: { backoffMs: 20, retries: opts.githubRetries ?? 3 },
  });
  const clock = testClock();
  const workers: WorkerApp[] = [];
  const startWorker = async () => {
    const jobOptions = {
      runners: { backoff: { type: 'exponential', delay: opts.runnerBackoffMs ?? 50 } },
    };
    const app = await startWorkerApp({
      config,
      runners,
      db: pg.db,
      github,
      kube,
      kubeConfig,
      log,
      jobOptions,
      now: clock.now,
    });
    workers.push(app);
    return app;
  };
  if (opts.holdLeadership)
    await redis.redis.set(`${redis.prefix}:leader:pod-follower`, 'elsewhere', 'PX', 600_000);
  for (let i = 0; i < (opts.workers ?? 1); i++) await startWorker();
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rise-test-'));
  const runnersPath = join(dir, 'runners.yaml');
  writeFileSync(runnersPath, runnersYaml);

  return {
    sim,
    web,
    pg,
    redis,
    runners,
    github,
    kube,
    clock,
    workers,
    startWorker,
    /** A real `src/worker.ts` process (the run's bundle of it), configured like production through its environment. */
    spawnWorker(env: Record<string, string> = {}): ChildProcess {
      const child = spawn(process.execPath, entryCommand('worker'), {
        env: {
          ...process.env,
          DATABASE_URL: pg.url,
          REDIS_URL: redis.url,
          DEPLOY_ENV: 'prod',
          DB_SCHEMA: pg.schema,
          REDIS_PREFIX: redis.prefix,
          GHAPP_ORG_APP_ID: String(apps.org.appId),
          GHAPP_ORG_PRIVATE_KEY: apps.org.privateKey,
          GHAPP_PERSONAL_APP_ID: String(apps.personal.appId),
          GHAPP_PERSONAL_PRIVATE_KEY: apps.personal.privateKey,
          GITHUB_API_URL: sim.githubUrl,
          K8S_KUBECONFIG: sim.kubeconfig,
          K8S_NAMESPACE: namespace,
          RUNNERS_CONFIG: runnersPath,
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
          ...env,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      children.push(child);
      return child;
    },
    /** Runs one reconciliation pass now, waiting out a scheduled tick of the same task. */
    async pass(task: ReconcileTask): Promise<Counts> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const result = await workers[0]!.reconcile(task);
        if (result !== 'busy') return result;
        if (Date.now() > deadline) throw new Error(`reconcile ${task} stayed busy`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async query<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
      return (await pg.db.$client.query(text, params)).rows as T[];
    },
    async close() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.close()));
      await web.close();
      await sim.close();
      await redis.drop();
      await pg.drop();
    },
  };
}

export type TestSystem = Awaited<ReturnType<typeof startSystem>>;
