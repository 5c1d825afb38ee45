import { readFileSync } from 'node:fs';
import { createWebApp } from '../../src/api/web-app.js';
import { parseRunnersConfig, type RunnersConfig } from '../../src/config/runners.js';
import type { Db } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createProducerRedis } from '../../src/queues/connection.js';
import { closeQueues, createQueues, type Queues } from '../../src/queues/producers.js';
import type { SignedDelivery } from './webhooks.js';
import { listenLocal, readResponse } from './http.js';

export const SECRET = 'test-webhook-secret';
/**
 * The shipped pools, open to every entity: the shipped allowlist names only pytorch, and the web
 * tests use entities of their own (the web process starts no pods, so privileged pools are moot).
 */
export const DEFAULT_RUNNERS: RunnersConfig = {
  ...parseRunnersConfig(readFileSync('config/runners.yaml', 'utf8'), 'config/runners.yaml'),
  allowlist: false,
};

export interface WebOptions {
  db: Db;
  redisUrl: string;
  prefix: string;
  runners?: RunnersConfig;
  secrets?: string[];
  deployEnv?: 'prod' | 'staging';
  stagingUrl?: string;
  stagingForwardSecret?: string;
  breakerMs?: number;
  /** WEBHOOK_INFLIGHT_BYTES. */
  inflightBytes?: number;
}

/** The real web app on a random port, against the given (test) PostgreSQL schema and Redis prefix. */
export async function startWeb(opts: WebOptions) {
  const log = createLogger({ level: 'silent' });
  const redis = createProducerRedis(opts.redisUrl);
  redis.on('error', () => undefined);
  const queues: Queues = createQueues(redis, opts.prefix);
  const metrics = createMetrics({ defaults: false });
  const { app, recorder } = createWebApp({
    config: {
      webhookSecrets: opts.secrets ?? [SECRET],
      deployEnv: opts.deployEnv ?? 'prod',
      stagingUrl: opts.stagingUrl,
      stagingForwardSecret: opts.stagingForwardSecret,
      trustProxy: false,
      webhookInflightBytes: opts.inflightBytes,
    },
    runners: opts.runners ?? DEFAULT_RUNNERS,
    db: opts.db,
    redis,
    queues,
    log,
    metrics,
    recorder: { breakerMs: opts.breakerMs ?? 0 },
  });
  const { server, url } = await listenLocal(app);
  return {
    url,
    queues,
    metrics,
    recorder,
    async post(d: SignedDelivery, path = '/webhook') {
      const res = await fetch(url + path, { method: 'POST', headers: d.headers, body: d.body });
      return readResponse(res);
    },
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await recorder.drain();
      await closeQueues(queues);
      redis.disconnect();
    },
  };
}

export type TestWeb = Awaited<ReturnType<typeof startWeb>>;
