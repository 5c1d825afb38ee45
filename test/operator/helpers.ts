import { createWebApp } from '../../src/api/web-app.js';
import type { RunnersConfig } from '../../src/config/runners.js';
import type { Db } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createProducerRedis } from '../../src/queues/connection.js';
import { closeQueues, createQueues } from '../../src/queues/producers.js';
import { createTestDb, createTestRedis } from '../helpers/stores.js';
import { DEFAULT_RUNNERS, SECRET } from '../helpers/web.js';
import { listenLocal, readResponse } from '../helpers/http.js';

export const ADMIN_TOKEN = 'operator-token-0123456789abcdef-0123456789';

/**
 * The real web app with operator pages on a random port (test/helpers/web.ts starts it without
 * ADMIN_TOKEN). Several may share one schema and prefix, e.g. next to startSystem's.
 */
export interface OperatorWebOptions {
  db: Db;
  redisUrl: string;
  prefix: string;
  adminToken?: string;
  runners?: RunnersConfig;
  trustProxy?: boolean;
  bullBoardReadOnly?: boolean;
}

export async function startOperatorWeb(opts: OperatorWebOptions) {
  const redis = createProducerRedis(opts.redisUrl);
  redis.on('error', () => undefined);
  const queues = createQueues(redis, opts.prefix);
  const metrics = createMetrics({ defaults: false });
  const { app, recorder } = createWebApp({
    config: {
      webhookSecrets: [SECRET],
      deployEnv: 'prod',
      trustProxy: opts.trustProxy ?? false,
      adminToken: opts.adminToken,
      bullBoardReadOnly: opts.bullBoardReadOnly,
      redisPrefix: opts.prefix,
    },
    runners: opts.runners ?? DEFAULT_RUNNERS,
    db: opts.db,
    redis,
    queues,
    log: createLogger({ level: 'silent' }),
    metrics,
  });
  const { server, url } = await listenLocal(app);
  return {
    url,
    redis,
    queues,
    metrics,
    /** GET (or any method) without following redirects. */
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

export type OperatorWeb = Awaited<ReturnType<typeof startOperatorWeb>>;

/**
 * A test schema and key prefix of their own, and operator webs on them (with ADMIN_TOKEN unless
 * told otherwise); `close()` stops every web it started and drops both stores.
 */
export async function startOperatorStack() {
  const pg = await createTestDb();
  const redis = createTestRedis();
  const webs: OperatorWeb[] = [];
  return {
    pg,
    redis,
    async web(opts: Omit<Partial<OperatorWebOptions>, 'db' | 'redisUrl' | 'prefix'> = {}) {
      const web = await startOperatorWeb({
        db: pg.db,
        redisUrl: redis.url,
        prefix: redis.prefix,
        adminToken: ADMIN_TOKEN,
        ...opts,
      });
      webs.push(web);
      return web;
    },
    async close() {
      for (const web of webs) await web.close();
      await redis.drop();
      await pg.drop();
    },
  };
}

export type OperatorStack = Awaited<ReturnType<typeof startOperatorStack>>;

/** An operator web (with ADMIN_TOKEN) beside a startSystem system: its stores and runners config. */
export function startSystemOperatorWeb(sys: {
  pg: { db: Db };
  redis: { url: string; prefix: string };
  runners: RunnersConfig;
}) {
  return startOperatorWeb({
    db: sys.pg.db,
    redisUrl: sys.redis.url,
    prefix: sys.redis.prefix,
    adminToken: ADMIN_TOKEN,
    runners: sys.runners,
  });
}

/** Inserts a job row directly (the webhook path is tested elsewhere). */
export async function insertJob(
  db: Db,
  j: {
    jobId: number;
    status?: string;
    entityId?: number;
    entityName?: string;
    labels?: string[];
    board?: string;
    createdAt?: Date;
    runnerName?: string | null;
    startedAt?: Date | null;
  },
) {
  await db.$client.query(
    `insert into jobs (job_id, status, entity_id, entity_name, entity_type, repo_full_name,
       installation_id, job_labels, k8s_pool, k8s_image, created_at, runner_name, started_at, updated_at)
     values ($1, $2, $3, $4, 'Organization', $5, 77, $6::jsonb, $7, 'img', $8, $9, $10, $8)`,
    [
      j.jobId,
      j.status ?? 'pending',
      j.entityId ?? 1,
      j.entityName ?? 'acme',
      `${j.entityName ?? 'acme'}/app`,
      JSON.stringify(j.labels ?? ['ubuntu-24.04-riscv']),
      j.board ?? 'scw-em-rv1',
      j.createdAt ?? new Date(),
      j.runnerName ?? null,
      j.startedAt ?? null,
    ],
  );
}
