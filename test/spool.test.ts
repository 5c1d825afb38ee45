import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { applyDeliveryProcessor } from '../src/processors/apply-delivery.js';
import { dispatcher } from '../src/processors/dispatch.js';
import { createWorkerRedis } from '../src/queues/connection.js';
import { jobIds } from '../src/queues/registry.js';
import { createQueueWorker } from '../src/queues/workers.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from './helpers/stores.js';
import { waitFor } from './helpers/wait.js';
import { SECRET, startWeb } from './helpers/web.js';
import { signed, workflowJob } from './helpers/webhooks.js';

let pg: TestDb;
let redis: TestRedis;
// PostgreSQL "down": nothing listens on port 1, so every connection attempt is refused.
const DOWN_URL = 'postgres://root@127.0.0.1:1/test';

beforeAll(async () => {
  pg = await createTestDb();
  redis = createTestRedis();
});
afterAll(async () => {
  await redis?.drop();
  await pg?.drop();
});

describe('PostgreSQL down', () => {
  it('accepts deliveries into Redis and applies them once PostgreSQL is back', async () => {
    const downDb = createDb({ url: DOWN_URL, schema: pg.schema, connectionTimeoutMillis: 500 });
    const web = await startWeb({
      db: downDb,
      redisUrl: redis.url,
      prefix: redis.prefix,
      breakerMs: 60_000,
    });
    const ids = [91_001, 91_002];
    try {
      const queued = await signed('workflow_job', workflowJob('queued', { jobId: ids[0] }), SECRET);
      const res = await web.post(queued);
      expect(res).toMatchObject({ status: 202, json: { outcome: 'spooled' } });
      // The breaker is open now: the next one goes straight to Redis.
      const other = await web.post(
        await signed('workflow_job', workflowJob('completed', { jobId: ids[1] }), SECRET),
      );
      expect(other.status).toBe(202);
      const ready = await fetch(`${web.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        ready: false,
        redis: 'ok',
        down: ['postgres'],
        postgres: 'down',
      });
      expect(await web.queues.ingest.getJob(jobIds.spool(queued.id))).toBeDefined();
    } finally {
      await web.close();
      await downDb.$client.end();
    }

    // A worker with PostgreSQL back applies them with the same code, and provisioning follows.
    const connection = createWorkerRedis(redis.url);
    const log = createLogger({ level: 'silent' });
    const { createQueues, closeQueues } = await import('../src/queues/producers.js');
    const queues = createQueues(connection, redis.prefix);
    const worker = createQueueWorker(
      'ingest',
      dispatcher({ 'apply-delivery': applyDeliveryProcessor({ db: pg.db, queues }) }, log),
      { connection, prefix: redis.prefix, concurrency: 2 },
    );
    try {
      const rows = await waitFor(
        async () => {
          const r = await pg.db.$client.query(
            'select job_id, status from jobs where job_id = any($1) order by job_id',
            [ids],
          );
          return r.rows.length === 2 ? r.rows : undefined;
        },
        { what: 'spooled deliveries applied' },
      );
      expect(rows).toEqual([
        { job_id: String(ids[0]), status: 'pending' },
        { job_id: String(ids[1]), status: 'completed' },
      ]);
      const deliveries = await pg.db.$client.query(
        'select outcome from deliveries where job_id = any($1)',
        [ids],
      );
      expect(deliveries.rows.map((r) => r.outcome)).toEqual(['applied', 'applied']);
      expect(await queues.provision.getJob(jobIds.provision(ids[0]!))).toBeDefined();
      expect(await queues.provision.getJob(jobIds.provision(ids[1]!))).toBeUndefined();
    } finally {
      await worker.close();
      await closeQueues(queues);
      connection.disconnect();
    }
  });

  it('answers 503 only when neither PostgreSQL nor Redis can take the delivery', async () => {
    const downDb = createDb({ url: DOWN_URL, schema: pg.schema, connectionTimeoutMillis: 500 });
    const web = await startWeb({
      db: downDb,
      redisUrl: 'redis://127.0.0.1:1',
      prefix: redis.prefix,
    });
    try {
      const res = await web.post(await signed('workflow_job', workflowJob('queued'), SECRET));
      expect(res.status).toBe(503);
      expect((await fetch(`${web.url}/ready`)).status).toBe(503);
    } finally {
      await web.close();
      await downDb.$client.end();
    }
  });

  it('still answers 200 when Redis is down but PostgreSQL recorded the job (the sweep enqueues it)', async () => {
    const web = await startWeb({
      db: pg.db,
      redisUrl: 'redis://127.0.0.1:1',
      prefix: redis.prefix,
    });
    try {
      const res = await web.post(
        await signed('workflow_job', workflowJob('queued', { jobId: 91_003 }), SECRET),
      );
      expect(res).toMatchObject({ status: 200, json: { outcome: 'applied' } });
      const row = await pg.db.$client.query('select status from jobs where job_id = 91003');
      expect(row.rows[0]?.status).toBe('pending');
    } finally {
      await web.close();
    }
  });
});
