/**
 * The operator CLI against a system that served one job end to end and has one waiting (the
 * simulator has no node of its board), configured only through its environment. Commands run
 * in-process through `runCli` (what src/cli/main.ts calls) with a private environment; one test
 * spawns the real entry (src/cli/main.ts, what `npm run cli --` runs, from the run's bundle: see
 * helpers/bundles.ts) for its exit code and output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { redisKeys } from '../../src/queues/keys.js';
import { jobIds } from '../../src/queues/registry.js';
import { jobRow, org, waitForJob } from '../helpers/scenario.js';
import { entryCommand } from '../helpers/bundles.js';
import { BASE_RUNNERS, startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let sys: TestSystem;
let env: Record<string, string>;
let done: { id: number };
let waiting: { id: number };

/** The CLI's environment: the test's, with `extra` overriding (or, as undefined, removing) variables. */
function envWith(extra: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...env, ...extra })) if (v !== undefined) merged[k] = v;
  return merged;
}

/** Runs one CLI invocation in-process to completion, as src/cli/main.ts does. */
async function cli(args: string[], extra: Record<string, string | undefined> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: envWith(extra),
  });
  return { code, stdout, stderr };
}

/** Runs the real entry as a child process (`npm run cli -- …`). */
function spawnCli(args: string[], extra: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entryCommand('cli'), ...args], {
      env: envWith(extra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = (r: Run): any => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

/** A failure an operator can read: the exit code, a first line saying what is wrong, no trace. */
function refused(r: Run, code: number, firstLine: string | RegExp) {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const first = r.stderr.split('\n')[0]!;
  if (typeof firstLine === 'string') expect(first).toBe(firstLine);
  else expect(first).toMatch(firstLine);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Error:|node:internal/);
}

const provisionJob = (id: number) => sys.workers[0]!.queues.provision.getJob(jobIds.provision(id));

/** Waits until the worker has looked at the job and put it back to wait (no capacity). */
const delayed = (id: number) =>
  waitFor(
    async () => {
      const job = await provisionJob(id);
      return job && (await job.isDelayed()) ? job : undefined;
    },
    { what: `provisioning job of ${id} delayed` },
  );

beforeAll(async () => {
  sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
  const dir = mkdtempSync(join(tmpdir(), 'rise-cli-'));
  writeFileSync(join(dir, 'runners.yaml'), BASE_RUNNERS);
  // Only what the CLI documents (src/config/env.ts, role 'cli'): nothing from this process leaks in.
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: sys.pg.url,
    DB_SCHEMA: sys.pg.schema,
    REDIS_URL: sys.redis.url,
    REDIS_PREFIX: sys.redis.prefix,
    DEPLOY_ENV: 'prod',
    RUNNERS_CONFIG: join(dir, 'runners.yaml'),
  };
  org(sys.sim, 'acme');
  done = sys.sim.github.queueJob({
    repo: 'acme/app',
    labels: ['ubuntu-24.04-riscv'],
    durationMs: 30,
  });
  await waitForJob(sys, done.id, 'completed');
  await waitFor(
    async () => (await sys.query('select status from workers'))[0]?.status === 'completed',
    { what: 'worker completed' },
  );
  waiting = sys.sim.github.queueJob({ repo: 'acme/app', labels: ['ubuntu-24.04-riscv-rvv'] });
  await delayed(waiting.id);
  await waitFor(() => sys.redis.redis.get(redisKeys(sys.redis.prefix).cluster), {
    what: 'cluster snapshot',
  });
}, 60_000);

afterAll(async () => {
  await sys?.close();
});

// The spawned process takes a second or more; leave room on a loaded machine.
const SLOW = { timeout: 60_000 };

describe('the real entry point', SLOW, () => {
  it('a child process prints what the command says and exits with its code', async () => {
    const [ok, usage, failed] = await Promise.all([
      spawnCli(['jobs', '--status', 'pending', '--json']),
      spawnCli(['frobnicate'], { DATABASE_URL: undefined, DEPLOY_ENV: undefined }),
      spawnCli(['job', '999']),
    ]);
    const pending = json(ok);
    expect(pending.jobs.map((j: any) => [j.jobId, j.status])).toEqual([[waiting.id, 'pending']]);
    refused(usage, 2, 'rise-runners: unknown command "frobnicate"');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe('rise-runners job: no job 999 is recorded\n');
  });
});

describe('reading', SLOW, () => {
  it('--help lists every command and exits 0 without touching a database', async () => {
    const r = await cli(['--help'], { DATABASE_URL: undefined, DEPLOY_ENV: undefined });
    expect(r.code).toBe(0);
    for (const c of ['status', 'jobs', 'job JOB_ID', 'workers', 'drain BOARD', 'undrain BOARD']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    expect(r.stdout).toMatch(/^ {2}retry JOB_ID /m);
    expect(r.stdout).toMatch(/^ {2}requeue /m);
  });

  it('status: boards with capacity, pools with demand and supply; --json parses', async () => {
    const r = await cli(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cluster snapshot: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/m);
    expect(r.stdout).toMatch(/^BOARD +NODES +READY +SLOTS +BUSY +FREE +PENDING +DRAINED$/m);
    expect(r.stdout).toMatch(/^cloudv10x-rvv +0 +0 +0 +0 +0 +1 +no$/m);
    expect(r.stdout).toMatch(/^scw-em-rv1 +1 +1 +1 +\d +\d +0 +no$/m);
    // Only pools with something active: the served pool is not listed.
    expect(r.stdout).toMatch(/^cloudv10x-rvv +acme +ubuntu-24\.04-riscv-rvv +1 +0 +1 +0\/20$/m);
    expect(r.stdout).not.toMatch(/^scw-em-rv1 +acme/m);

    const s = json(await cli(['status', '--json']));
    expect(s.boards.find((b: any) => b.board === 'scw-em-rv1')).toMatchObject({
      nodes: 1,
      readyNodes: 1,
      slots: 1,
      drained: null,
    });
    expect(s.pools).toEqual([
      expect.objectContaining({
        entityName: 'acme',
        board: 'cloudv10x-rvv',
        demand: 1,
        supply: 0,
        waiting: 1,
      }),
    ]);
  });

  it('jobs: pending first, filters and --limit; --json parses', async () => {
    const r = await cli(['jobs']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^JOB +STATUS +ENTITY +LABELS +BOARD +RUNNER +RECORDED +WAITED$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${waiting.id} +pending +acme +ubuntu-24\\.04-riscv-rvv +cloudv10x-rvv +- `),
    );
    expect(lines[2]).toMatch(new RegExp(`^${done.id} +completed +acme .* rise-riscv-runner-\\w+ `));
    expect(lines).toHaveLength(3);

    const pending = json(await cli(['jobs', '--status', 'pending', '--json']));
    expect(pending.total).toBe(1);
    expect(pending.jobs.map((j: any) => [j.jobId, j.status])).toEqual([[waiting.id, 'pending']]);
    const limited = await cli(['jobs', '--limit', '1']);
    expect(limited.stdout).toContain('(1 of 2; use --limit)');
  });

  it('job ID: the explanation of a waiting job, its reasons and timeline; --json parses', async () => {
    const r = await cli(['job', String(waiting.id)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`job ${waiting.id}  pending  acme acme/app`);
    expect(r.stdout).toContain('labels ubuntu-24.04-riscv-rvv → board cloudv10x-rvv');
    expect(r.stdout).toContain(
      'Waiting: Board cloudv10x-rvv has no nodes (no node is labelled riseproject.dev/board=cloudv10x-rvv).',
    );
    expect(r.stdout).toMatch(/^ {2}\[blocker\] no_nodes: Board cloudv10x-rvv has no nodes/m);
    expect(r.stdout).toMatch(/^ {2}\[context\] provisioning: Provisioning job delayed/m);
    expect(r.stdout).toMatch(/^timeline$/m);
    expect(r.stdout).toMatch(/Z {2}webhook workflow_job\.queued {2}\(outcome applied/);

    const report = json(await cli(['job', String(waiting.id), '--json']));
    expect(report.job.jobId).toBe(waiting.id);
    expect(report.explanation).toMatchObject({ waiting: true });
    expect(report.explanation.reasons.map((x: any) => x.code)).toContain('no_nodes');

    const served = await cli(['job', String(done.id)]);
    expect(served.stdout).toMatch(/^Completed \(success\) at /m);
    expect(served.stdout).toMatch(/pod rise-riscv-runner-\w+ running {2}\(on node n1\)/);
  });

  it('workers: the pod that served the job; filters; --json parses', async () => {
    const r = await cli(['workers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^POD +STATUS +ENTITY +BOARD +NODE +FOR JOB +RESERVED/m);
    expect(r.stdout).toMatch(/^rise-riscv-runner-\w+ +completed +acme +scw-em-rv1 +n1 +\d+ /m);
    expect((await cli(['workers', '--status', 'running'])).stdout).toMatch(/^\(none\)$/m);
    const w = json(await cli(['workers', '--json', '--board', 'scw-em-rv1']));
    expect(w.workers).toEqual([
      expect.objectContaining({ status: 'completed', board: 'scw-em-rv1', node: 'n1' }),
    ]);
  });
});

describe('acting', SLOW, () => {
  it('drain BOARD stops provisioning there; undrain BOARD resumes it at once', async () => {
    const drained = await cli(['drain', 'scw-em-rv1', '--reason', 'firmware update']);
    expect([drained.code, drained.stderr]).toEqual([0, '']);
    expect(drained.stdout).toBe(
      'drained scw-em-rv1 (firmware update): no new runners start there; 0 active workers finish normally\n',
    );
    expect(await sys.query('select board, reason from board_drains')).toEqual([
      { board: 'scw-em-rv1', reason: 'firmware update' },
    ]);
    const status = json(await cli(['status', '--json']));
    expect(status.boards.find((b: any) => b.board === 'scw-em-rv1').drained).toMatchObject({
      reason: 'firmware update',
    });

    // The board has a free node, yet a new job gets no worker while it is drained.
    const held = sys.sim.github.queueJob({
      repo: 'acme/app',
      labels: ['ubuntu-24.04-riscv'],
      durationMs: 30,
    });
    await delayed(held.id);
    expect(await sys.query('select count(*)::int as n from workers')).toEqual([{ n: 1 }]);
    expect((await jobRow(sys, held.id)).status).toBe('pending');
    const why = await cli(['job', String(held.id)]);
    expect(why.stdout).toMatch(
      /^ {2}\[blocker\] board_drained: Board scw-em-rv1 is drained \(firmware update\)/m,
    );
    expect(why.stdout).toContain('→ npm run cli -- undrain scw-em-rv1');

    // In-process, so within milliseconds of the pass that saw the board drained: the pass the
    // undrain queues must read the drain afresh.
    const undrained = await cli(['undrain', 'scw-em-rv1']);
    expect([undrained.code, undrained.stdout]).toEqual([
      0,
      'undrained scw-em-rv1; a matching pass is queued\n',
    ]);
    expect(await sys.query('select * from board_drains')).toEqual([]);
    // Served without waiting for its delayed provisioning job (hours away in tests).
    await waitForJob(sys, held.id, 'completed');
    expect(json(await cli(['undrain', 'scw-em-rv1', '--json']))).toEqual({
      board: 'scw-em-rv1',
      drained: false,
      wasDrained: false,
    });
  });

  it('drain refuses a board nobody knows, unless --force', async () => {
    const r = await cli(['drain', 'scw-em-rv2']);
    refused(
      r,
      2,
      'rise-runners drain: unknown board "scw-em-rv2" (known: cloudv10x-rvv, scw-em-rv1); --force to use it anyway',
    );
    expect(await sys.query('select * from board_drains')).toEqual([]);
    expect(json(await cli(['drain', 'scw-em-rv2', '--force', '--json']))).toEqual({
      board: 'scw-em-rv2',
      drained: true,
      reason: null,
      activeWorkers: 0,
    });
    expect(json(await cli(['undrain', 'scw-em-rv2', '--json'])).wasDrained).toBe(true);
  });

  it('retry JOB runs a waiting job’s delayed provisioning now; only pending jobs', async () => {
    const before = await delayed(waiting.id);
    const runs = before.attemptsStarted;
    const r = await cli(['retry', String(waiting.id)]);
    expect([r.code, r.stdout]).toEqual([
      0,
      `job ${waiting.id}: promoted its delayed provisioning job: it runs now\n`,
    ]);
    // The worker looked at it again (and, the board still having no node, delayed it again).
    await waitFor(
      async () => {
        const job = await provisionJob(waiting.id);
        return job && job.attemptsStarted > runs && (await job.isDelayed());
      },
      { what: 'the retried provisioning job to run' },
    );
    expect(json(await cli(['retry', String(waiting.id), '--json']))).toEqual({
      jobId: waiting.id,
      board: 'cloudv10x-rvv',
      previousState: 'delayed',
      action: 'promoted its delayed provisioning job: it runs now',
    });

    const completed = await cli(['retry', String(done.id)]);
    refused(
      completed,
      1,
      `rise-runners retry: job ${done.id} is completed: only pending jobs are provisioned`,
    );
    expect(completed.stderr.split('\n')).toHaveLength(2); // one line
  });

  it('requeue rebuilds the provisioning queue from PostgreSQL after a Redis wipe', async () => {
    await delayed(waiting.id);
    // What an operator sees after FLUSHALL, or a Redis that lost its data: nothing under the prefix.
    for (;;) {
      const keys = await sys.redis.redis.keys(`${sys.redis.prefix}:*`);
      if (keys.length === 0) break;
      await sys.redis.redis.del(...keys);
    }
    expect(await provisionJob(waiting.id)).toBeUndefined();

    const dry = json(await cli(['requeue', '--dry-run', '--json']));
    expect(dry).toEqual({
      dryRun: true,
      provision: { pending: 1, enqueued: 1, alreadyQueued: 0 },
      createRunner: { pending: 0, enqueued: 0, alreadyQueued: 0 },
      boardsKicked: [],
    });
    expect(await provisionJob(waiting.id)).toBeUndefined();

    const r = await cli(['requeue']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        'provision: 1 pending jobs, enqueued 1, 0 already queued',
        'create-runner: 0 reserved workers without a pod, enqueued 0, 0 already queued',
        'matching passes queued for cloudv10x-rvv',
        '',
      ].join('\n'),
    );
    const rebuilt = await provisionJob(waiting.id);
    expect(rebuilt?.data).toEqual({ jobId: waiting.id, board: 'cloudv10x-rvv' });
    // The running worker takes it up from the rebuilt queue.
    await delayed(waiting.id);
    // Idempotent: a second run finds it queued and adds nothing.
    expect(json(await cli(['requeue', '--json'])).provision).toEqual({
      pending: 1,
      enqueued: 0,
      alreadyQueued: 1,
    });
  });
});

describe('bad input: a non-zero exit and one clear line, never a stack trace', SLOW, () => {
  it('usage mistakes exit 2 with the command’s usage after the message', async () => {
    const [unknown, noId, noBoard, badId, badOption, badStatus, extra, noRetryId] =
      await Promise.all([
        cli(['frobnicate']),
        cli(['job']),
        cli(['drain']),
        cli(['job', 'abc']),
        cli(['jobs', '--bogus']),
        cli(['jobs', '--status', 'done']),
        cli(['status', 'extra']),
        cli(['retry']),
      ]);
    refused(unknown, 2, 'rise-runners: unknown command "frobnicate"');
    refused(noId, 2, 'rise-runners job: JOB_ID is required');
    expect(noId.stderr).toContain('usage: rise-runners job JOB_ID [options]');
    refused(noBoard, 2, 'rise-runners drain: BOARD is required');
    refused(badId, 2, 'rise-runners job: JOB_ID must be a positive integer, got "abc"');
    refused(badOption, 2, /^rise-runners jobs: Unknown option '--bogus'/);
    refused(
      badStatus,
      2,
      'rise-runners jobs: --status must be among pending, running, completed, failed, got "done"',
    );
    refused(extra, 2, 'rise-runners status: unexpected argument "extra"');
    refused(noRetryId, 2, 'rise-runners retry: JOB_ID is required');
  });

  it('an unknown job id exits 1 with exactly one line', async () => {
    const [job, retry] = await Promise.all([cli(['job', '999']), cli(['retry', '999'])]);
    refused(job, 1, 'rise-runners job: no job 999 is recorded');
    expect(job.stderr).toBe('rise-runners job: no job 999 is recorded\n');
    expect(retry.stderr).toBe('rise-runners retry: no job 999 is recorded\n');
  });

  it('configuration and connection problems: one line naming the problem, no password', async () => {
    const [noConfig, noPg, noRedis] = await Promise.all([
      cli(['status'], { DATABASE_URL: undefined, DEPLOY_ENV: undefined }),
      cli(['status'], { DATABASE_URL: 'postgres://ops:hunter2@127.0.0.1:1/test' }),
      cli(['status'], { REDIS_URL: 'redis://:hunter2@127.0.0.1:1' }),
    ]);
    refused(
      noConfig,
      2,
      'rise-runners: Invalid configuration: DATABASE_URL (or POSTGRES_URL) is required; DEPLOY_ENV is required',
    );
    refused(noPg, 1, /^rise-runners status: failed: .*ECONNREFUSED/);
    refused(noRedis, 1, /^rise-runners: cannot reach Redis: /);
    for (const r of [noConfig, noPg, noRedis]) {
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).not.toContain('hunter2');
    }
  });
});
