import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunnersConfig } from '../../src/config/runners.js';
import type { Repo } from '../../src/sim/github/model.js';
import { waitForJob } from '../helpers/scenario.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from '../helpers/stores.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { SECRET, startWeb, type TestWeb } from '../helpers/web.js';
import { signed, workflowJob } from '../helpers/webhooks.js';

const GROUP = 'RISE RISC-V Runners';

describe('webhook: deliveries outside an entity’s repositories are recorded as ignored', () => {
  let pg: TestDb;
  let redis: TestRedis;
  let web: TestWeb;
  beforeAll(async () => {
    pg = await createTestDb();
    redis = createTestRedis();
    const runners = parseRunnersConfig(
      `allowlist: true
pools: [{ labels: [ubuntu-24.04-riscv], board: scw-em-rv1, image: i }]
entities:
  - { id: 7101, name: acme, repositories: { allow: ['acme/*-ci', acme/tool] }, public_repositories: false }
  - { id: 7102, name: beta, repositories: { deny: [beta/secret] } }
  - { id: 7103, name: alice/tool, public_repositories: false }
`,
      'inline',
    );
    web = await startWeb({ db: pg.db, redisUrl: redis.url, prefix: redis.prefix, runners });
  });
  afterAll(async () => {
    await web?.close();
    await redis?.drop();
    await pg?.drop();
  });

  const query = async (sql: string, id: string | number) =>
    (await pg.db.$client.query(sql, [id])).rows[0];
  let nextJob = 71_000;

  it.each([
    ['acme', 'acme/riscv-ci', false, undefined],
    ['acme', 'acme/Tool', false, undefined],
    [
      'acme',
      'acme/web',
      false,
      'repository acme/web is not in the repositories allow list of entity acme (7101)',
    ],
    [
      'acme',
      'acme/riscv-ci',
      true,
      'repository acme/riscv-ci is public and entity acme (7101) has public_repositories: false',
    ],
    [
      'beta',
      'beta/secret',
      false,
      'repository beta/secret is in the repositories deny list of entity beta (7102)',
    ],
    ['beta', 'beta/lib', true, undefined],
    [
      'alice',
      'alice/tool',
      true,
      'repository alice/tool is public and entity alice/tool (7103) has public_repositories: false',
    ],
    ['alice', 'alice/tool', false, undefined],
  ])('%s: %s (public: %s)', async (owner, repo, isPublic, reason) => {
    const jobId = ++nextJob;
    const payload =
      owner === 'alice'
        ? workflowJob('queued', { jobId, ownerType: 'User', repoId: 7103, repoFullName: repo })
        : workflowJob('queued', {
            jobId,
            orgId: owner === 'acme' ? 7101 : 7102,
            repoFullName: repo,
          });
    payload.repository.private = !isPublic;
    payload.repository.visibility = isPublic ? 'public' : 'private';
    const d = await signed('workflow_job', payload, SECRET);
    const res = await web.post(d);
    expect(res.status).toBe(200);
    const row = await waitFor(() =>
      query('select outcome, detail from deliveries where delivery_id = $1', d.id),
    );
    const job = await query('select status from jobs where job_id = $1', jobId);
    if (reason) {
      expect(res.json).toMatchObject({ outcome: 'ignored', detail: reason });
      expect(row).toEqual({ outcome: 'ignored', detail: reason });
      expect(job).toBeUndefined();
    } else {
      expect(res.json).toMatchObject({ outcome: 'applied' });
      expect(row.outcome).toBe('applied');
      expect(job).toEqual({ status: 'pending' });
    }
  });
});

describe('the runner group follows the entity (simulator, real PostgreSQL and Redis)', () => {
  let sys: TestSystem | undefined;
  afterEach(async () => {
    await sys?.close();
    sys = undefined;
  });

  const pools = `pools:
  - { labels: [ubuntu-24.04-riscv], board: scw-em-rv1, image: runner:24.04 }
  - { labels: [ubuntu-26.04-riscv], board: scw-em-rv1, image: runner:26.04 }`;

  async function start(entity: string) {
    sys = await startSystem({
      runnersYaml: `allowlist: true\nentities: [${entity}]\n${pools}`,
      sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] },
    });
    const gh = sys.sim.github;
    const account = gh.addOrg({ login: 'acme', id: 7301 });
    const repos: Record<string, Repo> = {
      app: gh.addRepo({ owner: 'acme', name: 'app', private: true }),
      tool: gh.addRepo({ owner: 'acme', name: 'tool', private: true }),
      web: gh.addRepo({ owner: 'acme', name: 'web', private: true }),
      lib: gh.addRepo({ owner: 'acme', name: 'lib', private: false }),
    };
    return { s: sys, gh, account, repos };
  }

  const ours = (s: TestSystem, orgId: number) =>
    s.sim.github.state.groupsOf(orgId).find((g) => g.name === GROUP);
  const ignored = (s: TestSystem, jobId: number) =>
    waitFor(async () => {
      const [row] = await s.query(
        "select detail from deliveries where job_id = $1 and outcome = 'ignored'",
        [jobId],
      );
      return row?.detail as string | undefined;
    });

  it('creates the group with the allow list’s repositories selected and no public ones, and ignores deliveries outside them', async () => {
    const { s, gh, account, repos } = await start(
      '{ id: 7301, name: acme, repositories: { allow: [acme/app, acme/tool, acme/lib, acme/gone] }, public_repositories: false }',
    );
    gh.installApp('org', 'acme');
    s.sim.github.resetCalls();
    const first = gh.queueJob({ repo: 'acme/app', labels: ['ubuntu-24.04-riscv'], durationMs: 30 });
    await waitForJob(s, first.id, 'completed');
    const second = gh.queueJob({
      repo: 'acme/tool',
      labels: ['ubuntu-26.04-riscv'],
      durationMs: 30,
    });
    await waitForJob(s, second.id, 'completed');

    expect(ours(s, account.id)).toMatchObject({
      visibility: 'selected',
      allowsPublicRepositories: false,
      // acme/gone does not exist: left out (with a warning).
      selectedRepositoryIds: [repos.app!.id, repos.tool!.id, repos.lib!.id].sort((a, b) => a - b),
    });
    expect(gh.getJob(second.id)).toMatchObject({ runnerGroupName: GROUP, conclusion: 'success' });
    // The group is made once: its look-up, one name look-up per listed repository, one POST.
    const calls = gh.calls().byRoute;
    expect(calls['GET /orgs/{org}/actions/runner-groups']).toBe(1);
    expect(calls['POST /orgs/{org}/actions/runner-groups']).toBe(1);
    expect(calls['GET /repos/{owner}/{repo}']).toBe(4);
    expect(calls['POST /orgs/{org}/actions/runners/generate-jitconfig']).toBe(2);

    const unlisted = gh.queueJob({ repo: 'acme/web', labels: ['ubuntu-24.04-riscv'] });
    expect(await ignored(s, unlisted.id)).toBe(
      'repository acme/web is not in the repositories allow list of entity acme (7301)',
    );
    const open = gh.queueJob({ repo: 'acme/lib', labels: ['ubuntu-24.04-riscv'] });
    expect(await ignored(s, open.id)).toBe(
      'repository acme/lib is public and entity acme (7301) has public_repositories: false',
    );
    const jobs = await s.query('select job_id from jobs where job_id = any($1)', [
      [unlisted.id, open.id],
    ]);
    expect(jobs).toEqual([]);
  });

  it('brings an existing group that differs to the entity’s settings once, then reuses it', async () => {
    const { s, gh, account } = await start(
      "{ id: 7301, name: acme, repositories: { allow: ['acme/*'] }, public_repositories: false }",
    );
    gh.installApp('org', 'acme');
    // Made by hand (or by an older release): open to public repositories.
    gh.runners.createGroup(account, { name: GROUP, allows_public_repositories: true });
    s.sim.github.resetCalls();
    const jobs = ['app', 'tool', 'web'].map(
      (r, i) =>
        gh.queueJob({
          repo: `acme/${r}`,
          labels: [i % 2 ? 'ubuntu-26.04-riscv' : 'ubuntu-24.04-riscv'],
          durationMs: 20,
        }).id,
    );
    for (const id of jobs) await waitForJob(s, id, 'completed');
    // A glob cannot be resolved to repository ids: the group stays open to all repositories.
    expect(ours(s, account.id)).toMatchObject({
      visibility: 'all',
      allowsPublicRepositories: false,
    });
    const calls = gh.calls().byRoute;
    expect(calls['PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}']).toBe(1);
    expect(calls['GET /orgs/{org}/actions/runner-groups']).toBe(1);
    expect(calls['POST /orgs/{org}/actions/runner-groups']).toBeUndefined();
    expect(calls['GET /repos/{owner}/{repo}']).toBeUndefined();
  });

  it('replaces the selection of an existing selected group when the allow list names others', async () => {
    const { s, gh, account, repos } = await start(
      '{ id: 7301, name: acme, repositories: { allow: [acme/app] } }',
    );
    gh.installApp('org', 'acme');
    gh.runners.createGroup(account, {
      name: GROUP,
      visibility: 'selected',
      selected_repository_ids: [repos.tool!.id],
      allows_public_repositories: true,
    });
    s.sim.github.resetCalls();
    const job = gh.queueJob({ repo: 'acme/app', labels: ['ubuntu-24.04-riscv'], durationMs: 20 });
    await waitForJob(s, job.id, 'completed');
    expect(ours(s, account.id)).toMatchObject({
      visibility: 'selected',
      allowsPublicRepositories: true,
      selectedRepositoryIds: [repos.app!.id],
    });
    const calls = gh.calls().byRoute;
    expect(calls['PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}']).toBeUndefined();
    expect(calls['GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories']).toBe(1);
    expect(calls['PUT /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories']).toBe(1);
  });
});
