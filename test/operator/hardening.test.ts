/**
 * Operator login and probes under pressure: throttled logins, long admin tokens, POST-only
 * logout, Secure cookies, a /ready that names what is down, and GitHub links only over https.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureCookie } from '../../src/api/auth.js';
import { healthRouter } from '../../src/api/health.js';
import { createLoginThrottle } from '../../src/api/login-throttle.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/env.js';
import { closeDb, createDb } from '../../src/db/client.js';
import { listenLocal } from '../helpers/http.js';
import type { TestDb } from '../helpers/stores.js';
import {
  ADMIN_TOKEN,
  insertJob,
  startOperatorStack,
  type OperatorStack,
  type OperatorWeb,
} from './helpers.js';
import { webStartupFailure } from '../helpers/web-start.js';

let pg: TestDb;
let stack: OperatorStack;
let web: OperatorWeb;
let proxied: OperatorWeb;

beforeAll(async () => {
  stack = await startOperatorStack();
  ({ pg } = stack);
  web = await stack.web();
  proxied = await stack.web({ trustProxy: true });
});
afterAll(async () => {
  await stack?.close();
});

const login = (w: OperatorWeb, token: string, headers: Record<string, string> = {}) =>
  w.fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next: '/usage' }).toString(),
  });

describe('login throttling', () => {
  it('five refused logins from an address in a minute, then 429 with Retry-After, even for the right token', async () => {
    const from = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 5; i++) expect((await login(proxied, 'wrong', from)).status).toBe(401);
    const blocked = await login(proxied, ADMIN_TOKEN, from);
    expect(blocked.status).toBe(429);
    const wait = Number(blocked.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(blocked.text).toContain('too many refused logins');
    // Another address is not held back by this one.
    expect((await login(proxied, ADMIN_TOKEN, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(
      303,
    );
  });

  it('the window slides: failures older than a minute no longer count, a success forgets them', () => {
    let now = 0;
    const t = createLoginThrottle({ now: () => now });
    for (let i = 0; i < 5; i++) {
      t.fail('a');
      now += 1000;
    }
    expect(t.retryAfterSeconds('a')).toBe(55);
    now = 60_001;
    expect(t.retryAfterSeconds('a')).toBe(0);
    t.fail('b');
    t.succeed('b');
    for (let i = 0; i < 4; i++) t.fail('b');
    expect(t.retryAfterSeconds('b')).toBe(0);
    const bounded = createLoginThrottle({ maxClients: 2, now: () => now });
    for (const c of ['x', 'y', 'z']) for (let i = 0; i < 5; i++) bounded.fail(c);
    expect(['x', 'y', 'z'].map((c) => bounded.retryAfterSeconds(c) > 0)).toEqual([
      false,
      true,
      true,
    ]);
  });
});

describe('session cookie and logout', () => {
  it('Secure behind a proxy (TRUST_PROXY) and from any non-loopback client; not over plain HTTP on loopback', async () => {
    const direct = await login(web, ADMIN_TOKEN);
    expect(direct.headers.get('set-cookie')).not.toContain('Secure');
    const behind = await login(proxied, ADMIN_TOKEN, { 'x-forwarded-for': '198.51.100.1' });
    expect(behind.status).toBe(303);
    expect(behind.headers.get('set-cookie')).toContain('Secure');
    const req = (remoteAddress: string, secure = false) => ({ secure, socket: { remoteAddress } });
    expect(secureCookie(req('10.0.0.5'), false)).toBe(true);
    expect(secureCookie(req('::ffff:192.0.2.1'), false)).toBe(true);
    expect(secureCookie(req('127.0.0.1'), false)).toBe(false);
    expect(secureCookie(req('::1'), false)).toBe(false);
    expect(secureCookie(req('::ffff:127.0.0.1'), false)).toBe(false);
    expect(secureCookie(req('127.0.0.1', true), false)).toBe(true);
    expect(secureCookie(req('127.0.0.1'), true)).toBe(true);
  });

  it('GET /logout is refused (405) and leaves the session alone; POST logs out', async () => {
    const session = (await login(web, ADMIN_TOKEN)).headers.get('set-cookie')!.split(';')[0]!;
    const get = await web.fetch('/logout', { headers: { cookie: session, accept: 'text/html' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.headers.get('set-cookie')).toBeNull();
    expect((await web.fetch('/usage.json', { headers: { cookie: session } })).status).toBe(200);
    const post = await web.fetch('/logout', { method: 'POST', headers: { cookie: session } });
    expect(post.status).toBe(303);
    expect(post.headers.get('set-cookie')).toMatch(/^rise_session=;/);
  });
});

describe('ADMIN_TOKEN', () => {
  const base = {
    DATABASE_URL: 'postgres://u@db/app',
    REDIS_URL: 'redis://cache:6379',
    DEPLOY_ENV: 'prod',
    GHAPP_WEBHOOK_SECRET: 's',
  };

  it('must be at least 32 characters', () => {
    let problems: string[] = [];
    try {
      loadConfig('web', { ...base, ADMIN_TOKEN: 'x'.repeat(31) });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems).toEqual(['ADMIN_TOKEN is invalid: must be at least 32 characters']);
    expect(loadConfig('web', { ...base, ADMIN_TOKEN: 'x'.repeat(32) }).adminToken).toHaveLength(32);
  });

  it('a short one stops the web process at start-up with one line naming it', async () => {
    const { code, stderr } = await webStartupFailure({
      ...base,
      ADMIN_TOKEN: 'short-token-0123456789',
    });
    expect(code).toBe(1);
    expect(stderr).toEqual([
      'web: Invalid configuration: ADMIN_TOKEN is invalid: must be at least 32 characters',
    ]);
  });
});

describe('/ready', () => {
  it('names the dependency that is down, never its error text', async () => {
    const downDb = createDb({ url: 'postgres://secret-user@127.0.0.1:1/nowhere', schema: 'x' });
    const app = express().use(
      healthRouter({
        db: downDb,
        redis: { ping: () => Promise.resolve('PONG' as const) },
        timeoutMs: 2_000,
      }),
    );
    const { server, url } = await listenLocal(app);
    try {
      const res = await fetch(`${url}/ready`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        ready: false,
        down: ['postgres'],
        postgres: 'down',
        redis: 'ok',
      });
      expect(text).not.toMatch(/ECONNREFUSED|secret-user|127\.0\.0\.1/);
    } finally {
      server.close();
      await closeDb(downDb);
    }
  });
});

describe('html_url', () => {
  it('is a link only when it is https', async () => {
    await insertJob(pg.db, { jobId: 901, entityName: 'safe' });
    await insertJob(pg.db, { jobId: 902, entityName: 'evil' });
    await pg.db.$client.query(
      `update jobs set html_url = case job_id when 901 then 'https://github.com/safe/app/actions/runs/1/job/901'
         else 'javascript:alert(1)' end where job_id in (901, 902)`,
    );
    for (const path of ['/history', '/jobs/902', '/jobs/901']) {
      const page = await web.fetch(path, { token: ADMIN_TOKEN, headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('href="javascript:');
    }
    const history = await web.fetch('/history', {
      token: ADMIN_TOKEN,
      headers: { accept: 'text/html' },
    });
    expect(history.text).toContain('href="https://github.com/safe/app/actions/runs/1/job/901"');
    expect(history.text).toContain('evil/app');
  });
});
