import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim, decodeJitConfig } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: GitHubSim;
let server: Listening;
let acme: Octokit;
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

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps() });
  sim.addOrg({ login: 'acme' });
  sim.addOrg({ login: 'other' });
  sim.addRepo({ owner: 'acme', name: 'open', private: false });
  sim.addRepo({ owner: 'acme', name: 'closed', private: true });
  sim.addRepo({ owner: 'acme', name: 'also-closed', private: true });
  sim.addRepo({ owner: 'other', name: 'theirs', private: true });
  const inst = sim.installApp('org', 'acme');
  server = await sim.listen();
  const app = new App({
    appId: sim.apps.org.id,
    privateKey: sim.apps.org.privateKeyPem,
    Octokit: Octokit.defaults({ baseUrl: server.url }),
    log: silent,
  });
  acme = await app.getInstallationOctokit(inst.id);
});

afterAll(async () => {
  await sim.close();
});

const repoId = (name: string) => sim.state.repo('acme', name)!.id;

async function group(body: Record<string, unknown>) {
  const { data } = await acme.request('POST /orgs/{org}/actions/runner-groups', {
    org: 'acme',
    name: `g-${Math.random().toString(36).slice(2)}`,
    ...body,
  });
  return data;
}

/** An online org runner of `groupId` with its own label set, and a job for it from `repo`. */
async function runnerAndJob(groupId: number, repo: string) {
  const labels = [`l-${Math.random().toString(36).slice(2)}`];
  const { data } = await acme.request('POST /orgs/{org}/actions/runners/generate-jitconfig', {
    org: 'acme',
    name: labels[0]!,
    runner_group_id: groupId,
    labels,
  });
  const runner = sim.runners.register(decodeJitConfig(data.encoded_jit_config)!);
  const job = sim.queueJob({ repo: `acme/${repo}`, labels, durationMs: 60_000 });
  return { runner, job };
}

describe('runner group settings (REST)', () => {
  it("defaults allows_public_repositories to false as GitHub does, and takes selected repositories' ids", async () => {
    const plain = await group({});
    expect(plain).toMatchObject({ visibility: 'all', allows_public_repositories: false });
    const sel = await group({
      visibility: 'selected',
      selected_repository_ids: [repoId('closed')],
      allows_public_repositories: true,
    });
    expect(sel).toMatchObject({ visibility: 'selected', allows_public_repositories: true });
    expect(sel.selected_repositories_url).toMatch(/\/runner-groups\/\d+\/repositories$/);
    const listed = await acme.request(
      'GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories',
      { org: 'acme', runner_group_id: sel.id },
    );
    expect(listed.data.repositories.map((r) => r.full_name)).toEqual(['acme/closed']);
    // Another organization's repository cannot be selected.
    const foreign = sim.state.repo('other', 'theirs')!.id;
    expect(
      await status(group({ visibility: 'selected', selected_repository_ids: [foreign] })),
    ).toBe(422);
  });

  it('updates a group with PATCH (name required) and replaces its selection with PUT', async () => {
    const g = await group({ visibility: 'all', allows_public_repositories: true });
    const patched = await acme.request(
      'PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}',
      {
        org: 'acme',
        runner_group_id: g.id,
        name: g.name,
        visibility: 'selected',
        allows_public_repositories: false,
      },
    );
    expect(patched.data).toMatchObject({
      id: g.id,
      visibility: 'selected',
      allows_public_repositories: false,
    });
    const put = await acme.request(
      'PUT /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories',
      {
        org: 'acme',
        runner_group_id: g.id,
        selected_repository_ids: [repoId('also-closed'), repoId('closed')],
      },
    );
    expect(put.status).toBe(204);
    expect(sim.state.group(sim.state.account('acme')!.id, g.id)?.selectedRepositoryIds).toEqual([
      repoId('also-closed'),
      repoId('closed'),
    ]);
    const missing = acme.request('PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}', {
      org: 'acme',
      runner_group_id: 999_999,
      name: 'x',
    });
    expect(await status(missing)).toBe(404);
  });

  it('resolves a repository name to its id, case-insensitively, hiding other accounts', async () => {
    const { data } = await acme.request('GET /repos/{owner}/{repo}', {
      owner: 'ACME',
      repo: 'Closed',
    });
    expect(data).toMatchObject({
      id: repoId('closed'),
      full_name: 'acme/closed',
      private: true,
      visibility: 'private',
    });
    expect(
      await status(acme.request('GET /repos/{owner}/{repo}', { owner: 'other', repo: 'theirs' })),
    ).toBe(404);
  });
});

describe('job matching follows the runner group, as on GitHub', () => {
  it('a runner of a group without public repositories takes no public job, but private ones', async () => {
    const g = await group({ allows_public_repositories: false });
    const pub = await runnerAndJob(g.id, 'open');
    expect(sim.jobs.claim(pub.runner)).toBeUndefined();
    expect(sim.getJob(pub.job.id)?.status).toBe('queued');
    const priv = await runnerAndJob(g.id, 'closed');
    expect(sim.jobs.claim(priv.runner)?.id).toBe(priv.job.id);
  });

  it('a runner of a group that allows public repositories takes a public job', async () => {
    const g = await group({ allows_public_repositories: true });
    const { runner, job } = await runnerAndJob(g.id, 'open');
    expect(sim.jobs.claim(runner)?.id).toBe(job.id);
  });

  it('a runner of a selected group takes jobs of the selected repositories only', async () => {
    const g = await group({
      visibility: 'selected',
      selected_repository_ids: [repoId('closed')],
      allows_public_repositories: true,
    });
    const other = await runnerAndJob(g.id, 'also-closed');
    expect(sim.jobs.claim(other.runner)).toBeUndefined();
    const chosen = await runnerAndJob(g.id, 'closed');
    expect(sim.jobs.claim(chosen.runner)?.id).toBe(chosen.job.id);
  });
});
