import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainBoard } from '../../src/db/drains.js';
import { redisKeys } from '../../src/queues/keys.js';
import type { ClusterSnapshot } from '../../src/queues/cache-values.js';
import type { TestDb, TestRedis } from '../helpers/stores.js';
import {
  ADMIN_TOKEN,
  insertJob,
  startOperatorStack,
  type OperatorStack,
  type OperatorWeb,
} from './helpers.js';

let pg: TestDb;
let redis: TestRedis;
let stack: OperatorStack;
let web: OperatorWeb;
const EVIL = '<b>evil&co</b>';
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

const snapshot: ClusterSnapshot = {
  at: new Date().toISOString(),
  nodes: [
    {
      name: 'n1',
      board: 'scw-em-rv1',
      slots: 1,
      ready: true,
      schedulable: true,
      pods: ['rise-riscv-runner-aaa'],
    },
    { name: 'n2', board: 'scw-em-rv1', slots: 1, ready: false, schedulable: true, pods: [] },
    { name: 'r1', board: 'cloudv10x-rvv', slots: 1, ready: true, schedulable: true, pods: [] },
  ],
  pods: [
    {
      name: 'rise-riscv-runner-aaa',
      phase: 'Running',
      node: 'n1',
      board: 'scw-em-rv1',
      entityId: '1',
      reason: null,
      createdAt: null,
    },
  ],
};

beforeAll(async () => {
  stack = await startOperatorStack();
  ({ pg, redis } = stack);
  web = await stack.web();
  await redis.redis.set(redisKeys(redis.prefix).cluster, JSON.stringify(snapshot));
  // Entity 1 (acme): one running job on the runner aaa, two pending behind it.
  await insertJob(pg.db, {
    jobId: 101,
    status: 'running',
    createdAt: minutesAgo(50),
    runnerName: 'rise-riscv-runner-aaa',
    startedAt: minutesAgo(49),
  });
  await insertJob(pg.db, { jobId: 102, createdAt: minutesAgo(40) });
  await insertJob(pg.db, { jobId: 103, createdAt: minutesAgo(30) });
  await insertJob(pg.db, { jobId: 104, status: 'completed', createdAt: minutesAgo(20) });
  await insertJob(pg.db, { jobId: 105, status: 'failed', createdAt: minutesAgo(10) });
  await insertJob(pg.db, { jobId: 106, status: 'completed', createdAt: minutesAgo(5) });
  // Entity 2, a name that must be escaped, on a drained board.
  await insertJob(pg.db, {
    jobId: 201,
    entityId: 2,
    entityName: EVIL,
    labels: ['ubuntu-24.04-riscv-rvv'],
    board: 'cloudv10x-rvv',
    createdAt: minutesAgo(3),
  });
  await drainBoard(pg.db, 'cloudv10x-rvv', 'firmware');
  await pg.db.$client.query(
    `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id, job_labels,
       k8s_pool, k8s_image, status, reserved_for_job_id, pod_created_at, running_at, k8s_node)
     values ('rise-riscv-runner-aaa', 1, 'acme', 'Organization', 77, '["ubuntu-24.04-riscv"]',
       'scw-em-rv1', 'img', 'running', 101, now() - interval '49 minutes', now() - interval '48 minutes', 'n1')`,
  );
  await pg.db.$client.query(
    `insert into deliveries (delivery_id, event, action, job_id, outcome, receive_count)
     values ('d-102', 'workflow_job', 'queued', 102, 'applied', 2)`,
  );
});
afterAll(async () => {
  await stack?.close();
});

const get = (path: string, accept = 'application/json') =>
  web.fetch(path, { token: ADMIN_TOKEN, headers: { accept } });

describe('/usage', () => {
  it('JSON: pools with jobs and workers by status, caps, waiting, live pod state; boards with capacity and drains', async () => {
    const res = await get('/usage.json');
    expect(res.status).toBe(200);
    const acme = res.json.pools.find((p: any) => p.entityId === 1);
    expect(acme).toMatchObject({
      entityName: 'acme',
      board: 'scw-em-rv1',
      labels: ['ubuntu-24.04-riscv'],
      jobs: { pending: 2, running: 1, completedLastHour: 2, failedLastHour: 1 },
      workers: { pending: 0, running: 1, completedLastHour: 0, failedLastHour: 0 },
      available: 0,
      waiting: 2,
      maxWorkers: 20,
      entityActive: 1,
      pods: { Running: 1 },
    });
    const scw = res.json.boards.find((b: any) => b.board === 'scw-em-rv1');
    expect(scw).toMatchObject({
      nodes: 2,
      readyNodes: 1,
      slots: 1,
      busy: 1,
      free: 0,
      pendingJobs: 2,
      drained: null,
    });
    expect(scw.unavailableNodes).toEqual([{ name: 'n2', why: 'not Ready' }]);
    const rvv = res.json.boards.find((b: any) => b.board === 'cloudv10x-rvv');
    expect(rvv).toMatchObject({ free: 1, drained: { reason: 'firmware' } });
    // Every configured board is listed, even one without nodes.
    expect(res.json.boards.find((b: any) => b.board === 'cloudv10x-pioneer')).toMatchObject({
      seen: false,
      nodes: 0,
    });
    expect(res.json.snapshotAt).toBe(snapshot.at);
  });

  it('HTML: tables, status colours, auto-refresh, escaped names', async () => {
    const res = await get('/usage', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('<meta http-equiv="refresh" content="10" />');
    expect(res.text).toContain('<table id="pools">');
    expect(res.text).toContain('<table id="boards">');
    expect(res.text).toContain('class="s-pending"');
    expect(res.text).toContain('&lt;b&gt;evil&amp;co&lt;/b&gt;');
    expect(res.text).not.toContain(EVIL);
    // Accept: application/json on the HTML route gives JSON too.
    expect((await get('/usage')).json.pools).toBeDefined();
  });
});

describe('/history', () => {
  it('sorted by status (pending, running, completed, failed), then newest first, with totals', async () => {
    const res = await get('/history.json');
    expect(res.status).toBe(200);
    expect(res.json.jobs.map((j: any) => j.jobId)).toEqual([201, 103, 102, 101, 106, 104, 105]);
    expect(res.json).toMatchObject({ page: 1, per_page: 30, total: 7 });
    expect(res.headers.get('x-total-count')).toBe('7');
    expect(res.headers.get('link')).toBeNull();
  });

  it('pages with a GitHub-style Link header that keeps the filters', async () => {
    const res = await get('/history.json?per_page=2&page=2&status=pending,completed');
    expect(res.json.jobs.map((j: any) => j.jobId)).toEqual([102, 106]);
    const link = res.headers.get('link')!;
    const rels = Object.fromEntries(
      [...link.matchAll(/<([^>]+)>; rel="(\w+)"/g)].map((m) => [m[2], new URL(m[1]!).search]),
    );
    expect(rels).toEqual({
      next: '?status=pending%2Ccompleted&page=3&per_page=2',
      last: '?status=pending%2Ccompleted&page=3&per_page=2',
      first: '?status=pending%2Ccompleted&page=1&per_page=2',
      prev: '?status=pending%2Ccompleted&page=1&per_page=2',
    });
    expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/history\.json\?/);
  });

  it('filters by entity name or id, board and time window', async () => {
    expect((await get('/history.json?entity=acme')).json.total).toBe(6);
    expect((await get('/history.json?entity=2')).json.jobs.map((j: any) => j.jobId)).toEqual([201]);
    expect((await get('/history.json?board=cloudv10x-rvv')).json.total).toBe(1);
    expect((await get('/history.json?start=-0d')).json.total).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect((await get(`/history.json?start=${today}&end=${today}`)).json.total).toBeGreaterThan(0);
  });

  it.each([
    ['start=tomorrow', 'start'],
    ['end=2024-13-01', 'end'],
    ['start=-1d&end=-2d', 'start'],
    ['page=0', 'page'],
    ['page=x', 'page'],
    ['per_page=101', 'per_page'],
    ['per_page=0', 'per_page'],
    ['status=done', 'status'],
    ['board=a%20b', 'board'],
    ['page=1&page=2', 'page'],
    ['order=asc', 'order'],
  ])('%s → 400 naming %s', async (query, name) => {
    const res = await get(`/history.json?${query}`);
    expect(res.status).toBe(400);
    expect(Object.keys(res.json)).toEqual(['error']);
    expect(res.json.error).toContain(name);
    expect(res.text).not.toMatch(/at \w+ \(/); // no stack trace
  });

  it('HTML: a real table, links to job pages, and a 400 page for a bad parameter', async () => {
    const res = await get('/history?per_page=3', 'text/html');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<table id="history">');
    expect(res.text).toContain('<a href="/jobs/201">201</a>');
    expect(res.text).toContain('rel="next"');
    const bad = await get('/history?per_page=500', 'text/html');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('per_page must be an integer from 1 to 100, got &quot;500&quot;');
  });
});

describe('/jobs/:id', () => {
  it('unknown id → 404, non-numeric → 400, both as {error}', async () => {
    expect(await get('/jobs/999.json').then((r) => [r.status, r.json])).toEqual([
      404,
      { error: 'no job 999 is recorded' },
    ]);
    for (const bad of ['abc', '-1', '0', '1.5', '12abc.json']) {
      const res = await get(`/jobs/${bad}`);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/^job id must be a positive integer/);
    }
    expect((await get('/jobs?id=nope')).status).toBe(400);
    const redirect = await get('/jobs?id=102', 'text/html');
    expect([redirect.status, redirect.headers.get('location')]).toEqual([303, '/jobs/102']);
  });

  it('a pending job: timeline with its deliveries, and why it waits (board full, jobs ahead)', async () => {
    const res = await get('/jobs/103.json');
    expect(res.status).toBe(200);
    const e = res.json.explanation;
    expect(e.waiting).toBe(true);
    expect(e.reasons.filter((r: any) => r.kind === 'blocker').map((r: any) => r.code)).toEqual([
      'no_free_node',
    ]);
    expect(e.reasons.find((r: any) => r.code === 'no_free_node').message).toBe(
      'No free node of board scw-em-rv1: 1 of 1 slot taken. Busy: n1 (rise-riscv-runner-aaa). Unavailable: n2: not Ready.',
    );
    expect(e.reasons.find((r: any) => r.code === 'jobs_ahead').message).toMatch(
      /^1 job of its pool is ahead/,
    );
    // No BullMQ job (rows were inserted directly): said, as context behind the real blocker.
    expect(e.reasons.find((r: any) => r.code === 'not_queued').kind).toBe('context');
    const d = (await get('/jobs/102.json')).json;
    const webhook = d.timeline.find((t: any) => t.what === 'webhook workflow_job.queued');
    expect(webhook.detail).toMatch(/^outcome applied, received 2 times/);
  });

  it('a running job: not waiting, with the worker that ran it', async () => {
    const res = await get('/jobs/101.json');
    expect(res.json.explanation).toMatchObject({
      waiting: false,
      summary: expect.stringMatching(/^Running on rise-riscv-runner-aaa/),
    });
    expect(res.json.workers.map((w: any) => w.podName)).toEqual(['rise-riscv-runner-aaa']);
    expect(res.json.timeline.map((t: any) => t.what)).toEqual(
      expect.arrayContaining([
        'worker rise-riscv-runner-aaa reserved',
        'pod rise-riscv-runner-aaa running',
        'in progress',
      ]),
    );
  });

  it('a job on a drained board, as an HTML page with escaped names', async () => {
    const res = await get('/jobs/201', 'text/html');
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-code="board_drained"');
    expect(res.text).toContain('Board cloudv10x-rvv is drained (firmware)');
    expect(res.text).toContain('<table id="timeline">');
    expect(res.text).not.toContain(EVIL);
  });
});
