import type { RequestListener } from 'node:http';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { RunnersConfig } from '../config/runners.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/registry.js';
import { registerStateGauges } from '../metrics/state-gauges.js';
import type { Queues } from '../queues/producers.js';
import { bullBoardRouter } from './admin/bull-board.js';
import { auditRouter } from './admin/audit-routes.js';
import { operatorRouter } from './admin/routes.js';
import { createApp } from './app.js';
import { createOperatorAuth } from './auth.js';
import { authRouter } from './auth-routes.js';
import { healthRouter } from './health.js';
import { metricsRouter } from './metrics-route.js';
import { setupRouter, type SetupConfig } from './setup/routes.js';
import { createRecorder, type Recorder, type RecorderDeps } from './webhook/recorder.js';
import { isWebhookPath, webhookHandler } from './webhook/route.js';

export interface WebDeps {
  config: Pick<
    Config,
    'webhookSecrets' | 'deployEnv' | 'stagingUrl' | 'stagingForwardSecret' | 'trustProxy'
  > &
    Partial<
      Pick<Config, 'adminToken' | 'redisPrefix' | 'webhookInflightBytes' | 'bullBoardReadOnly'>
    > &
    SetupConfig;
  runners: RunnersConfig;
  db: Db;
  redis: Pick<Redis, 'ping' | 'status' | 'get' | 'hmget' | 'zscore'>;
  queues: Queues;
  log: Logger;
  metrics: Metrics;
  recorder?: Partial<Pick<RecorderDeps, 'maxBatch' | 'maxInFlight' | 'breakerMs'>>;
}

/** The web process's HTTP app, built from its dependencies (the entry point and tests share it). */
export function createWebApp(deps: WebDeps): { app: RequestListener; recorder: Recorder } {
  const recorder = createRecorder({
    db: deps.db,
    queues: deps.queues,
    log: deps.log,
    // 'connecting' at start-up counts as up (the call waits briefly); a lost connection does not.
    redisUp: () => !['reconnecting', 'close', 'end'].includes(deps.redis.status),
    ...deps.recorder,
  });
  // Operator pages read what the worker leader publishes under the queues' prefix (REDIS_PREFIX).
  const prefix = deps.config.redisPrefix ?? deps.queues.provision.opts.prefix ?? 'bull';
  const auth = createOperatorAuth({ adminToken: deps.config.adminToken });
  registerStateGauges(deps.metrics, {
    db: deps.db,
    queues: deps.queues,
    redis: deps.redis,
    prefix,
  });
  const app = createApp({
    log: deps.log,
    trustProxy: deps.config.trustProxy,
    // Ahead of Express: the hot path never walks the operator routes (or any router).
    webhook: {
      matches: isWebhookPath,
      handler: webhookHandler({
        secrets: deps.config.webhookSecrets,
        runners: deps.runners,
        deployEnv: deps.config.deployEnv,
        stagingUrl: deps.config.stagingUrl,
        stagingForwardSecret: deps.config.stagingForwardSecret,
        forwardTimeoutMs: 8_000,
        recorder,
        log: deps.log,
        metrics: deps.metrics,
        inflightBytes: deps.config.webhookInflightBytes,
      }),
    },
    routers: [
      healthRouter({ db: deps.db, redis: deps.redis, log: deps.log }),
      metricsRouter(deps.metrics.registry),
      authRouter({ auth, db: deps.db, log: deps.log, trustProxy: deps.config.trustProxy }),
      bullBoardRouter({
        queues: deps.queues,
        auth,
        db: deps.db,
        // Read-only unless the configuration says otherwise.
        readOnly: deps.config.bullBoardReadOnly ?? true,
      }),
      auditRouter({ auth, db: deps.db }),
      setupRouter({ auth, config: deps.config, log: deps.log }),
      operatorRouter({
        auth,
        db: deps.db,
        redis: deps.redis,
        prefix,
        runners: deps.runners,
        provision: deps.queues.provision,
      }),
    ],
  });
  return { app, recorder };
}
