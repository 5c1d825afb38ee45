import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '@octokit/webhooks-methods';
import { parseRunnersConfig } from '../src/config/runners.js';
import { jobIds } from '../src/queues/registry.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from './helpers/stores.js';
import { DEFAULT_RUNNERS, SECRET, startWeb, type TestWeb } from './helpers/web.js';
import { examples, signed, workflowJob } from './helpers/webhooks.js';

let pg: TestDb;
let redis: TestRedis;
let web: TestWeb;

beforeAll(async () => {
  pg = await createTestDb();
  redis = createTestRedis();
  web = await startWeb({
    db: pg.db,
    redisUrl: redis.url,
    prefix: redis.prefix,
    secrets: [SECRET, 'next-secret'],
  });
});
afterAll(async () => {
  await web?.close();
  await redis?.drop();
  await pg?.drop();
});

let nextId = 1_000;
const newJobId = () => ++nextId;
const job = async (id: number) =>
  (await pg.db.$client.query('select * from jobs where job_id = $1', [id])).rows[0];
const delivery = async (id: string) =>
  (await pg.db.$client.query('select * from deliveries where delivery_id = $1', [id])).rows[0];
const send = async (event: string, payload: unknown, opts: Parameters<typeof signed>[3] = {}) =>
  web.post(await signed(event, payload, SECRET, opts));

describe('signature', () => {
  it('answers 400 without X-Hub-Signature-256', async () => {
    const d = await signed('workflow_job', workflowJob('queued'), SECRET);
    delete d.headers['x-hub-signature-256'];
    expect((await web.post(d)).status).toBe(400);
  });

  it('answers 401 for a wrong signature, before looking at the body, with no hint', async () => {
    const d = await signed('workflow_job', {}, 'wrong-secret', { body: '{not json' });
    const res = await web.post(d);
    expect(res.status).toBe(401);
    expect(res.text).not.toMatch(/sha256=|[0-9a-f]{64}/);
    const tampered = await signed('workflow_job', workflowJob('queued'), SECRET);
    tampered.body = tampered.body.replace('ubuntu-24.04-riscv', 'ubuntu-26.04-riscv');
    expect((await web.post(tampered)).status).toBe(401);
  });

  it('accepts either secret during a rotation', async () => {
    const d = await signed('ping', { zen: 'hi' }, 'next-secret');
    expect((await web.post(d)).status).toBe(200);
  });
});

describe('request shape', () => {
  it('answers 400 without X-GitHub-Event', async () => {
    const d = await signed('ping', {}, SECRET);
    delete d.headers['x-github-event'];
    expect((await web.post(d)).status).toBe(400);
  });

  it('answers ping with 200 and ignores other events with 2xx', async () => {
    expect((await send('ping', { zen: 'Keep it logically awesome.' })).status).toBe(200);
    const push = await send('push', { ref: 'refs/heads/main' });
    expect(push.status).toBe(200);
    expect(push.json).toMatchObject({ outcome: 'ignored' });
  });

  it('answers 400 for bad JSON and 415 for another content type', async () => {
    const bad = await send('workflow_job', undefined, { body: '{"action": "queued",' });
    expect(bad).toMatchObject({ status: 400, json: { error: 'Body is not valid JSON' } });
    const form = await send('workflow_job', undefined, {
      body: 'payload=%7B%7D',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect((await send('workflow_job', undefined, { body: '[1,2]' })).status).toBe(400);
  });

  it('answers 413 for a body over 25 MB, without a stack trace', async () => {
    const body = JSON.stringify({ action: 'queued', pad: 'x'.repeat(25 * 1024 * 1024 + 10) });
    const res = await send('workflow_job', undefined, { body });
    expect(res.status).toBe(413);
    expect(res.text).not.toMatch(/at .*\.js/);
  });

  it('answers JSON 404 for unknown routes', async () => {
    const res = await fetch(`${web.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: expect.stringContaining('/nope') });
  });
});

describe('workflow_job classification', () => {
  it('ignores actions other than queued, in_progress and completed (waiting is not an error)', async () => {
    const waiting = examples('workflow_job').find((e) => e.action === 'waiting')!;
    const res = await send('workflow_job', waiting);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      outcome: 'ignored',
      detail: expect.stringContaining('waiting'),
    });
  });

  it.each([
    ['installation', (p: any) => delete p.installation, 'installation'],
    ['installation.id', (p: any) => (p.installation = {}), 'installation.id'],
    ['repository', (p: any) => delete p.repository, 'repository'],
    ['repository.owner', (p: any) => delete p.repository.owner, 'repository.owner'],
    [
      'repository.owner.login',
      (p: any) => delete p.repository.owner.login,
      'repository.owner.login',
    ],
    ['workflow_job', (p: any) => delete p.workflow_job, 'workflow_job'],
    ['workflow_job.id', (p: any) => (p.workflow_job.id = 'abc'), 'workflow_job.id'],
    ['workflow_job.labels', (p: any) => delete p.workflow_job.labels, 'workflow_job.labels'],
  ])('answers 400 naming a missing %s', async (_name, mutate, field) => {
    const payload = workflowJob('queued');
    mutate(payload);
    const res = await send('workflow_job', payload);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe(`Missing or invalid field: ${field}`);
  });

  it("answers 400 for GitHub's example payloads that carry no installation", async () => {
    const noInstallation = examples('workflow_job').filter((e) => !e.installation);
    expect(noInstallation.length).toBeGreaterThan(0);
    for (const p of noInstallation) {
      p.workflow_job.labels = ['ubuntu-24.04-riscv'];
      const res = await send('workflow_job', p);
      expect(res.status).toBe(400);
      expect(res.json.error).toContain('installation');
    }
  });

  it('ignores labels that match no pool, naming them', async () => {
    const res = await send(
      'workflow_job',
      workflowJob('queued', { labels: ['ubuntu-latest', 'gpu'] }),
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      outcome: 'ignored',
      detail: 'labels ["gpu","ubuntu-latest"] match no pool',
    });
  });
});

describe('job state', () => {
  it('records a queued organization job with sorted labels and enqueues provisioning once', async () => {
    const id = newJobId();
    const payload = workflowJob('queued', {
      jobId: id,
      orgId: 777,
      labels: ['ubuntu-24.04-riscv'],
    });
    const res = await send('workflow_job', payload);
    expect(res).toMatchObject({ status: 200, json: { outcome: 'applied', redelivery: false } });
    expect(await job(id)).toMatchObject({
      status: 'pending',
      entity_id: '777',
      entity_type: 'Organization',
      job_labels: ['ubuntu-24.04-riscv'],
      k8s_pool: 'scw-em-rv1',
      installation_id: '4242',
    });
    const bull = await web.queues.provision.getJob(jobIds.provision(id));
    expect(bull?.data).toEqual({ jobId: id, board: 'scw-em-rv1' });

    // A second queued delivery (new delivery id) for the same job changes nothing.
    const again = await send('workflow_job', payload);
    expect(again.json).toMatchObject({ outcome: 'unchanged' });
    expect(await web.queues.provision.getJobCounts('wait', 'delayed', 'active')).toMatchObject({
      wait: expect.any(Number),
    });
    const waiting = await web.queues.provision.getJobs(['wait', 'delayed', 'active']);
    expect(waiting.filter((j) => j.id === jobIds.provision(id))).toHaveLength(1);
  });

  it('uses the repository id as the entity of a personal account, with labels sorted', async () => {
    const id = newJobId();
    const runners = DEFAULT_RUNNERS;
    expect(runners.pools.length).toBeGreaterThan(0);
    const payload = workflowJob('queued', {
      jobId: id,
      ownerType: 'User',
      repoId: 5555,
      labels: ['ubuntu-26.04-riscv-rvv'],
    });
    expect((await send('workflow_job', payload)).status).toBe(200);
    expect(await job(id)).toMatchObject({
      entity_id: '5555',
      entity_type: 'User',
      k8s_pool: 'cloudv10x-rvv',
    });
  });

  const orders: [string, ('queued' | 'in_progress' | 'completed')[], string][] = [
    ['in order', ['queued', 'in_progress', 'completed'], 'completed'],
    ['completed first', ['completed', 'queued', 'in_progress'], 'completed'],
    ['completed before queued', ['in_progress', 'completed', 'queued'], 'completed'],
    ['in_progress before queued', ['in_progress', 'queued'], 'running'],
    ['queued then in_progress', ['queued', 'in_progress'], 'running'],
    ['queued, completed, in_progress', ['queued', 'completed', 'in_progress'], 'completed'],
  ];
  it.each(orders)('ends in the right state whatever the order: %s', async (_n, actions, final) => {
    const id = newJobId();
    for (const action of actions) {
      const res = await send(
        'workflow_job',
        workflowJob(action, { jobId: id, runnerName: 'rise-riscv-runner-x1' }),
      );
      expect(res.status).toBe(200);
    }
    const row = await job(id);
    expect(row.status).toBe(final);
    expect(row.runner_name).toBe('rise-riscv-runner-x1');
    const bull = await web.queues.provision.getJob(jobIds.provision(id));
    // A job first seen already running or completed never asks for a runner.
    expect(Boolean(bull)).toBe(actions[0] === 'queued');
  });

  it('applies duplicated and replayed deliveries once, and recognises a redelivery', async () => {
    const id = newJobId();
    const queued = await signed('workflow_job', workflowJob('queued', { jobId: id }), SECRET);
    const completed = await signed('workflow_job', workflowJob('completed', { jobId: id }), SECRET);
    expect((await web.post(queued)).json).toMatchObject({ outcome: 'applied', redelivery: false });
    expect((await web.post(completed)).json).toMatchObject({
      outcome: 'applied',
      redelivery: false,
    });
    const replay = await web.post(queued);
    expect(replay.json).toMatchObject({ outcome: 'unchanged', redelivery: true });
    expect((await job(id)).status).toBe('completed');
    expect(await delivery(queued.id)).toMatchObject({
      receive_count: 2,
      outcome: 'unchanged',
      job_id: String(id),
    });
    expect(await delivery(completed.id)).toMatchObject({
      receive_count: 1,
      outcome: 'applied',
      action: 'completed',
    });
  });

  it('applies concurrent deliveries for one job (one batch) to the furthest state', async () => {
    const id = newJobId();
    const results = await Promise.all(
      (['completed', 'queued', 'in_progress', 'queued'] as const).map((a) =>
        send('workflow_job', workflowJob(a, { jobId: id })),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await job(id)).status).toBe('completed');
  });

  it('records every delivery with its outcome', async () => {
    const ignored = await signed(
      'workflow_job',
      workflowJob('queued', { labels: ['windows'] }),
      SECRET,
    );
    await web.post(ignored);
    const invalid = workflowJob('queued');
    delete invalid.installation;
    const bad = await signed('workflow_job', invalid, SECRET);
    await web.post(bad);
    const ping = await signed('ping', { zen: 'z' }, SECRET);
    await web.post(ping);
    expect(await delivery(ignored.id)).toMatchObject({
      outcome: 'ignored',
      detail: expect.stringContaining('windows'),
    });
    expect(await delivery(bad.id)).toMatchObject({
      outcome: 'invalid',
      detail: 'Missing or invalid field: installation',
    });
    expect(await delivery(ping.id)).toMatchObject({ event: 'ping', outcome: 'ignored' });
  });
});

describe('installation events', () => {
  it('keeps the installations we know of current', async () => {
    const [created] = examples('installation').filter((e) => e.action === 'created');
    const res = await send('installation', created);
    expect(res.status).toBe(200);
    const id = created!.installation.id;
    const row = async () =>
      (await pg.db.$client.query('select * from installations where installation_id = $1', [id]))
        .rows[0];
    expect(await row()).toMatchObject({
      state: 'created',
      account_login: created!.installation.account.login,
    });
    await send('installation', { ...created, action: 'suspend' });
    expect((await row()).state).toBe('suspend');
  });
});

describe('allowlist mode', () => {
  it('ignores entities that are not listed', async () => {
    const runners = parseRunnersConfig(
      `allowlist: true
pools: [{ labels: [ubuntu-24.04-riscv], board: scw-em-rv1, image: i }]
entities: [{ id: 31337 }]`,
      'inline',
    );
    const local = await startWeb({ db: pg.db, redisUrl: redis.url, prefix: redis.prefix, runners });
    try {
      const other = await local.post(
        await signed('workflow_job', workflowJob('queued', { orgId: 1 }), SECRET),
      );
      expect(other.json).toMatchObject({
        outcome: 'ignored',
        detail: expect.stringContaining('not allowlisted'),
      });
      const listed = await local.post(
        await signed('workflow_job', workflowJob('queued', { orgId: 31337 }), SECRET),
      );
      expect(listed.json).toMatchObject({ outcome: 'applied' });
    } finally {
      await local.close();
    }
  });
});

describe('staging routing', () => {
  const runners = parseRunnersConfig(
    `pools: [{ labels: [ubuntu-24.04-riscv], board: scw-em-rv1, image: i, pod: { docker: none } }]
entities:
  - { id: 600, staging: true }
  - { id: 601, staging: [acme/beta] }`,
    'inline',
  );

  async function stagingServer(status: number) {
    const seen: { body: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ from: 'staging' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      seen,
      server,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    };
  }

  const FORWARD_SECRET = 'staging-forward-secret-0001';

  it('forwards staging deliveries verbatim in prod, signed with its own secret, and relays the answer', async () => {
    const staging = await stagingServer(202);
    const local = await startWeb({
      db: pg.db,
      redisUrl: redis.url,
      prefix: redis.prefix,
      runners,
      stagingUrl: staging.url,
      stagingForwardSecret: FORWARD_SECRET,
    });
    try {
      const id = newJobId();
      const d = await signed(
        'workflow_job',
        workflowJob('queued', { jobId: id, orgId: 600 }),
        SECRET,
      );
      const res = await local.post(d);
      expect(res).toMatchObject({ status: 202, json: { from: 'staging' } });
      expect(staging.seen[0]?.body).toBe(d.body);
      const headers = staging.seen[0]!.headers;
      expect(headers).toMatchObject({
        'x-github-delivery': d.id,
        'x-github-event': 'workflow_job',
      });
      // Staging verifies with STAGING_FORWARD_SECRET as its webhook secret; prod's never leaves.
      const signature = String(headers['x-hub-signature-256']);
      expect(await verify(FORWARD_SECRET, d.body, signature)).toBe(true);
      expect(await verify(SECRET, d.body, signature)).toBe(false);
      expect(signature).not.toBe(d.headers['x-hub-signature-256']);
      expect(headers).not.toHaveProperty('x-hub-signature');
      expect(await job(id)).toBeUndefined();
      // Only the listed repository of entity 601 goes to staging.
      const other = workflowJob('queued', { orgId: 601, repoFullName: 'acme/prod' });
      expect((await local.post(await signed('workflow_job', other, SECRET))).json).toMatchObject({
        outcome: 'applied',
      });
      const beta = workflowJob('queued', { orgId: 601, repoFullName: 'acme/beta' });
      expect((await local.post(await signed('workflow_job', beta, SECRET))).status).toBe(202);
      expect(staging.seen).toHaveLength(2);
    } finally {
      await local.close();
      staging.server.close();
    }
  });

  it('answers 502 when staging cannot be reached', async () => {
    const local = await startWeb({
      db: pg.db,
      redisUrl: redis.url,
      prefix: redis.prefix,
      runners,
      stagingUrl: 'http://127.0.0.1:1/webhook',
      stagingForwardSecret: FORWARD_SECRET,
    });
    try {
      const d = await signed('workflow_job', workflowJob('queued', { orgId: 600 }), SECRET);
      expect((await local.post(d)).status).toBe(502);
    } finally {
      await local.close();
    }
  });

  it("forwards nothing without a forward secret (502), rather than sending prod's signature", async () => {
    const staging = await stagingServer(202);
    const local = await startWeb({
      db: pg.db,
      redisUrl: redis.url,
      prefix: redis.prefix,
      runners,
      stagingUrl: staging.url,
    });
    try {
      const d = await signed('workflow_job', workflowJob('queued', { orgId: 600 }), SECRET);
      expect((await local.post(d)).status).toBe(502);
      expect(staging.seen).toEqual([]);
    } finally {
      await local.close();
      staging.server.close();
    }
  });

  it('does not forward from staging itself', async () => {
    const local = await startWeb({
      db: pg.db,
      redisUrl: redis.url,
      prefix: redis.prefix,
      runners,
      deployEnv: 'staging',
    });
    try {
      const d = await signed('workflow_job', workflowJob('queued', { orgId: 600 }), SECRET);
      expect((await local.post(d)).json).toMatchObject({ outcome: 'applied' });
    } finally {
      await local.close();
    }
  });
});

describe('health', () => {
  it('answers /health and /ready', async () => {
    expect(await (await fetch(`${web.url}/health`)).text()).toBe('ok');
    const ready = await fetch(`${web.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, down: [], postgres: 'ok', redis: 'ok' });
  });
});
