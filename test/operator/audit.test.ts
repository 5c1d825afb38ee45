/**
 * Bull Board read-only by default, and the audit log of operator actions: logins, logouts,
 * Bull Board writes (when enabled) and the CLI's drain, undrain, retry and requeue, shown on
 * /audit and by `cli audit`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
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
let readOnly: OperatorWeb;
let writable: OperatorWeb;

beforeAll(async () => {
  stack = await startOperatorStack();
  ({ pg, redis } = stack);
  readOnly = await stack.web();
  writable = await stack.web({ bullBoardReadOnly: false });
});
afterAll(async () => {
  await stack?.close();
});

const entries = async () =>
  (await readOnly.fetch('/audit.json', { token: ADMIN_TOKEN })).json.entries as any[];

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {
      DATABASE_URL: pg.url,
      DB_SCHEMA: pg.schema,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      DEPLOY_ENV: 'prod',
    },
  });
  return { code, stdout, stderr };
}

describe('Bull Board', () => {
  const pause = (web: OperatorWeb) =>
    web.fetch('/admin/queues/api/queues/provision/pause', { method: 'PUT', token: ADMIN_TOKEN });

  it('is read-only by default: the queues say so and every write is refused, unaudited', async () => {
    const queues = await readOnly.fetch('/admin/queues/api/queues', { token: ADMIN_TOKEN });
    expect(queues.json.queues.every((q: any) => q.readOnlyMode === true)).toBe(true);
    const res = await pause(readOnly);
    expect(res.status).toBe(405);
    expect(res.json.error).toContain('BULL_BOARD_READ_ONLY');
    expect(await readOnly.queues.provision.isPaused()).toBe(false);
    expect((await entries()).filter((e) => e.action === 'bull_board')).toEqual([]);
  });

  it('with writes on, a write is done and audited with who did it', async () => {
    const res = await pause(writable);
    expect(res.status).toBe(200);
    expect(await writable.queues.provision.isPaused()).toBe(true);
    await writable.queues.provision.resume();
    expect((await entries()).find((e) => e.action === 'bull_board')).toMatchObject({
      actor: 'token',
      target: 'PUT /admin/queues/api/queues/provision/pause',
    });
    // Reads are not audited.
    await writable.fetch('/admin/queues/api/queues', { token: ADMIN_TOKEN });
    expect((await entries()).filter((e) => e.action === 'bull_board')).toHaveLength(1);
  });
});

describe('logins and logouts', () => {
  it('are audited under a hash of the session, never the cookie; refused ones as anonymous', async () => {
    const form = (token: string) =>
      readOnly.fetch('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next: '/usage' }).toString(),
      });
    expect((await form('not-it')).status).toBe(401);
    const cookie = (await form(ADMIN_TOKEN)).headers.get('set-cookie')!.split(';')[0]!;
    await readOnly.fetch('/logout', { method: 'POST', headers: { cookie } });
    const log = await entries();
    const login = log.find((e) => e.action === 'login');
    const logout = log.find((e) => e.action === 'logout');
    expect(login.actor).toMatch(/^session:[0-9a-f]{12}$/);
    expect(logout.actor).toBe(login.actor);
    expect(log.find((e) => e.action === 'login_failed')).toMatchObject({
      actor: 'anonymous',
      detail: { ip: expect.stringMatching(/127\.0\.0\.1/) },
    });
    expect(JSON.stringify(log)).not.toContain(cookie.split('=')[1]);
    expect(JSON.stringify(log)).not.toContain(ADMIN_TOKEN);
  });
});

describe('CLI actions', () => {
  it('drain, undrain, retry and requeue are audited as cli and listed by `audit`', async () => {
    await insertJob(pg.db, { jobId: 4242 });
    for (const args of [
      ['drain', 'scw-em-rv1', '--reason', 'firmware'],
      ['undrain', 'scw-em-rv1'],
      ['retry', '4242'],
      ['requeue'],
      ['requeue', '--dry-run'],
    ]) {
      const r = await cli(args);
      expect([r.code, r.stderr]).toEqual([0, '']);
    }
    const r = await cli(['audit', '--json', '--limit', '10']);
    expect(r.code).toBe(0);
    const cliEntries = JSON.parse(r.stdout).entries.filter((e: any) => e.actor === 'cli');
    // Newest first; a dry run changes nothing and is not recorded.
    expect(cliEntries.map((e: any) => [e.action, e.target])).toEqual([
      ['requeue', null],
      ['retry', '4242'],
      ['undrain', 'scw-em-rv1'],
      ['drain', 'scw-em-rv1'],
    ]);
    expect(cliEntries[3].detail).toEqual({ reason: 'firmware' });
    const text = await cli(['audit']);
    expect(text.stdout.split('\n')[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+TARGET\s+DETAIL$/);
    expect(text.stdout).toMatch(/cli\s+drain\s+scw-em-rv1/);
    expect((await cli(['audit', '--limit', '0'])).code).toBe(2);
  });
});

describe('/audit', () => {
  it('an HTML table and JSON behind the login; a bad limit is a 400 naming it', async () => {
    const page = await readOnly.fetch('/audit', {
      token: ADMIN_TOKEN,
      headers: { accept: 'text/html' },
    });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<table id="audit">');
    expect(page.text).toMatch(/<td><code>cli<\/code><\/td>|<td><code>token<\/code><\/td>/);
    expect((await readOnly.fetch('/audit.json', { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await readOnly.fetch('/audit.json')).status).toBe(401);
    const bad = await readOnly.fetch('/audit.json?limit=5000', { token: ADMIN_TOKEN });
    expect([bad.status, bad.json.error]).toEqual([
      400,
      'limit must be an integer from 1 to 1000, got "5000"',
    ]);
    expect(
      (await readOnly.fetch('/audit.json?order=asc', { token: ADMIN_TOKEN })).json.error,
    ).toContain('"order"');
    expect(
      (await readOnly.fetch('/audit.json?limit=1', { token: ADMIN_TOKEN })).json.entries,
    ).toHaveLength(1);
  });
});
