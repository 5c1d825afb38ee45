/**
 * `npm run demo -- --embedded` as a newcomer runs it, small: its own PostgreSQL and Redis, the
 * operator pages open with the token it prints, a summary, and with --keep everything stays up
 * until Ctrl-C, which stops it all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { answers, freePort } from '../../src/demo/net.js';
import { waitFor } from '../helpers/wait.js';

let demo: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  // On a failure above: the demo's own cleanup first (its stores), a kill only if that hangs.
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    const gone = new Promise((r) => demo!.once('exit', r));
    demo.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
    demo.kill('SIGKILL');
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('--embedded --keep: says which stores it uses, serves the operator pages, ends with a summary, and Ctrl-C stops everything', async () => {
  dir = await mkdtemp(join(tmpdir(), 'rise-demo-test-'));
  // As root, postgres runs as the postgres user, which must reach its data directory in there.
  await chmod(dir, 0o755);
  const port = await freePort();
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'ADMIN_TOKEN']) delete env[name];
  // Small settings: three short jobs, one worker process.
  const args = ['--embedded', '--keep', '--jobs', '3', '--workers', '1', '--rate', '20'];
  args.push('--min-duration-ms', '50', '--max-duration-ms', '100');
  args.push('--port', String(port), '--dir', dir);
  demo = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  demo.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  demo.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => demo!.once('exit', (code) => r(code)));

  await waitFor(() => out.includes('still running'), {
    timeoutMs: 60_000,
    intervalMs: 100,
    what: `the demo's summary; output so far:\n${out}`,
  });
  const lines = out.split('\n');
  const pgLine = lines.find((l) => l.startsWith('PostgreSQL: '))!;
  const redisLine = lines.find((l) => l.startsWith('Redis: '))!;
  expect(pgLine).toMatch(
    /^PostgreSQL: embedded PostgreSQL on 127\.0\.0\.1:\d+ \(--embedded; data in .*postgres, kept on exit\)$/,
  );
  expect(redisLine).toMatch(/^Redis: a private redis-server on 127\.0\.0\.1:\d+ \(--embedded; /);
  expect(out).toMatch(/jobs served +3\/3 succeeded/);
  expect(out).toMatch(/runners left behind +0/);

  // The pages it prints open with the token it prints, and only with it.
  const base = `http://127.0.0.1:${port}`;
  const token = /admin token: (\S+) \(made for this run/.exec(out)?.[1];
  expect(token).toMatch(/^[\w-]{32,}$/);
  const pages = [...out.matchAll(new RegExp(`^ +${base}(/\\S+)`, 'gm'))].map((m) => m[1]);
  expect(new Set(pages)).toEqual(
    new Set(['/usage', '/history', expect.stringMatching(/^\/jobs\/\d+$/), '/admin/queues']),
  );
  for (const path of pages) {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect([path, res.status]).toEqual([path, 200]);
  }
  const job = await fetch(`${base}${pages.find((p) => p!.startsWith('/jobs/'))}.json`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(await job.json()).toMatchObject({ job: { status: 'completed' } });
  expect((await fetch(`${base}/usage.json`)).status).toBe(401);
  expect(out).toContain(`curl -H "Authorization: Bearer ${token}" ${base}/usage.json`);

  const pgPort = Number(/127\.0\.0\.1:(\d+)/.exec(pgLine)![1]);
  const redisPort = Number(/127\.0\.0\.1:(\d+)/.exec(redisLine)![1]);
  demo.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(out).toContain('stopping (Ctrl-C again to quit at once)');
  for (const p of [port, pgPort, redisPort])
    expect([p, await answers('127.0.0.1', p)]).toEqual([p, false]);
  // --keep keeps the embedded PostgreSQL's data.
  expect(existsSync(join(dir, 'postgres', 'PG_VERSION'))).toBe(true);
}, 90_000);
