/**
 * /usage lists every active job and worker per (entity, labels) pool and charts each board's
 * waiting jobs and queue-time percentiles, from PostgreSQL and the cluster snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_LIMIT } from '../../src/explain/usage-lists.js';
import type { ClusterSnapshot } from '../../src/queues/cache-values.js';
import { redisKeys } from '../../src/queues/keys.js';
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
const EVIL = '<img src=x onerror=alert(1)>';
const T0 = Date.now();
const minutesAgo = (m: number) => new Date(T0 - m * 60_000);
const HALF_HOUR = 30 * 60_000;
// Start of the half-hour bucket (aligned like date_bin) about three hours ago.
const BUCKET = new Date(Math.floor((T0 - 3 * 3600_000) / HALF_HOUR) * HALF_HOUR);

const snapshot: ClusterSnapshot = {
  at: new Date(T0).toISOString(),
  nodes: [{ name: 'n1', board: 'scw-em-rv1', slots: 2, ready: true, schedulable: true, pods: [] }],
  pods: [
    {
      name: 'runner-a',
      phase: 'Running',
      node: 'n1',
      board: 'scw-em-rv1',
      entityId: '1',
      reason: null,
      createdAt: null,
      events: [
        { type: 'Normal', reason: 'Scheduled', message: 'assigned to n1', count: 1, at: null },
        {
          type: 'Warning',
          reason: 'BackOff',
          message: EVIL,
          count: 3,
          at: minutesAgo(1).toISOString(),
        },
      ],
    },
  ],
};

async function insertWorker(
  pod: string,
  entityId: number,
  board: string,
  status: string,
  node: string | null,
) {
  await pg.db.$client.query(
    `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id, job_labels,
       k8s_pool, k8s_image, status, k8s_node, pod_created_at, created_at)
     values ($1, $2, $3, 'Organization', 77, $4::jsonb, $5, 'img', $6, $7, $8, $9)`,
    [
      pod,
      entityId,
      entityId === 1 ? 'acme' : EVIL,
      JSON.stringify(entityId === 1 ? ['ubuntu-24.04-riscv'] : ['ubuntu-24.04-riscv-rvv']),
      board,
      status,
      node,
      node ? minutesAgo(3) : null,
      minutesAgo(node ? 4 : 2),
    ],
  );
}

beforeAll(async () => {
  stack = await startOperatorStack();
  ({ pg, redis } = stack);
  web = await stack.web();
  await redis.redis.set(redisKeys(redis.prefix).cluster, JSON.stringify(snapshot));
  // scw-em-rv1, entity 1: job 1 runs on runner-a, 2 and 3 wait, 5 waited from -200 to -100 min.
  await insertJob(pg.db, {
    jobId: 1,
    status: 'running',
    createdAt: minutesAgo(2),
    startedAt: minutesAgo(1),
    runnerName: 'runner-a',
  });
  await insertJob(pg.db, { jobId: 2, createdAt: minutesAgo(65) });
  await insertJob(pg.db, { jobId: 3, createdAt: minutesAgo(5) });
  await insertJob(pg.db, {
    jobId: 5,
    status: 'completed',
    createdAt: minutesAgo(200),
    startedAt: minutesAgo(100),
  });
  await pg.db.$client.query(`update jobs set completed_at = $1 where job_id = 5`, [minutesAgo(90)]);
  const url = (id: number, scheme = 'https') =>
    `${scheme}://github.com/acme/app/actions/runs/9/job/${id}`;
  await pg.db.$client.query(`update jobs set html_url = $2, job_name = $3 where job_id = $1`, [
    1,
    url(1),
    EVIL,
  ]);
  await pg.db.$client.query(`update jobs set html_url = $2 where job_id = $1`, [
    2,
    'javascript:alert(1)',
  ]);
  await pg.db.$client.query(`update jobs set html_url = $2 where job_id = $1`, [3, url(3, 'http')]);
  // cloudv10x-rvv, entity 2 (a name to escape): one job waits, its worker has no pod yet.
  await insertJob(pg.db, {
    jobId: 4,
    entityId: 2,
    entityName: EVIL,
    labels: ['ubuntu-24.04-riscv-rvv'],
    board: 'cloudv10x-rvv',
    createdAt: minutesAgo(3),
  });
  await insertWorker('runner-a', 1, 'scw-em-rv1', 'running', 'n1');
  await insertWorker('runner-b', 2, 'cloudv10x-rvv', 'pending', null);
  // hist-rv: 100 jobs started together in one bucket, queued 1..100 s before.
  await pg.db.$client.query(
    `insert into jobs (job_id, status, entity_id, entity_name, entity_type, repo_full_name, installation_id,
       job_labels, k8s_pool, k8s_image, queued_at, created_at, started_at, completed_at, updated_at)
     select 1000 + i, 'completed', 3, 'hist', 'Organization', 'hist/app', 77, '["x"]', 'hist-rv', 'img',
       $1::timestamptz - i * interval '1 second', $1::timestamptz - i * interval '1 second', $1, $1, $1
     from generate_series(1, 100) i`,
    [new Date(BUCKET.getTime() + 5 * 60_000)],
  );
});
afterAll(async () => {
  await stack?.close();
});

const get = (path: string, accept = 'application/json') =>
  web.fetch(path, { token: ADMIN_TOKEN, headers: { accept } });

/** The <svg id="…"> element of the page. */
function svg(page: string, id: string): string {
  const m = new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`).exec(page);
  if (!m) throw new Error(`no <svg id="${id}"> on the page`);
  return m[0];
}
const circles = (s: string) => [...s.matchAll(/<circle /g)].length;
const polylinePoints = (s: string, series: string) => {
  const g = new RegExp(`data-series="${series}"[\\s\\S]*?points="([^"]*)"`).exec(s);
  return g ? g[1]!.trim().split(/\s+/).length : 0;
};

describe('/usage.json lists', () => {
  it('active jobs, oldest first, under their column names with their age', async () => {
    const { json } = await get('/usage.json');
    expect(json.jobs.map((j: any) => j.job_id)).toEqual([2, 3, 4, 1]);
    const running = json.jobs.find((j: any) => j.job_id === 1);
    expect(running).toMatchObject({
      status: 'running',
      entity_id: 1,
      entity_name: 'acme',
      repo_full_name: 'acme/app',
      job_labels: ['ubuntu-24.04-riscv'],
      k8s_pool: 'scw-em-rv1',
      html_url: 'https://github.com/acme/app/actions/runs/9/job/1',
      runner_name: 'runner-a',
      started_at: minutesAgo(1).toISOString(),
    });
    expect(running).not.toHaveProperty('jobId');
    const age = json.jobs.find((j: any) => j.job_id === 2).age_seconds;
    expect(age).toBeGreaterThanOrEqual(65 * 60);
    expect(age).toBeLessThan(66 * 60);
    expect(json.listTruncated).toBe(false);
  });

  it('active workers with node, status, live pod state and Kubernetes events', async () => {
    const { json } = await get('/usage.json');
    expect(json.workers.map((w: any) => w.pod_name)).toEqual(['runner-a', 'runner-b']);
    expect(json.workers[0]).toMatchObject({
      status: 'running',
      k8s_node: 'n1',
      k8s_pool: 'scw-em-rv1',
      pod: { phase: 'Running', reason: null, node: 'n1' },
      events: snapshot.pods[0]!.events,
    });
    expect(json.workers[1]).toMatchObject({
      status: 'pending',
      k8s_node: null,
      pod: null,
      events: [],
    });
    expect(json.workers[1]).not.toHaveProperty('podName');
  });

  it('per board: waiting jobs every 10 minutes over 6 hours, queue-time percentiles per half hour', async () => {
    const { json } = await get('/usage.json');
    const scw = json.boards.find((b: any) => b.board === 'scw-em-rv1').history;
    // Newest sample last: jobs 2 and 3 wait now, only 2 back to an hour ago, 5 from -200 to -100 min.
    const expected = Array.from({ length: 37 }, (_, i) => {
      const k = 36 - i; // the sample k × 10 minutes ago
      return k === 0 ? 2 : k <= 6 ? 1 : k >= 11 && k <= 20 ? 1 : 0;
    });
    expect(scw.waiting.map((p: any) => p.jobs)).toEqual(expected);
    // Job 5 waited 100 minutes, job 1 one minute.
    expect(scw.queueSeconds.map((p: any) => [p.p50, p.p90, p.p99, p.jobs])).toEqual([
      [6000, 6000, 6000, 1],
      [60, 60, 60, 1],
    ]);
    const hist = json.boards.find((b: any) => b.board === 'hist-rv').history;
    expect(hist.queueSeconds).toHaveLength(1);
    expect(hist.queueSeconds[0]).toMatchObject({ at: BUCKET.toISOString(), jobs: 100, p50: 50.5 });
    expect(hist.queueSeconds[0].p90).toBeCloseTo(90.1, 6);
    expect(hist.queueSeconds[0].p99).toBeCloseTo(99.01, 6);
  });
});

describe('/usage page lists and charts', () => {
  it('per pool: jobs with a link to GitHub only when https, pods, workers with node and events, all escaped', async () => {
    const { text, headers } = await get('/usage', 'text/html');
    expect(text).toContain(
      '<a href="https://github.com/acme/app/actions/runs/9/job/1" rel="noreferrer">acme/app#1</a>',
    );
    expect(text).toContain('acme/app#2');
    expect(text).toContain('acme/app#3');
    expect(text).not.toContain('javascript:');
    expect(text).not.toContain('href="http://github.com');
    const acme =
      /<section class="pool" data-entity="1" data-board="scw-em-rv1">[\s\S]*?<\/section>/.exec(
        text,
      )![0];
    expect(acme).toContain('<code>runner-a</code>');
    expect(acme).toMatch(
      /<table class="jobs">[\s\S]*acme\/app#2[\s\S]*acme\/app#3[\s\S]*acme\/app#1/,
    );
    expect(acme).toMatch(
      /<table class="workers">[\s\S]*runner-a[\s\S]*<code>n1<\/code>[\s\S]*Running/,
    );
    expect(acme).toContain('<code>BackOff</code> ×3 &lt;img src=x onerror=alert(1)&gt;');
    expect(text).toMatch(
      /<section class="pool" data-entity="2" data-board="cloudv10x-rvv">\s*<h3>&lt;img src=x[\s\S]*?runner-b[\s\S]*?no pod yet/,
    );
    expect(text).not.toContain(EVIL);
    // The CSP allows our one stylesheet only: no inline style attributes anywhere.
    expect(headers.get('content-security-policy')).toMatch(/style-src 'sha256-/);
    expect(text).not.toMatch(/\sstyle=/);
  });

  it('per board: an inline SVG of waiting jobs (one point per sample) and of p50/p90/p99, titled', async () => {
    const { text } = await get('/usage', 'text/html');
    const waiting = svg(text, 'waiting-scw-em-rv1');
    expect(waiting).toMatch(/role="img" aria-labelledby="waiting-scw-em-rv1-title"/);
    expect(waiting).toMatch(/<title id="waiting-scw-em-rv1-title">scw-em-rv1: jobs waiting/);
    expect(polylinePoints(waiting, 'waiting')).toBe(37);
    expect(circles(waiting)).toBe(37);
    const queue = svg(text, 'queue-scw-em-rv1');
    expect(['p50', 'p90', 'p99'].map((s) => polylinePoints(queue, s))).toEqual([2, 2, 2]);
    const hist = svg(text, 'queue-hist-rv');
    expect(circles(hist)).toBe(3);
    const hhmm = BUCKET.toISOString().slice(11, 16);
    for (const v of [
      'p50 ' + hhmm + 'Z: 50.5s',
      'p90 ' + hhmm + 'Z: 90.1s',
      'p99 ' + hhmm + 'Z: 99s',
    ])
      expect(hist).toContain(`<title>${v}</title>`);
    // Axis from 0 to 100 s: p50 at half height (plot from y=12 to y=164).
    expect(hist).toMatch(/<g class="series l-p50"[\s\S]*?<circle cx="[\d.]+" cy="87.2"/);
    expect(hist).toContain('>100s</text>');
  });
});

describe('/usage.json with more active rows than listed', () => {
  it('lists the oldest LIST_LIMIT and says it truncated', async () => {
    await pg.db.$client.query(
      `insert into jobs (job_id, status, entity_id, entity_name, entity_type, repo_full_name, installation_id,
         job_labels, k8s_pool, k8s_image, created_at, updated_at)
       select 5000 + i, 'pending', 4, 'many', 'Organization', 'many/app', 77, '["x"]', 'many-rv', 'img', now(), now()
       from generate_series(1, $1::int) i`,
      [LIST_LIMIT],
    );
    const { json } = await get('/usage.json');
    expect(json.jobs).toHaveLength(LIST_LIMIT);
    expect(json.jobs.slice(0, 4).map((j: any) => j.job_id)).toEqual([2, 3, 4, 1]);
    expect(json.listTruncated).toBe(true);
    expect(json.pools.find((p: any) => p.board === 'many-rv').jobs.pending).toBe(LIST_LIMIT);
    const { text } = await get('/usage', 'text/html');
    expect(text).toContain('Only the oldest active jobs and workers are listed');
  });
});
