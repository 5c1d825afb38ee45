import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { githubMetricHooks, routeTemplate } from '../../src/metrics/github.js';
import {
  countError,
  countReconciled,
  observeDelivery,
  observeQueueLatency,
  timeReconcile,
} from '../../src/metrics/observe.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { redisKeys } from '../../src/queues/keys.js';
import { enqueueProvision } from '../../src/queues/producers.js';
import { org, waitForJob } from '../helpers/scenario.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from '../helpers/stores.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { insertJob, startOperatorWeb, type OperatorWeb } from './helpers.js';
import { markWorkerRunning, recordRunnerCreated } from '../../src/db/workers.js';

const EVENT_METRICS = [
  'rise_webhook_deliveries_total',
  'rise_webhook_duration_seconds',
  'rise_job_queued_to_pod_created_seconds',
  'rise_job_queued_to_runner_running_seconds',
  'rise_job_queued_to_in_progress_seconds',
  'rise_github_api_calls_total',
  'rise_github_api_call_duration_seconds',
  'rise_github_rate_limit_remaining',
  'rise_github_rate_limit_limit',
  'rise_github_rate_limit_reset_timestamp_seconds',
  'rise_reconcile_duration_seconds',
  'rise_reconcile_runs_total',
  'rise_reconcile_items_total',
  'rise_errors_total',
  'rise_metrics_collect_errors_total',
];
const STATE_METRICS = [
  'rise_jobs',
  'rise_jobs_waiting',
  'rise_workers',
  'rise_worker_failures_last_hour',
  'rise_board_drained',
  'rise_queue_jobs',
  'rise_board_slots',
  'rise_board_slots_busy',
  'rise_cluster_snapshot_age_seconds',
];
const typeLines = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);

describe('web /metrics', () => {
  let pg: TestDb;
  let redis: TestRedis;
  let web: OperatorWeb;
  beforeAll(async () => {
    pg = await createTestDb();
    redis = createTestRedis();
    web = await startOperatorWeb({ db: pg.db, redisUrl: redis.url, prefix: redis.prefix });
  });
  afterAll(async () => {
    await web?.close();
    await redis?.drop();
    await pg?.drop();
  });

  it('is public and names every metric, with state gauges read at scrape time, and no entity names', async () => {
    await insertJob(pg.db, { jobId: 1, entityName: 'private-entity-name' });
    await insertJob(pg.db, { jobId: 2, entityName: 'private-entity-name' });
    await insertJob(pg.db, {
      jobId: 3,
      status: 'running',
      board: 'cloudv10x-rvv',
      entityName: 'private-entity-name',
    });
    await pg.db.$client.query(
      `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id, job_labels, k8s_pool,
         k8s_image, status, failure_info, completed_at)
       values ('w1', 1, 'private-entity-name', 'Organization', 1, '[]', 'scw-em-rv1', 'i', 'failed',
         '{"version": 2, "reason": "pod_stuck_pending"}', now())`,
    );
    await enqueueProvision(web.queues, [{ jobId: 1, board: 'scw-em-rv1' }]);
    await redis.redis.set(
      redisKeys(redis.prefix).cluster,
      JSON.stringify({
        at: new Date().toISOString(),
        nodes: [
          {
            name: 'n1',
            board: 'scw-em-rv1',
            slots: 2,
            ready: true,
            schedulable: true,
            pods: ['x'],
          },
        ],
        pods: [],
      }),
    );
    const res = await web.fetch('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(typeLines(res.text)).toEqual(
      expect.arrayContaining([...EVENT_METRICS, ...STATE_METRICS]),
    );
    expect(res.text).toContain('rise_jobs{board="scw-em-rv1",status="pending"} 2');
    expect(res.text).toContain('rise_jobs{board="cloudv10x-rvv",status="running"} 1');
    expect(res.text).toContain('rise_jobs_waiting{board="scw-em-rv1"} 2');
    expect(res.text).toContain('rise_worker_failures_last_hour{reason="pod_stuck_pending"} 1');
    expect(res.text).toContain('rise_queue_jobs{queue="provision",state="waiting"} 1');
    expect(res.text).toContain('rise_board_slots{board="scw-em-rv1"} 2');
    expect(res.text).toContain('rise_board_slots_busy{board="scw-em-rv1"} 1');
    expect(res.text).toMatch(/rise_cluster_snapshot_age_seconds \d/);
    expect(res.text).not.toContain('private-entity-name');
  });

  it('a failing read leaves its gauges out and counts the failure instead of failing the scrape', async () => {
    const metrics = createMetrics({ defaults: false });
    const { registerStateGauges } = await import('../../src/metrics/state-gauges.js');
    const broken = { $client: { query: () => Promise.reject(new Error('down')) } } as never;
    registerStateGauges(metrics, { db: broken });
    const text = await metrics.registry.metrics();
    expect(text).toContain('rise_metrics_collect_errors_total{source="postgres"} 1');
    expect(text).not.toMatch(/^rise_jobs\{/m);
  });
});

describe('metric helpers for the worker code', () => {
  it('GitHub routes become templates: no org, repository or runner names in labels', () => {
    expect(routeTemplate('POST /orgs/acme-corp/actions/runners/generate-jitconfig')).toBe(
      'POST /orgs/{org}/actions/runners/generate-jitconfig',
    );
    expect(routeTemplate('GET /repos/alice/tool/actions/runners?per_page=100&page=2')).toBe(
      'GET /repos/{owner}/{repo}/actions/runners',
    );
    expect(routeTemplate('DELETE /orgs/{org}/actions/runners/123')).toBe(
      'DELETE /orgs/{org}/actions/runners/{runner_id}',
    );
    expect(routeTemplate('POST /app/installations/4242/access_tokens')).toBe(
      'POST /app/installations/{id}/access_tokens',
    );
    expect(routeTemplate('GET /repos/{owner}/{repo}/actions/jobs/{job_id}')).toBe(
      'GET /repos/{owner}/{repo}/actions/jobs/{job_id}',
    );
    expect(routeTemplate('GET https://ghe.example/api/v3/orgs/acme/actions/runner-groups')).toBe(
      'GET /api/v3/orgs/{org}/actions/runner-groups',
    );
  });

  it('resilience hooks feed calls and per-installation rate limits', async () => {
    const m = createMetrics({ defaults: false });
    const hooks = githubMetricHooks(m);
    hooks.onCall({
      route: 'POST /orgs/acme/actions/runners/generate-jitconfig',
      status: 201,
      ms: 120,
    });
    hooks.onRateLimit({
      remaining: 4999,
      limit: 5000,
      resetAt: 1_700_000_000_000,
      installation: 4242,
    });
    hooks.onRateLimit({ remaining: 10, limit: 5000, resetAt: 1_700_000_000_000 });
    const text = await m.registry.metrics();
    expect(text).toContain(
      'rise_github_api_calls_total{route="POST /orgs/{org}/actions/runners/generate-jitconfig",status="201"} 1',
    );
    expect(text).toContain('rise_github_rate_limit_remaining{installation="4242"} 4999');
    expect(text).toContain('rise_github_rate_limit_remaining{installation="unknown"} 10');
    expect(text).toContain(
      'rise_github_rate_limit_reset_timestamp_seconds{installation="4242"} 1700000000',
    );
    expect(text).not.toContain('acme');
  });

  it('observe helpers: in_progress latency once per job, reconcile timing and counts, errors', async () => {
    const m = createMetrics({ defaults: false });
    const facts = {
      board: 'b1',
      queuedAt: '2024-05-01T12:00:00Z',
      startedAt: '2024-05-01T12:01:30Z',
    } as never;
    const record = {
      deliveryId: 'd',
      event: 'workflow_job',
      action: 'in_progress',
      outcome: 'applied',
      job: { action: 'in_progress', facts },
    } as never;
    observeDelivery(m, record, { jobChanged: true, redelivery: false });
    observeDelivery(m, record, { jobChanged: false, redelivery: false });
    observeDelivery(m, record, { jobChanged: true, redelivery: true });
    await timeReconcile(m, 'runners', () =>
      Promise.resolve(countReconciled(m, 'runners', 'deleted_orphan', 2)),
    );
    await expect(timeReconcile(m, 'jobs', () => Promise.reject(new Error('x')))).rejects.toThrow(
      'x',
    );
    countError(m, 'runner_creation', 'github_5xx');
    const text = await m.registry.metrics();
    expect(text).toContain('rise_job_queued_to_in_progress_seconds_count{board="b1"} 1');
    expect(text).toContain('rise_job_queued_to_in_progress_seconds_sum{board="b1"} 90');
    expect(text).toContain('rise_reconcile_runs_total{task="runners",outcome="ok"} 1');
    expect(text).toContain('rise_reconcile_runs_total{task="jobs",outcome="error"} 1');
    expect(text).toContain('rise_reconcile_items_total{task="runners",action="deleted_orphan"} 2');
    expect(text).toContain('rise_reconcile_duration_seconds_count{task="runners"} 1');
    expect(text).toContain('rise_errors_total{component="runner_creation",reason="github_5xx"} 1');
  });

  it('the pod-created and running updates measure from the job’s queued webhook, by board', async () => {
    const pg = await createTestDb();
    try {
      const queuedAt = new Date(Date.now() - 30_000);
      await insertJob(pg.db, { jobId: 9, createdAt: queuedAt });
      await pg.db.$client.query(
        `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id, job_labels, k8s_pool,
           k8s_image, reserved_for_job_id)
         values ('w9', 1, 'acme', 'Organization', 1, '[]', 'scw-em-rv1', 'i', 9)`,
      );
      const m = createMetrics({ defaults: false });
      const created = await recordRunnerCreated(pg.db, 'w9', 1, true);
      observeQueueLatency(m, 'pod_created', created!);
      const running = await markWorkerRunning(
        pg.db,
        'w9',
        new Date(queuedAt.getTime() + 60_000),
        null,
      );
      observeQueueLatency(m, 'running', running!);
      expect(await markWorkerRunning(pg.db, 'unknown-pod', new Date(), null)).toBeUndefined();
      const text = await m.registry.metrics();
      const sum = (name: string) =>
        Number(new RegExp(`${name}_sum\\{board="scw-em-rv1"\\} (\\S+)`).exec(text)![1]);
      expect(sum('rise_job_queued_to_pod_created_seconds')).toBeCloseTo(30, 0);
      expect(sum('rise_job_queued_to_runner_running_seconds')).toBeCloseTo(60, 0);
    } finally {
      await pg.drop();
    }
  });
});

describe('worker /health and /metrics', () => {
  let sys: TestSystem | undefined;
  afterEach(async () => {
    await sys?.close();
    sys = undefined;
  });

  it('the tiny server answers /health, /metrics and a JSON 404', async () => {
    const m = createMetrics({ defaults: false });
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1', registry: m.registry });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect(await fetch(`${base}/health`).then((r) => r.text())).toBe('ok');
      expect(typeLines(await fetch(`${base}/metrics`).then((r) => r.text()))).toEqual(
        expect.arrayContaining(EVENT_METRICS),
      );
      const missing = await fetch(`${base}/nope`);
      expect([missing.status, await missing.json()]).toEqual([
        404,
        { error: 'No route for GET /nope' },
      ]);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('a worker process started with WORKER_METRICS_PORT serves it, with GitHub call counts after a job', async () => {
    sys = await startSystem({ workers: 0, sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
    const port = await freePort();
    sys.spawnWorker({ WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'silent' });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${base}/health`).then((r) => r.ok), {
      timeoutMs: 20_000,
      what: 'worker /health',
    });
    const { repo } = org(sys.sim, 'acme');
    const job = sys.sim.github.queueJob({
      repo,
      labels: ['ubuntu-24.04-riscv'],
      durationMs: 1_500,
    });
    await waitForJob(sys, job.id, 'completed', 20_000);
    const text = await fetch(`${base}/metrics`).then((r) => r.text());
    // One observation per stage for the one job, labelled by board.
    expect(text).toContain('rise_job_queued_to_pod_created_seconds_count{board="scw-em-rv1"} 1');
    expect(text).toContain('rise_job_queued_to_runner_running_seconds_count{board="scw-em-rv1"} 1');
    expect(text).toMatch(
      /rise_github_api_calls_total\{route="POST \/orgs\/\{org\}\/actions\/runners\/generate-jitconfig",status="201"\} 1/,
    );
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toContain('acme');
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
