import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { verify } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

const SECRET = 'webhook-secret';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for our app's webhook endpoint: records raw bytes, answers `answer`. */
class Receiver {
  received: Received[] = [];
  answer = 202;
  private waiters: (() => void)[] = [];
  readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(this.answer, { 'content-type': 'text/plain' }).end('ok');
      for (const w of this.waiters.splice(0)) w();
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  /** Resolves once `n` deliveries have arrived in total. */
  async count(n: number, timeoutMs = 2000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${n} webhooks`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, deadline - Date.now());
      });
    }
    return this.received;
  }
}

let sim: GitHubSim;
let server: Listening;
let receiver: Receiver;
let app: App;

beforeAll(async () => {
  receiver = new Receiver();
  await new Promise<void>((r) => receiver.server.listen(0, '127.0.0.1', r));
  sim = createGitHubSim({ apps: simApps() });
  sim.setWebhookTarget(receiver.url, SECRET);
  server = await sim.listen();
  app = new App({
    appId: sim.apps.org.id,
    privateKey: sim.apps.org.privateKeyPem,
    Octokit: Octokit.defaults({ baseUrl: server.url }),
    log: silent,
  });
  sim.addOrg({ login: 'acme' });
  sim.addRepo({ owner: 'acme', name: 'widgets' });
  sim.installApp('org', 'acme');
  await sim.idle();
});

beforeEach(async () => {
  await sim.idle();
  receiver.received = [];
  receiver.answer = 202;
  sim.faults.clear();
  sim.setWebhookTarget(receiver.url, SECRET);
});

afterAll(async () => {
  await server.close();
  receiver.server.close();
});

describe('webhook sender', () => {
  it('sends signed workflow_job webhooks shaped and sized like GitHub', async () => {
    const job = sim.queueJob({ repo: 'acme/widgets', labels: ['rise', 'riscv64'] });
    const [hook] = await receiver.count(1);
    const h = hook!.headers;
    expect(h).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/sim',
      'x-github-event': 'workflow_job',
      'x-github-hook-id': String(sim.apps.org.hookId),
      'x-github-hook-installation-target-type': 'integration',
      'x-github-hook-installation-target-id': String(sim.apps.org.id),
    });
    expect(h['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await verify(SECRET, hook!.body, String(h['x-hub-signature-256']))).toBe(true);
    expect(await verify('wrong', hook!.body, String(h['x-hub-signature-256']))).toBe(false);

    const payload = JSON.parse(hook!.body);
    expect(payload).toMatchObject({
      action: 'queued',
      workflow_job: {
        id: job.id,
        status: 'queued',
        labels: ['rise', 'riscv64'],
        runner_name: null,
      },
      repository: { full_name: 'acme/widgets', owner: { login: 'acme', type: 'Organization' } },
      organization: { login: 'acme' },
      installation: { id: expect.any(Number) },
      sender: { type: 'User' },
    });
    expect(hook!.body.length).toBeGreaterThan(5000);
    expect(hook!.body.length).toBeLessThan(12000);
  });

  it('lists deliveries newest first with cursor paging, and redelivers with the same GUID', async () => {
    for (let i = 0; i < 5; i += 1) sim.queueJob({ repo: 'acme/widgets', labels: [`l${i}`] });
    await receiver.count(5);
    await sim.idle();

    const page1 = await app.octokit.request('GET /app/hook/deliveries', { per_page: 2 });
    expect(page1.data).toHaveLength(2);
    expect(page1.data[0]!.id).toBeGreaterThan(page1.data[1]!.id);
    expect(page1.data[0]).toMatchObject({
      event: 'workflow_job',
      action: 'queued',
      status_code: 202,
      redelivery: false,
    });
    const next = /<([^>]+)>; rel="next"/.exec(page1.headers.link ?? '')?.[1];
    expect(next).toContain('cursor=');
    const page2 = await app.octokit.request(
      `GET ${new URL(next!).pathname}${new URL(next!).search}`,
    );
    const ids2 = (page2.data as { id: number }[]).map((d) => d.id);
    expect(Math.max(...ids2)).toBeLessThan(page1.data[1]!.id);

    const newest = page1.data[0]!;
    const deliveryId = Number(newest.id);
    const full = await app.octokit.request('GET /app/hook/deliveries/{delivery_id}', {
      delivery_id: deliveryId,
    });
    expect(full.data.request.payload).toMatchObject({ action: 'queued' });

    receiver.received = [];
    const redo = await app.octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', {
      delivery_id: deliveryId,
    });
    expect(redo.status).toBe(202);
    const [again] = await receiver.count(1);
    expect(again!.headers['x-github-delivery']).toBe(newest.guid);
    await sim.idle();
    const latest = await app.octokit.request('GET /app/hook/deliveries', { per_page: 1 });
    expect(latest.data[0]).toMatchObject({ guid: newest.guid, redelivery: true });
    const missing = app.octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', {
      delivery_id: 1,
    });
    await expect(missing).rejects.toMatchObject({ status: 404 });
  });

  it('records failures: the app answering 500, and an unreachable app as status_code 0', async () => {
    receiver.answer = 500;
    sim.queueJob({ repo: 'acme/widgets', labels: ['x'] });
    await receiver.count(1);
    await sim.idle();
    expect(sim.deliveries('org').at(-1)).toMatchObject({
      statusCode: 500,
      status: 'Invalid HTTP Response: 500',
    });

    sim.setWebhookTarget('http://127.0.0.1:1/unreachable', SECRET);
    sim.queueJob({ repo: 'acme/widgets', labels: ['y'] });
    await sim.idle();
    expect(sim.deliveries('org').at(-1)).toMatchObject({ statusCode: 0, event: 'workflow_job' });
  });

  it('drops (unlisted) or fails (listed) deliveries matching event and action', async () => {
    const before = sim.deliveries('org').length;
    sim.faults.dropWebhooks({ event: 'workflow_job', action: 'queued', count: 1 });
    sim.faults.failWebhooks({ event: 'workflow_job', action: 'queued', count: 1, statusCode: 0 });
    sim.queueJob({ repo: 'acme/widgets', labels: ['dropped'] });
    sim.queueJob({ repo: 'acme/widgets', labels: ['failed'] });
    sim.queueJob({ repo: 'acme/widgets', labels: ['delivered'] });
    await sim.idle();
    expect(receiver.received.map((r) => JSON.parse(r.body).workflow_job.labels[0])).toEqual([
      'delivered',
    ]);
    const after = sim.deliveries('org').slice(before);
    expect(after.map((d) => d.statusCode)).toEqual([0, 202]);
  });

  it('sends installation webhooks when the App is installed and suspended', async () => {
    sim.addOrg({ login: 'newco' });
    const inst = sim.installApp('org', 'newco');
    sim.suspendInstallation(inst.id);
    await receiver.count(2);
    const payloads = receiver.received.map((r) => JSON.parse(r.body));
    const seen = receiver.received.map((r, i) => [r.headers['x-github-event'], payloads[i].action]);
    expect(seen).toEqual([
      ['installation', 'created'],
      ['installation', 'suspend'],
    ]);
    expect(payloads[0]).toMatchObject({
      installation: { id: inst.id, account: { login: 'newco' } },
    });
  });
});
