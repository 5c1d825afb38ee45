import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim, decodeJitConfig } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: GitHubSim;
let server: Listening;
let acme: Octokit;
let alice: Octokit;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    const e = err as { status?: number };
    if (typeof e.status !== 'number') throw err;
    return e.status;
  }
}

/** Link header → { rel: url }. */
function links(header: string | undefined): Record<string, string> {
  return Object.fromEntries(
    [...(header ?? '').matchAll(/<([^>]+)>; rel="(\w+)"/g)].map((m) => [m[2]!, m[1]!]),
  );
}

async function installationClient(kind: 'org' | 'personal', installationId: number) {
  const app = new App({
    appId: sim.apps[kind].id,
    privateKey: sim.apps[kind].privateKeyPem,
    Octokit: Octokit.defaults({ baseUrl: server.url }),
    log: silent,
  });
  return app.getInstallationOctokit(installationId);
}

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps() });
  sim.addOrg({ login: 'acme' });
  sim.addUser({ login: 'alice' });
  sim.addRepo({ owner: 'acme', name: 'widgets' });
  sim.addRepo({ owner: 'alice', name: 'dotfiles' });
  const orgInst = sim.installApp('org', 'acme');
  const userInst = sim.installApp('personal', 'alice');
  server = await sim.listen();
  acme = await installationClient('org', orgInst.id);
  alice = await installationClient('personal', userInst.id);
});

afterAll(async () => {
  await sim.close();
});

describe('runner groups', () => {
  it('creates groups, refuses a duplicate name with 409, and pages with Link headers', async () => {
    for (let i = 1; i <= 25; i += 1) {
      const { status: s } = await acme.request('POST /orgs/{org}/actions/runner-groups', {
        org: 'acme',
        name: `group-${i}`,
        visibility: 'all',
        allows_public_repositories: true,
      });
      expect(s).toBe(201);
    }
    const dup = acme.request('POST /orgs/{org}/actions/runner-groups', {
      org: 'acme',
      name: 'group-1',
    });
    expect(await status(dup)).toBe(409);

    const first = await acme.request('GET /orgs/{org}/actions/runner-groups', {
      org: 'acme',
      per_page: 10,
    });
    expect(first.data.total_count).toBe(26);
    expect(first.data.runner_groups[0]).toMatchObject({ id: 1, name: 'Default', default: true });
    const l1 = links(first.headers.link);
    expect(Object.keys(l1).sort()).toEqual(['last', 'next']);
    expect(new URL(l1.next!).searchParams.get('page')).toBe('2');
    expect(new URL(l1.last!).searchParams.get('page')).toBe('3');

    const last = await acme.request(`GET ${new URL(l1.last!).pathname}${new URL(l1.last!).search}`);
    const data = last.data as { runner_groups: { name: string }[] };
    expect(data.runner_groups.map((g) => g.name)).toEqual([
      'group-20',
      'group-21',
      'group-22',
      'group-23',
      'group-24',
      'group-25',
    ]);
    expect(Object.keys(links(last.headers.link)).sort()).toEqual(['first', 'prev']);
  });

  it('404s for an unknown group and 403s for another org', async () => {
    sim.addOrg({ login: 'other' });
    const unknown = acme.request(
      'GET /orgs/{org}/actions/runner-groups/{runner_group_id}/runners',
      {
        org: 'acme',
        runner_group_id: 424242,
      },
    );
    expect(await status(unknown)).toBe(404);
    const forbidden = acme.request('GET /orgs/{org}/actions/runner-groups', { org: 'other' });
    expect(await status(forbidden)).toBe(403);
  });
});

describe('JIT runners', () => {
  it('registers an org runner (offline until it connects) and refuses a duplicate name', async () => {
    const body = {
      org: 'acme',
      name: 'rv-1',
      runner_group_id: 1,
      labels: ['rise', 'riscv64'],
      work_folder: '_work',
    };
    const { status: s, data } = await acme.request(
      'POST /orgs/{org}/actions/runners/generate-jitconfig',
      body,
    );
    expect(s).toBe(201);
    expect(data.runner).toMatchObject({
      name: 'rv-1',
      status: 'offline',
      busy: false,
      ephemeral: true,
    });
    expect(data.runner.labels.map((l) => l.name)).toEqual(['rise', 'riscv64']);
    expect(decodeJitConfig(data.encoded_jit_config)).toMatchObject({
      runner_id: data.runner.id,
      name: 'rv-1',
      scope: 'orgs/acme',
      labels: ['rise', 'riscv64'],
    });
    const gen = (b: Record<string, unknown>) =>
      status(
        acme.request('POST /orgs/{org}/actions/runners/generate-jitconfig', { ...body, ...b }),
      );
    expect(await gen({})).toBe(409);
    expect(await gen({ name: 'rv-2', runner_group_id: 999 })).toBe(404);
    expect(await gen({ name: 'rv-2', labels: [] })).toBe(422);

    const inGroup = await acme.request(
      'GET /orgs/{org}/actions/runner-groups/{runner_group_id}/runners',
      { org: 'acme', runner_group_id: 1 },
    );
    expect(inGroup.data.runners.map((r) => r.name)).toEqual(['rv-1']);
  });

  it('registers repository runners for a user through the personal App', async () => {
    const body = {
      owner: 'alice',
      repo: 'dotfiles',
      name: 'rv-u1',
      runner_group_id: 1,
      labels: ['rise'],
    };
    const { data } = await alice.request(
      'POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig',
      body,
    );
    expect(decodeJitConfig(data.encoded_jit_config)?.scope).toBe('repos/alice/dotfiles');
    const again = alice.request(
      'POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig',
      body,
    );
    expect(await status(again)).toBe(409);
    const list = await alice.request('GET /repos/{owner}/{repo}/actions/runners', {
      owner: 'alice',
      repo: 'dotfiles',
    });
    expect(list.data).toMatchObject({ total_count: 1, runners: [{ name: 'rv-u1' }] });
    // A user has no organization runners.
    expect(await status(alice.request('GET /orgs/{org}/actions/runners', { org: 'alice' }))).toBe(
      404,
    );
  });

  it('lists by name, gets, deletes (204), then 404; a busy runner is 422', async () => {
    const make = async (name: string) =>
      (
        await acme.request('POST /orgs/{org}/actions/runners/generate-jitconfig', {
          org: 'acme',
          name,
          runner_group_id: 1,
          labels: ['busy-test'],
        })
      ).data;
    const idle = await make('rv-idle');
    const busy = await make('rv-busy');

    const byName = await acme.request('GET /orgs/{org}/actions/runners', {
      org: 'acme',
      name: 'rv-idle',
    });
    expect(byName.data.runners.map((r) => r.id)).toEqual([idle.runner.id]);
    const one = await acme.request('GET /orgs/{org}/actions/runners/{runner_id}', {
      org: 'acme',
      runner_id: idle.runner.id,
    });
    expect(one.data.name).toBe('rv-idle');

    const del = (id: number) =>
      acme.request('DELETE /orgs/{org}/actions/runners/{runner_id}', {
        org: 'acme',
        runner_id: id,
      });
    expect((await del(idle.runner.id)).status).toBe(204);
    expect(await status(del(idle.runner.id))).toBe(404);

    const runner = sim.runners.register(decodeJitConfig(busy.encoded_jit_config)!);
    sim.queueJob({ repo: 'acme/widgets', labels: ['busy-test'], durationMs: 60_000 });
    expect(sim.jobs.claim(runner)?.runnerName).toBe('rv-busy');
    expect(await status(del(busy.runner.id))).toBe(422);
  });

  it('answers 403 when the installation lacks the runner permission', async () => {
    sim.addOrg({ login: 'narrow' });
    const inst = sim.installApp('org', 'narrow', { permissions: { metadata: 'read' } });
    const client = await installationClient('org', inst.id);
    expect(await status(client.request('GET /orgs/{org}/actions/runners', { org: 'narrow' }))).toBe(
      403,
    );
  });
});

describe('workflow jobs', () => {
  it('serves a queued job with GitHub fields and hides it from other repositories', async () => {
    const job = sim.queueJob({
      repo: 'acme/widgets',
      labels: ['rise', 'nobody-has-this'],
      name: 'test',
    });
    const { data } = await acme.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
      owner: 'acme',
      repo: 'widgets',
      job_id: job.id,
    });
    expect(data).toMatchObject({
      id: job.id,
      run_id: job.runId,
      status: 'queued',
      conclusion: null,
      labels: ['rise', 'nobody-has-this'],
      runner_id: null,
      runner_name: null,
      name: 'test',
      html_url: `https://github.com/acme/widgets/actions/runs/${job.runId}/job/${job.id}`,
    });
    expect(data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const elsewhere = alice.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
      owner: 'alice',
      repo: 'dotfiles',
      job_id: job.id,
    });
    expect(await status(elsewhere)).toBe(404);
  });
});
