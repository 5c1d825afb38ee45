import { createPrivateKey } from 'node:crypto';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim } from '../../src/sim/github/index.js';

const RUNNERS = 'GET /orgs/{org}/actions/runners';
const JIT = 'POST /orgs/{org}/actions/runners/generate-jitconfig';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let sim: GitHubSim;
let server: Listening;
let acme: Octokit;
let token: string;

interface Outcome {
  status: number;
  headers: Record<string, string | number | undefined>;
  message: string;
}

async function outcome(
  p: Promise<{ status: number; headers: Outcome['headers'] }>,
): Promise<Outcome> {
  try {
    const r = await p;
    return { status: r.status, headers: r.headers, message: '' };
  } catch (err) {
    const e = err as {
      status?: number;
      message?: string;
      response?: { headers: Outcome['headers'] };
    };
    if (typeof e.status !== 'number') throw err;
    return { status: e.status, headers: e.response?.headers ?? {}, message: e.message ?? '' };
  }
}

const listRunners = () => outcome(acme.request(RUNNERS, { org: 'acme' }));

beforeAll(async () => {
  sim = createGitHubSim({ seed: 42 });
  sim.addOrg({ login: 'acme' });
  const inst = sim.installApp('org', 'acme');
  server = await sim.listen();
  const app = new App({
    appId: sim.apps.org.id,
    privateKey: sim.apps.org.privateKeyPem,
    Octokit: Octokit.defaults({ baseUrl: server.url }),
    log: silent,
  });
  token = sim.tokens.mint('org', inst.id).token;
  acme = new Octokit({ baseUrl: server.url, auth: token });
  await app.octokit.request('GET /app');
});

beforeEach(() => {
  sim.faults.clear();
  sim.resetCalls();
});

afterAll(async () => {
  await server.close();
});

describe('GitHub faults', () => {
  it('delays one route key, or every route with "*"', async () => {
    sim.faults.latency(RUNNERS, 120);
    let t = performance.now();
    expect((await listRunners()).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(115);
    t = performance.now();
    await acme.request('GET /orgs/{org}/actions/runner-groups', { org: 'acme' });
    expect(performance.now() - t).toBeLessThan(100);

    sim.faults.latency(RUNNERS, 0);
    sim.faults.latency('*', 80);
    t = performance.now();
    await acme.request('GET /orgs/{org}/actions/runner-groups', { org: 'acme' });
    expect(performance.now() - t).toBeGreaterThanOrEqual(75);
  });

  it('fails the next N calls of a route key, then recovers', async () => {
    sim.faults.error(RUNNERS, 503, { count: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await listRunners()).status);
    expect(statuses).toEqual([503, 503, 200]);
    const body = { org: 'acme', name: 'x', runner_group_id: 1, labels: ['a'] };
    sim.faults.error(JIT, 500);
    expect((await outcome(acme.request(JIT, body))).status).toBe(500);
    expect((await outcome(acme.request(JIT, body))).status).toBe(201);
  });

  it('fails at random with a probability, reproducibly for a seed', async () => {
    sim.faults.error(RUNNERS, 502, { probability: 0.5 });
    const statuses = [];
    for (let i = 0; i < 20; i += 1) statuses.push((await listRunners()).status);
    const failed = statuses.filter((s) => s === 502).length;
    expect(failed).toBeGreaterThan(2);
    expect(failed).toBeLessThan(18);
  });

  it('answers rate limits as GitHub does: 429 retry-after, primary, secondary', async () => {
    sim.faults.rateLimit(RUNNERS, { type: 'retry-after', retryAfterSeconds: 7 });
    const r429 = await listRunners();
    expect(r429.status).toBe(429);
    expect(r429.headers['retry-after']).toBe('7');

    sim.faults.rateLimit(RUNNERS, { type: 'primary', resetInSeconds: 30 });
    const primary = await listRunners();
    expect(primary.status).toBe(403);
    expect(primary.headers['x-ratelimit-remaining']).toBe('0');
    const reset = Number(primary.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThan(Date.now() / 1000 + 25);
    expect(primary.message).toMatch(/API rate limit exceeded for installation ID/);

    sim.faults.rateLimit(RUNNERS, { type: 'secondary', retryAfterSeconds: 3 });
    const secondary = await listRunners();
    expect(secondary.status).toBe(403);
    expect(secondary.headers['retry-after']).toBe('3');
    expect(secondary.message).toMatch(/secondary rate limit/);
    expect((await listRunners()).status).toBe(200);
  });

  it('puts rate-limit headers on every answer and enforces the primary limit', async () => {
    // Reusing the keys saves generating two more RSA pairs.
    const keys = { privateKeyPem: sim.apps.org.privateKeyPem };
    const small = createGitHubSim({ rateLimit: 2, apps: { org: keys, personal: keys } });
    small.addOrg({ login: 'acme' });
    const inst = small.installApp('org', 'acme');
    const s = await small.listen();
    try {
      const client = new Octokit({ baseUrl: s.url, auth: small.tokens.mint('org', inst.id).token });
      const call = () => outcome(client.request(RUNNERS, { org: 'acme' }));
      const first = await call();
      expect(first.headers).toMatchObject({
        'x-ratelimit-limit': '2',
        'x-ratelimit-remaining': '1',
        'x-ratelimit-used': '1',
        'x-ratelimit-resource': 'core',
      });
      expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
      expect((await call()).headers['x-ratelimit-remaining']).toBe('0');
      const over = await call();
      expect(over.status).toBe(403);
      expect(over.headers['x-ratelimit-remaining']).toBe('0');
    } finally {
      await s.close();
    }
  });

  it('counts calls per route key and in total, resettably', async () => {
    await listRunners();
    await listRunners();
    await outcome(
      acme.request('GET /orgs/{org}/actions/runners/{runner_id}', { org: 'acme', runner_id: 77 }),
    );
    expect(sim.calls()).toEqual({
      total: 3,
      byRoute: { [RUNNERS]: 2, 'GET /orgs/{org}/actions/runners/{runner_id}': 1 },
    });
    sim.resetCalls();
    expect(sim.calls()).toEqual({ total: 0, byRoute: {} });
  });
});

describe('/_sim control routes', () => {
  const control = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}/_sim${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
  };

  it('drives the same state and faults over HTTP', async () => {
    expect((await control('POST', '/orgs', { login: 'remote' })).status).toBe(201);
    expect((await control('POST', '/repos', { owner: 'remote', name: 'r1' })).status).toBe(201);
    const inst = await control('POST', '/installations', { app: 'org', account: 'remote' });
    expect(inst.body).toMatchObject({ app: 'org', account: { login: 'remote' } });
    const job = await control<{ id: number }>('POST', '/jobs', {
      repo: 'remote/r1',
      labels: ['rise'],
    });
    expect(job.body).toMatchObject({ status: 'queued', labels: ['rise'] });
    expect((await control<{ status: string }>('GET', `/jobs/${job.body.id}`)).body.status).toBe(
      'queued',
    );
    expect((await control('POST', `/jobs/${job.body.id}/cancel`)).body).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled',
    });
    expect((await control('POST', '/orgs', { login: 'remote' })).status).toBe(400);

    await control('POST', '/faults/errors', { route: RUNNERS, status: 500, count: 1 });
    expect((await listRunners()).status).toBe(500);
    await control('POST', '/faults/rate-limits', { route: RUNNERS, type: 'secondary' });
    expect((await control<{ responses: unknown[] }>('GET', '/faults')).body.responses).toHaveLength(
      1,
    );
    await control('DELETE', '/faults');
    expect((await listRunners()).status).toBe(200);
    expect(
      (await control<{ byRoute: Record<string, number> }>('GET', '/calls')).body.byRoute[RUNNERS],
    ).toBe(2);
    await control('DELETE', '/calls');
    expect((await control<{ total: number }>('GET', '/calls')).body.total).toBe(0);

    const apps = await control<{ org: { id: number; privateKeyPem: string } }>('GET', '/apps');
    expect(apps.body.org).toMatchObject({ id: sim.apps.org.id });
    // The App's own key (generated when the simulator started), in PKCS#1 form as GitHub's are.
    const pem = apps.body.org.privateKeyPem;
    expect(pem).toBe(sim.apps.org.privateKeyPem);
    expect(createPrivateKey(pem).export({ type: 'pkcs1', format: 'pem' })).toBe(pem);
    expect(
      (await control<{ expired: number }>('POST', '/tokens/expire', {})).body.expired,
    ).toBeGreaterThan(0);
    expect((await listRunners()).status).toBe(401);
  });
});
