import { loadConfig, redactConfig } from './config/env.js';
import { loadRunnersConfig } from './config/runners.js';
import { closeDb, createDb } from './db/client.js';
import { createGitHub } from './github/client.js';
import { createKube, loadKubeConfig } from './kube/client.js';
import { runMain, shutdownOnSignals } from './lifecycle.js';
import { createLogger } from './logger.js';
import { githubMetricHooks } from './metrics/github.js';
import { createMetrics } from './metrics/registry.js';
import { startMetricsServer } from './metrics/server.js';
import { startWorkerApp } from './worker-app.js';

/** Procfile `worker`: provisioning and reconciliation. Scale it horizontally. */
runMain('worker', async () => {
  const config = loadConfig('worker');
  const log = createLogger({ level: config.logLevel, name: 'worker' });
  const runners = loadRunnersConfig(config.runnersConfigPath);
  for (const warning of runners.warnings) log.warn(warning);
  log.info({ config: redactConfig(config) }, 'starting');

  const db = createDb({ url: config.databaseUrl, schema: config.dbSchema, max: 10 });
  const metrics = createMetrics();
  const github = createGitHub({
    baseUrl: config.githubApiUrl,
    apps: { org: config.apps.org, personal: config.apps.personal },
    resilience: { timeoutMs: config.httpTimeoutMs, ...githubMetricHooks(metrics) },
    log: log.child({ component: 'octokit' }),
  });
  const kubeConfig = loadKubeConfig({
    path: config.kube.kubeconfigPath,
    yaml: config.kube.kubeconfigYaml,
  });
  const kube = createKube({
    config: kubeConfig,
    namespace: config.kube.namespace,
    deployEnv: config.deployEnv,
    timeoutMs: config.httpTimeoutMs,
  });
  const app = await startWorkerApp({
    config,
    runners,
    db,
    github,
    kube,
    kubeConfig,
    log,
    metrics,
  });
  log.info(
    {
      provisionConcurrency: config.provisionConcurrency,
      runnerConcurrency: config.runnerConcurrency,
    },
    'worker ready',
  );

  // /health and /metrics of this process, for Prometheus and liveness probes (off when unset).
  const metricsServer =
    config.workerMetricsPort === undefined
      ? undefined
      : await startMetricsServer({ port: config.workerMetricsPort, registry: metrics.registry });
  if (metricsServer) log.info({ port: metricsServer.port }, 'metrics server listening');

  shutdownOnSignals(
    [
      ['metrics', () => metricsServer?.close()],
      ['workers', () => app.close()],
      ['postgres', () => closeDb(db)],
    ],
    { log, timeoutMs: config.shutdownTimeoutMs },
  );
});
