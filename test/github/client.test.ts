import { RequestError } from '@octokit/request-error';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createGitHub, type GitHubOptions } from '../../src/github/client.js';
import { RateLimitedError } from '../../src/github/errors.js';
import type { ResilienceOptions } from '../../src/github/resilience.js';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim, decodeJitConfig } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

const JIT = 'POST /orgs/{org}/actions/runners/generate-jitconfig';
const MINT = 'POST /app/installations/{installation_id}/access_tokens';
const GROUPS = 'GET /orgs/{org}/actions/runner-groups';
const LABELS = ['rise', 'riscv64'];

let sim: GitHubSim;
let server: Listening;
let acme: { installationId: number; entityType: 'Organization' };
let alice: { installationId: number; entityType: 'User' };
const acmeScope = { kind: 'org', org: 'acme' } as const;

/** What the resilience hooks saw: sleeps asked for (not taken), calls and rate-limit reports. */
interface Seen {
  sleeps: number[];
  calls: { route: string; status: number }[];
  rateLimits: { installation: number | 'app'; remaining: number }[];
}

function client(
  resilience: Partial<ResilienceOptions> = {},
  extra: Partial<GitHubOptions> = {},
): ReturnType<typeof createGitHub> & { seen: Seen } {
  const seen: Seen = { sleeps: [], calls: [], rateLimits: [] };
  const github = createGitHub({
    baseUrl: server.url,
    apps: {
      org: { appId: sim.apps.org.id, privateKey: sim.apps.org.privateKeyPem },
      personal: { appId: sim.apps.personal.id, privateKey: sim.apps.personal.privateKeyPem },
    },
    resilience: {
      sleep: (ms) => {
        seen.sleeps.push(ms);
        return Promise.resolve();
      },
      onCall: ({ route, status }) => void seen.calls.push({ route, status }),
      onRateLimit: ({ installation, remaining }) =>
        void seen.rateLimits.push({ installation, remaining }),
      ...resilience,
    },
    ...extra,
  });
  return Object.assign(github, { seen });
}

const org = () => sim.state.account('acme')!;

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps() });
  sim.addOrg({ login: 'acme' });
  sim.addUser({ login: 'alice' });
  sim.addRepo({ owner: 'alice', name: 'tool' });
  acme = { installationId: sim.installApp('org', 'acme').id, entityType: 'Organization' };
  alice = { installationId: sim.installApp('personal', 'alice').id, entityType: 'User' };
  server = await sim.listen();
});

beforeEach(() => {
  sim.faults.clear();
  sim.resetCalls();
});

afterAll(async () => {
  await sim.close();
});

describe('tokens and caches', () => {
  it('mints one token per installation, even for concurrent calls, and looks a group up once', async () => {
    const gh = client();
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        gh.generateJitConfig(acme, acmeScope, { name: `cache-${i}`, labels: LABELS, groupId: 1 }),
      ),
    );
    const groupId = await gh.ensureRunnerGroup(acme, 'acme', 'cached-group');
    expect(await gh.ensureRunnerGroup(acme, 'acme', 'cached-group')).toBe(groupId);
    expect(await gh.ensureRunnerGroup(acme, 'acme', 'cached-group')).toBe(groupId);
    expect(sim.calls().byRoute).toEqual({
      [MINT]: 1,
      [JIT]: 5,
      [GROUPS]: 1,
      'POST /orgs/{org}/actions/runner-groups': 1,
    });
  });

  it('makes an installation that is gone a PermanentError, and an unconfigured App too', async () => {
    const gh = client();
    sim.addOrg({ login: 'leaving' });
    const inst = sim.installApp('org', 'leaving');
    sim.suspendInstallation(inst.id);
    const suspended = gh.listRunners(
      { installationId: inst.id, entityType: 'Organization' },
      { kind: 'org', org: 'leaving' },
    );
    await expect(suspended).rejects.toMatchObject({
      name: 'PermanentError',
      reason: 'installation_unavailable',
      details: { installationId: inst.id },
    });
    const lonely = createGitHub({ baseUrl: server.url, apps: {} });
    await expect(lonely.listRunners(acme, acmeScope)).rejects.toBeInstanceOf(PermanentError);
    await expect(lonely.listRunners(acme, acmeScope)).rejects.toMatchObject({
      reason: 'app_not_configured',
    });
  });

  it("corrects its App JWT by GitHub's clock when the two disagree", async () => {
    const warnings: string[] = [];
    const log = createLogger(
      { level: 'warn' },
      { write: (line: string) => void warnings.push(line) },
    );
    const gh = client({}, { log });
    // GitHub an hour ahead: a JWT made from our clock looks expired until auth-app corrects it.
    sim.clock.advance(3_600_000);
    try {
      await gh.generateJitConfig(acme, acmeScope, { name: 'skewed', labels: LABELS, groupId: 1 });
    } finally {
      sim.clock.advance(-3_600_000);
    }
    expect(sim.calls().byRoute[MINT]).toBe(2);
    expect(gh.seen.calls.filter((c) => c.route === MINT).map((c) => c.status)).toEqual([201]);
    expect(warnings.join('\n')).toMatch(/different by 3600 seconds/);
  });
});

describe('lists', () => {
  it('pages through every runner of a group, of an org and of a repository', async () => {
    const gh = client();
    const group = sim.runners.createGroup(org(), { name: 'big-group' });
    for (let i = 0; i < 230; i++) {
      sim.runners.generateJitConfig(
        { kind: 'org', org: org() },
        { name: `many-${i}`, runner_group_id: group.id, labels: LABELS },
      );
    }
    const repo = sim.state.repo('alice', 'tool')!;
    for (let i = 0; i < 120; i++) {
      sim.runners.generateJitConfig({ kind: 'repo', repo }, { name: `repo-${i}`, labels: LABELS });
    }
    sim.resetCalls();
    const inGroup = await gh.listRunners(acme, acmeScope, group.id);
    expect(inGroup).toHaveLength(230);
    expect(new Set(inGroup.map((r) => r.name)).size).toBe(230);
    expect(inGroup[0]).toMatchObject({ status: 'offline', busy: false, labels: LABELS });
    expect((await gh.listRunners(acme, acmeScope)).length).toBeGreaterThanOrEqual(230);
    const mine = await gh.listRunners(alice, { kind: 'repo', repoFullName: 'alice/tool' });
    expect(mine).toHaveLength(120);
    const { byRoute } = sim.calls();
    expect(byRoute['GET /orgs/{org}/actions/runner-groups/{runner_group_id}/runners']).toBe(3);
    expect(byRoute['GET /repos/{owner}/{repo}/actions/runners']).toBe(2);
  });

  it('finds a runner group on a later page and stops there', async () => {
    sim.addOrg({ login: 'groupy' });
    const inst = {
      installationId: sim.installApp('org', 'groupy').id,
      entityType: 'Organization' as const,
    };
    const groupy = sim.state.account('groupy')!;
    for (let i = 0; i < 250; i++) sim.runners.createGroup(groupy, { name: `g-${i}` });
    sim.resetCalls();
    const id = await client().ensureRunnerGroup(inst, 'groupy', 'g-150');
    expect(sim.state.group(groupy.id, id)?.name).toBe('g-150');
    // The Default group comes first: g-150 is on page 2 of 3, and page 3 is never asked for.
    expect(sim.calls().byRoute).toEqual({ [MINT]: 1, [GROUPS]: 2 });
  });

  it('finds a runner by name, deletes it, and tells a missing or busy one apart', async () => {
    const gh = client();
    const { runnerId } = await gh.generateJitConfig(acme, acmeScope, {
      name: 'find-me',
      labels: ['find-me'],
      groupId: 1,
    });
    expect(await gh.findRunner(acme, acmeScope, 'find-me')).toMatchObject({
      id: runnerId,
      name: 'find-me',
      labels: ['find-me'],
    });
    expect(await gh.findRunner(acme, acmeScope, 'nobody')).toBeUndefined();
    expect(await gh.deleteRunner(acme, acmeScope, runnerId)).toBe('deleted');
    expect(await gh.deleteRunner(acme, acmeScope, runnerId)).toBe('not_found');

    const busy = await gh.generateJitConfig(
      alice,
      { kind: 'repo', repoFullName: 'alice/tool' },
      {
        name: 'busy-one',
        labels: ['busy-one'],
      },
    );
    const runner = sim.runners.register(decodeJitConfig(busy.jitConfig)!);
    const job = sim.queueJob({ repo: 'alice/tool', labels: ['busy-one'], durationMs: 60_000 });
    expect(sim.jobs.claim(runner)?.id).toBe(job.id);
    const scope = { kind: 'repo', repoFullName: 'alice/tool' } as const;
    expect(await gh.deleteRunner(alice, scope, busy.runnerId)).toBe('busy');
    expect(await gh.getJob(alice, 'alice/tool', job.id)).toMatchObject({
      id: job.id,
      status: 'in_progress',
      runnerName: 'busy-one',
    });
    expect(await gh.getJob(alice, 'alice/tool', 987_654_321)).toBeUndefined();
    sim.cancelJob(job.id);
  });

  it('lists webhook deliveries newest first, a page at a time, and redelivers one', async () => {
    const gh = client();
    // Nobody listens there: every attempt is a failed delivery, which is what we look for.
    sim.setWebhookTarget('http://127.0.0.1:9/nowhere', 'secret', 'org');
    sim.addRepo({ owner: 'acme', name: 'hooks' });
    for (let i = 0; i < 130; i++) sim.queueJob({ repo: 'acme/hooks', labels: [`hook-${i}`] });
    await sim.idle();
    sim.setWebhookTarget(undefined, undefined, 'org');
    const total = sim.deliveries('org').length;
    expect(total).toBeGreaterThanOrEqual(130);

    const pages: number[][] = [];
    for await (const page of gh.listDeliveries('org')) pages.push(page.map((d) => d.id));
    expect(pages.map((p) => p.length)).toEqual([100, total - 100]);
    const ids = pages.flat();
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(sim.calls().byRoute['GET /app/hook/deliveries']).toBe(2);

    sim.resetCalls();
    for await (const page of gh.listDeliveries('org')) {
      expect(page[0]).toMatchObject({ event: 'workflow_job', action: 'queued', statusCode: 0 });
      break;
    }
    expect(sim.calls().byRoute['GET /app/hook/deliveries']).toBe(1);

    await gh.redeliver('org', ids[0]!);
    await sim.idle();
    expect(sim.calls().byRoute['POST /app/hook/deliveries/{delivery_id}/attempts']).toBe(1);
    for (const job of sim.listJobs({ status: 'queued' })) sim.cancelJob(job.id);
  });
});

describe('retries, timeouts and rate limits', () => {
  const jit = (gh: ReturnType<typeof client>, name: string) =>
    gh.generateJitConfig(acme, acmeScope, { name, labels: LABELS, groupId: 1 });

  it('retries 5xx with jittered exponential backoff, then gives up', async () => {
    const gh = client({ backoffMs: 100, random: () => 0.5 });
    await jit(gh, 'warm');
    sim.faults.error(JIT, 502, { count: 2 });
    await jit(gh, 'after-502s');
    expect(gh.seen.sleeps).toEqual([50, 100]);
    sim.faults.error(JIT, 500, { count: 10 });
    const failed = await jit(gh, 'never').catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(RequestError);
    expect((failed as RequestError).status).toBe(500);
    // 1 + 3 retries for the failure, after 1 + 2 + 1 for the first two calls.
    expect(sim.calls().byRoute[JIT]).toBe(8);
  });

  it('gives every attempt a timeout', async () => {
    const gh = client({ timeoutMs: 100, retries: 1 });
    await jit(gh, 'warm-timeout');
    sim.faults.latency(JIT, 400);
    const started = Date.now();
    await expect(jit(gh, 'slow')).rejects.toThrow();
    // Two attempts cut at 100 ms each, where one uncut attempt would take 400 ms.
    expect(Date.now() - started).toBeLessThan(700);
    // @octokit/request reports a fetch cut short as a 500, which is retried like one.
    expect(gh.seen.calls.filter((c) => c.route === JIT).map((c) => c.status)).toEqual([
      201, 500, 500,
    ]);
  });

  it('waits out a short rate limit and throws RateLimitedError for a long one', async () => {
    const gh = client();
    await jit(gh, 'warm-limits');
    sim.faults.rateLimit(JIT, { type: 'secondary', retryAfterSeconds: 2, count: 1 });
    await jit(gh, 'after-secondary');
    expect(gh.seen.sleeps).toEqual([2000]);
    sim.faults.rateLimit(JIT, { type: 'primary', resetInSeconds: 600, count: 1 });
    const limited = await jit(gh, 'primary').catch((err: unknown) => err);
    expect(limited).toBeInstanceOf(RateLimitedError);
    const resetAt = (limited as RateLimitedError).resetAt;
    expect(resetAt).toBeGreaterThan(Date.now() + 590_000);
    expect((limited as RateLimitedError).route).toBe(`${JIT}`);
  });

  it('reports each call by route template, and rate limits per installation or App', async () => {
    const gh = client();
    await jit(gh, 'metrics');
    expect(gh.seen.calls).toEqual([
      { route: MINT, status: 201 },
      { route: JIT, status: 201 },
    ]);
    expect(gh.seen.rateLimits.map((r) => r.installation)).toEqual(['app', acme.installationId]);
    expect(gh.seen.rateLimits[1]!.remaining).toBeGreaterThan(0);
    // The pages `paginate` follows are full URLs: reported without the base URL and the query.
    await gh.listRunners(acme, acmeScope);
    expect(gh.seen.calls.at(-1)).toEqual({ route: 'GET /orgs/acme/actions/runners', status: 200 });
  });
});
