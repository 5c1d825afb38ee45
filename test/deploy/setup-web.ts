import type { GitHubAppCredentials } from '../../src/config/env.js';
import { createWebApp } from '../../src/api/web-app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createProducerRedis } from '../../src/queues/connection.js';
import { closeQueues, createQueues } from '../../src/queues/producers.js';
import type { Db } from '../helpers/stores.js';
import { listenLocal, readResponse } from '../helpers/http.js';
import { DEFAULT_RUNNERS, SECRET } from '../helpers/web.js';
import { ADMIN_TOKEN } from '../operator/helpers.js';

export const NAMES = {
  runnerPrefix: 'rise-riscv-runner-staging-',
  runnerGroup: 'RISE RISC-V Runners (staging)',
};

/**
 * The real web app with /setup pointed at the simulated GitHub (its API and its web UI are the
 * same server), optionally holding App credentials for /setup/check.
 */
export async function startSetupWeb(opts: {
  db: Db;
  redisUrl: string;
  prefix: string;
  githubUrl: string;
  apps?: { org?: GitHubAppCredentials; personal?: GitHubAppCredentials };
  adminToken?: string | null;
}) {
  const redis = createProducerRedis(opts.redisUrl);
  redis.on('error', () => undefined);
  const queues = createQueues(redis, opts.prefix);
  const { app, recorder } = createWebApp({
    config: {
      webhookSecrets: [SECRET],
      deployEnv: 'staging',
      trustProxy: false,
      adminToken: opts.adminToken === null ? undefined : (opts.adminToken ?? ADMIN_TOKEN),
      redisPrefix: opts.prefix,
      githubApiUrl: opts.githubUrl,
      githubWebUrl: opts.githubUrl,
      apps: opts.apps ?? {},
      names: NAMES,
    },
    runners: DEFAULT_RUNNERS,
    db: opts.db,
    redis,
    queues,
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics({ defaults: false }),
  });
  const { server, url } = await listenLocal(app);
  return {
    url,
    /** Any method, without following redirects; `token` sends the admin bearer token. */
    async fetch(path: string, init: RequestInit & { token?: string } = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('authorization', `Bearer ${init.token}`);
      const res = await fetch(url + path, { redirect: 'manual', ...init, headers });
      return readResponse(res);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await recorder.drain();
      await closeQueues(queues);
      redis.disconnect();
    },
  };
}

export type SetupWeb = Awaited<ReturnType<typeof startSetupWeb>>;

/** Undoes the page's attribute escaping (src/api/pages/html.ts). */
export const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
