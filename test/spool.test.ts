import { randomUUID } from 'node:crypto';
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
import { DEFAULT_RUNNERS, SECRET, startWeb } from './helpers/web.js';
import { example, signed, workflowJob } from './helpers/webhooks.js';
import { classifyInstallation, classifyWorkflowJob } from '../src/api/webhook/classify.js';
import type { DeliveryRecord } from '../src/db/ingest.js';
import { createMetrics } from '../src/metrics/registry.js';
import { closeQueues, createQueues, spoolDeliveries } from '../src/queues/producers.js';

let pg: TestDb;
const settings = { runners: DEFAULT_RUNNERS, deployEnv: 'prod' as const };
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
      dispatcher(
        { 'apply-delivery': applyDeliveryProcessor({ ...settings, db: pg.db, queues }) },
        log,
      ),
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

describe('records read back from the spool', () => {
  /** What the web process would spool for this payload (the route's own classifier). */
  function spooled(event: string, payload: Record<string, any>): DeliveryRecord {
    const ctx = { ...settings, deliveryId: randomUUID(), event };
    const d =
      event === 'installation'
        ? classifyInstallation(payload, ctx)
        : classifyWorkflowJob(payload, ctx);
    return JSON.parse(JSON.stringify(d.record)) as DeliveryRecord;
  }
  const facts = (r: DeliveryRecord) => r.job!.facts as unknown as Record<string, unknown>;
  const withFacts = (r: DeliveryRecord, change: Record<string, unknown>): DeliveryRecord => ({
    ...r,
    deliveryId: randomUUID(),
    job: { ...r.job!, facts: { ...r.job!.facts, ...change } },
  });

  it('are classified again: a tampered or invalid record is dropped, logged and counted, never applied', async () => {
    const org = spooled('workflow_job', workflowJob('queued', { jobId: 92_001 }));
    const user = spooled(
      'workflow_job',
      workflowJob('completed', { jobId: 92_002, ownerType: 'User' }),
    );
    const installPayload = example('installation', (p) => p.action === 'created');
    installPayload.installation.id = 92_100;
    const install = spooled('installation', installPayload);
    const ignored = spooled('workflow_job', workflowJob('waiting', { jobId: 92_003 }));
    expect([org, user, install].map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(facts(org).image).toBe('ghcr.io/riseproject-dev/riscv-runner:ubuntu-24.04');

    const tampered: DeliveryRecord[] = [
      withFacts(org, { jobId: 92_011, image: 'evil/miner:1' }),
      withFacts(org, { jobId: 92_012, board: 'cloudv10x-rvv' }),
      withFacts(org, { jobId: 92_013, labels: ['self-hosted'] }),
      withFacts(org, { jobId: 92_014, entityType: 'Bot' }),
      { ...withFacts(org, { jobId: 92_015 }), jobId: 92_015, extra: 'key' } as DeliveryRecord,
      { ...org, deliveryId: randomUUID(), job: undefined, jobId: 92_016 },
      { ...org, deliveryId: randomUUID(), outcome: 'bogus' } as unknown as DeliveryRecord,
      { ...install, deliveryId: randomUUID(), event: 'workflow_job' },
    ];
    const connection = createWorkerRedis(redis.url);
    const queues = createQueues(connection, redis.prefix);
    const metrics = createMetrics({ defaults: false });
    const lines: string[] = [];
    const log = createLogger({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    await spoolDeliveries(queues, [org, user, install, ignored, ...tampered]);
    const worker = createQueueWorker(
      'ingest',
      dispatcher(
        {
          'apply-delivery': applyDeliveryProcessor({ ...settings, db: pg.db, queues, metrics }),
        },
        log,
      ),
      { connection, prefix: redis.prefix, concurrency: 2 },
    );
    try {
      const dropped = async () =>
        (await metrics.spoolDropped.get()).values.reduce((n, v) => n + v.value, 0);
      await waitFor(
        async () =>
          (await queues.ingest.getJobCounts('wait', 'active', 'delayed')).wait === 0 &&
          (await queues.ingest.getActiveCount()) === 0 &&
          (await dropped()) === tampered.length,
        { what: 'spool drained' },
      );
      const rows = await pg.db.$client.query(
        'select delivery_id, outcome from deliveries where delivery_id = any($1) order by delivery_id',
        [[org, user, install, ignored, ...tampered].map((r) => r.deliveryId)],
      );
      expect(new Set(rows.rows.map((r) => r.delivery_id))).toEqual(
        new Set([org.deliveryId, user.deliveryId, install.deliveryId, ignored.deliveryId]),
      );
      const jobs = await pg.db.$client.query(
        'select job_id, k8s_image from jobs where job_id between 92000 and 92100 order by job_id',
      );
      expect(jobs.rows).toEqual([
        { job_id: '92001', k8s_image: facts(org).image },
        { job_id: '92002', k8s_image: facts(user).image },
      ]);
      const inst = await pg.db.$client.query(
        'select installation_id from installations where installation_id = 92100',
      );
      expect(inst.rows).toHaveLength(1);
      const byReason = Object.fromEntries(
        (await metrics.spoolDropped.get()).values.map((v) => [v.labels.reason, v.value]),
      );
      expect(byReason).toEqual({ mismatch: 3, refused: 1, shape: 4 });
      const logged = lines.map((l) => JSON.parse(l) as Record<string, any>);
      const imageLine = logged.find((l) => l.deliveryId === tampered[0]!.deliveryId);
      expect(imageLine).toMatchObject({
        msg: 'spooled delivery dropped, not applied',
        reason: 'mismatch',
        detail: expect.stringContaining('job.facts.image'),
      });
    } finally {
      await worker.close();
      await closeQueues(queues);
      connection.disconnect();
    }
  });
});
