import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperatorAuth, safeNext } from '../../src/api/auth.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from '../helpers/stores.js';
import { ADMIN_TOKEN, startOperatorWeb, type OperatorWeb } from './helpers.js';

let pg: TestDb;
let redis: TestRedis;
let on: OperatorWeb;
let off: OperatorWeb;

beforeAll(async () => {
  pg = await createTestDb();
  redis = createTestRedis();
  on = await startOperatorWeb({
    db: pg.db,
    redisUrl: redis.url,
    prefix: redis.prefix,
    adminToken: ADMIN_TOKEN,
  });
  off = await startOperatorWeb({ db: pg.db, redisUrl: redis.url, prefix: redis.prefix });
});
afterAll(async () => {
  await on?.close();
  await off?.close();
  await redis?.drop();
  await pg?.drop();
});

const PROTECTED = [
  '/usage',
  '/usage.json',
  '/history',
  '/history.json',
  '/jobs/1',
  '/jobs/1.json',
  '/admin/queues',
  '/admin/queues/api/queues',
  '/admin',
];

async function login(web: OperatorWeb, token: string, next = '/usage') {
  return web.fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next }).toString(),
  });
}

describe('without ADMIN_TOKEN', () => {
  it.each([...PROTECTED, '/login'])(
    '%s answers 503 saying how to enable it, never the page',
    async (path) => {
      const json = await off.fetch(path, { headers: { accept: 'application/json' } });
      expect(json.status).toBe(503);
      expect(json.json).toEqual({ error: 'operator pages are disabled: set ADMIN_TOKEN' });
      const page = await off.fetch(path, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(503);
      expect(page.text).toContain('operator pages are disabled: set ADMIN_TOKEN');
    },
  );

  it('a bearer token does not open anything', async () => {
    expect((await off.fetch('/usage.json', { token: ADMIN_TOKEN })).status).toBe(503);
    expect((await login(off, ADMIN_TOKEN)).status).toBe(503);
  });

  it('health, metrics and the webhook stay up', async () => {
    expect((await off.fetch('/health')).status).toBe(200);
    expect((await off.fetch('/metrics')).status).toBe(200);
  });
});

describe('with ADMIN_TOKEN', () => {
  it.each(PROTECTED)(
    '%s: no credentials → 401 JSON for tools, redirect to /login for browsers',
    async (path) => {
      const tool = await on.fetch(path, { headers: { accept: 'application/json' } });
      expect(tool.status).toBe(401);
      expect(tool.json.error).toMatch(/^authentication required/);
      expect(tool.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const browser = await on.fetch(path, { headers: { accept: 'text/html,*/*' } });
      if (path.endsWith('.json') || path.startsWith('/admin/queues/api')) {
        expect(browser.status).toBe(401);
      } else {
        expect(browser.status).toBe(303);
        expect(browser.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
      }
    },
  );

  it.each(['wrong-token-0123456789abcdef', ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`, ''])(
    'a wrong bearer token (%j) → 401 JSON, even for a browser',
    async (token) => {
      const res = await on.fetch('/usage', {
        headers: { authorization: `Bearer ${token}`, accept: 'text/html' },
      });
      expect(res.status).toBe(401);
      expect(res.json.error).toMatch(/^authentication required/);
    },
  );

  it('the right bearer token opens JSON and HTML pages and Bull Board', async () => {
    expect((await on.fetch('/usage.json', { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await on.fetch('/history', { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await on.fetch('/admin/queues', { token: ADMIN_TOKEN })).status).toBe(200);
    const api = await on.fetch('/admin/queues/api/queues', { token: ADMIN_TOKEN });
    expect(api.status).toBe(200);
    expect(api.json.queues.map((q: { name: string }) => q.name).sort()).toEqual([
      'ingest',
      'provision',
      'reconcile',
      'runners',
    ]);
    expect(
      (await on.fetch('/usage.json', { headers: { authorization: `bearer ${ADMIN_TOKEN}` } }))
        .status,
    ).toBe(200);
  });

  it('login form: a wrong token is refused with the form again, no cookie', async () => {
    const res = await login(on, 'not-the-token-at-all');
    expect(res.status).toBe(401);
    expect(res.text).toContain('That is not the admin token.');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('login form: the right token sets an HttpOnly SameSite=Strict session cookie (not the token) and redirects', async () => {
    const res = await login(on, ADMIN_TOKEN, '/history?page=1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/history?page=1');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^rise_session=v1\.\d+\.[\w-]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure'); // plain HTTP here; Secure when req.secure
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const session = cookie.split(';')[0]!;
    const page = await on.fetch('/usage', { headers: { cookie: session, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Usage</h1>');
    // A tampered or foreign cookie is not a session.
    const forged = session.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await on.fetch('/usage.json', { headers: { cookie: forged } })).status).toBe(401);
    // Logging out clears the cookie.
    const out = await on.fetch('/logout', { method: 'POST', headers: { cookie: session } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^rise_session=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('login never redirects off-site', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil', 'usage']) {
      expect(safeNext(next)).toBe('/usage');
    }
    const res = await login(on, ADMIN_TOKEN, '//evil.example/');
    expect(res.headers.get('location')).toBe('/usage');
  });

  it('sessions expire, and die with a changed ADMIN_TOKEN', () => {
    let now = 1_000_000;
    const auth = createOperatorAuth({
      adminToken: ADMIN_TOKEN,
      sessionTtlMs: 1000,
      now: () => now,
    });
    const { value } = auth.issueSession();
    expect(auth.verifySession(value)).toBe(true);
    expect(
      createOperatorAuth({ adminToken: `${ADMIN_TOKEN}2`, now: () => now }).verifySession(value),
    ).toBe(false);
    now += 1001;
    expect(auth.verifySession(value)).toBe(false);
    expect(auth.verifySession(`v1.${now + 5000}.${value.split('.')[2]}`)).toBe(false);
  });

  it('pages carry a CSP that allows nothing from elsewhere', async () => {
    const page = await on.fetch('/usage', { token: ADMIN_TOKEN, headers: { accept: 'text/html' } });
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-/,
    );
  });
});
