/**
 * /setup over HTTP against the simulated GitHub: the manifest flow (the sim creates the App and
 * redirects with a one-time code, the callback exchanges it and shows the credentials once), and
 * /setup/check on right, wrong and missing installations. The browser version of the flow is
 * test/browser/setup.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeInstallation } from '../../src/api/setup/check.js';
import { createGitHub } from '../../src/github/client.js';
import { createGitHubSim, type GitHubSim, type Listening } from '../../src/sim/github/index.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from '../helpers/stores.js';
import { ADMIN_TOKEN } from '../operator/helpers.js';
import { NAMES, startSetupWeb, unescapeHtml, type SetupWeb } from './setup-web.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: GitHubSim;
let gh: Listening;
let pg: TestDb;
let redis: TestRedis;
let web: SetupWeb;
const token = ADMIN_TOKEN;

const stores = () => ({ db: pg.db, redisUrl: redis.url, prefix: redis.prefix, githubUrl: gh.url });

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps() });
  gh = await sim.listen();
  pg = await createTestDb();
  redis = createTestRedis();
  web = await startSetupWeb(stores());
});

afterAll(async () => {
  await web?.close();
  await sim?.close();
  await pg?.drop();
  await redis?.drop();
});

/** /setup/start → the confirmation page's form: where it posts and the manifest it carries. */
async function start(kind: string, owner = '') {
  const body = new URLSearchParams({ kind, owner, name: '' });
  const res = await web.fetch('/setup/start', { method: 'POST', body, token });
  const action = /<form method="post" action="([^"]+)"/.exec(res.text)?.[1];
  const manifest = /name="manifest" value="([^"]+)"/.exec(res.text)?.[1];
  return {
    res,
    action: action && unescapeHtml(action),
    manifest: manifest && unescapeHtml(manifest),
  };
}

/** What the browser does next: posts the manifest to GitHub, which redirects back with a code. */
async function createOnGitHub(action: string, manifest: string) {
  const res = await fetch(action, {
    method: 'POST',
    body: new URLSearchParams({ manifest }),
    redirect: 'manual',
  });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

describe('creating an App from its manifest', () => {
  it('/setup is for admins only', async () => {
    expect((await web.fetch('/setup', { headers: { accept: 'application/json' } })).status).toBe(
      401,
    );
    expect((await web.fetch('/setup')).headers.get('location')).toBe('/login?next=%2Fsetup');
    const page = await web.fetch('/setup', { token });
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/setup/start"');
  });

  it('refuses bad choices with a clear line', async () => {
    expect((await start('enterprise')).res.text).toContain('kind must be org or personal');
    expect((await start('org', 'not a login')).res.status).toBe(400);
  });

  it('posts the manifest to GitHub, exchanges the code once, and shows the credentials once', async () => {
    const { res, action, manifest } = await start('org', 'riseproject-dev');
    expect(res.status).toBe(200);
    expect(action).toMatch(
      new RegExp(`^${gh.url}/organizations/riseproject-dev/settings/apps/new\\?state=`),
    );
    expect(res.headers.get('content-security-policy')).toContain(`form-action 'self' ${gh.url}`);
    const m = JSON.parse(manifest!) as Record<string, any>;
    expect(m).toMatchObject({
      name: 'RISE RISC-V Runners Staging',
      hook_attributes: { url: `${web.url}/webhook`, active: true },
      redirect_url: `${web.url}/setup/callback`,
      default_permissions: { organization_self_hosted_runners: 'write' },
    });
    expect(m.$comment).toBeUndefined();

    const callback = await createOnGitHub(action!, manifest!);
    expect(callback.origin + callback.pathname).toBe(`${web.url}/setup/callback`);
    expect(sim.apps.org.name).toBe('RISE RISC-V Runners Staging');
    expect(sim.apps.org.webhook.url).toBe(`${web.url}/webhook`);

    const shown = await web.fetch(callback.pathname + callback.search, { token });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(shown.headers.get('referrer-policy')).toBe('no-referrer');
    for (const name of ['GHAPP_ORG_APP_ID', 'GHAPP_ORG_PRIVATE_KEY', 'GHAPP_WEBHOOK_SECRET']) {
      expect(shown.text).toContain(`data-variable="${name}"`);
    }
    expect(shown.text).toContain(`>${sim.apps.org.id}</pre>`);
    expect(shown.text).toContain(sim.apps.org.privateKeyPem.trim().split('\n')[1]);
    expect(shown.text).toContain(sim.apps.org.webhook.secret!);

    // The code is single-use at GitHub, and nothing was kept here.
    const again = await web.fetch(callback.pathname + callback.search, { token });
    expect(again.status).toBe(410);
    expect(again.text).not.toContain(sim.apps.org.webhook.secret!);
    expect(sim.calls().byRoute['POST /app-manifests/{code}/conversions']).toBe(2);
  });

  it('takes only a state this deployment signed', async () => {
    const { action, manifest } = await start('personal');
    const callback = await createOnGitHub(action!, manifest!);
    expect(sim.apps.personal.name).toBe('RISE RISC-V Runners (user) Staging');
    const code = callback.searchParams.get('code')!;
    const forged = await web.fetch(
      `/setup/callback?code=${code}&state=personal.9999999999999.x.y`,
      {
        token,
      },
    );
    expect(forged.status).toBe(400);
    expect(forged.text).toContain('start again at /setup');
    const noCode = await web.fetch(`/setup/callback?state=${callback.searchParams.get('state')}`, {
      token,
    });
    expect(noCode.status).toBe(400);
    // The forged attempt did not use the code up.
    const shown = await web.fetch(callback.pathname + callback.search, { token });
    expect(shown.text).toContain('data-variable="GHAPP_PERSONAL_APP_ID"');
  });
});

describe('/setup/check', () => {
  let checker: SetupWeb;
  let acmeInstallation: number;

  beforeAll(async () => {
    sim.addOrg({ login: 'acme' });
    sim.addUser({ login: 'alice' });
    sim.addRepo({ owner: 'alice', name: 'tools' });
    acmeInstallation = sim.installApp('org', 'acme').id;
    checker = await startSetupWeb({
      ...stores(),
      apps: {
        org: { appId: sim.apps.org.id, privateKey: sim.apps.org.privateKeyPem },
        personal: { appId: sim.apps.personal.id, privateKey: sim.apps.personal.privateKeyPem },
      },
    });
  });
  afterAll(async () => {
    await checker?.close();
  });

  const check = async (query: string, on = checker) => {
    const res = await on.fetch(`/setup/check.json?${query}`, { token });
    return {
      status: res.status,
      report: res.json as {
        ok: boolean;
        checks: { name: string; status: string; message: string }[];
      },
    };
  };
  const statusOf = (r: { checks: { name: string; status: string }[] }, name: string) =>
    r.checks.filter((c) => c.name === name).map((c) => c.status);

  it('an organization with the org App: ready; the group is missing until the worker makes it', async () => {
    const { status, report } = await check(`installation_id=${acmeInstallation}`);
    expect(status).toBe(200);
    expect(report.ok).toBe(true);
    expect(statusOf(report, 'app')).toEqual(['ok']);
    expect(statusOf(report, 'permissions')).toEqual(['ok']);
    expect(statusOf(report, 'runner_group')).toEqual(['warn']);
    expect(statusOf(report, 'jit')).toEqual(['ok']);
    // The test runner was deleted at once.
    expect(sim.listRunners().filter((r) => r.name.includes('setup-check'))).toEqual([]);

    const worker = createGitHub({
      baseUrl: gh.url,
      apps: { org: { appId: sim.apps.org.id, privateKey: sim.apps.org.privateKeyPem } },
    });
    await worker.ensureRunnerGroup(
      { installationId: acmeInstallation, entityType: 'Organization' },
      'acme',
      NAMES.runnerGroup,
    );
    const after = (await check(`installation_id=${acmeInstallation}`)).report;
    expect(statusOf(after, 'runner_group')).toEqual(['ok']);
  });

  it('a personal account: repository runners, minted in the repository given', async () => {
    const id = sim.installApp('personal', 'alice').id;
    const without = (await check(`installation_id=${id}`)).report;
    expect(without.ok).toBe(true);
    expect(statusOf(without, 'jit')).toEqual(['skipped']);
    const within = (await check(`installation_id=${id}&repo=alice/tools`)).report;
    expect(statusOf(within, 'jit')).toEqual(['ok']);
  });

  it('an installation of neither App is "installation not found", with what to do', async () => {
    const { report } = await check('installation_id=424242');
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'installation')?.message).toMatch(
      /belongs to neither App .* another App/,
    );
  });

  it('an installation without the permissions the code uses fails, naming them', async () => {
    sim.addOrg({ login: 'narrow' });
    const id = sim.installApp('org', 'narrow', {
      permissions: { metadata: 'read', actions: 'read' },
    }).id;
    const { report } = await check(`installation_id=${id}`);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'permissions')?.message).toContain(
      'organization_self_hosted_runners: write',
    );
  });

  it('without App credentials in web it says how to lend them', async () => {
    const { report } = await check(`installation_id=${acmeInstallation}`, web);
    expect(report.ok).toBe(false);
    expect(report.checks[0]?.message).toContain('deploy/components/setup-check');
  });

  it('bad parameters are a 400 naming the field; the HTML page shows each check', async () => {
    expect((await check('installation_id=abc')).status).toBe(400);
    expect((await check('installation_id=1&repo=nope')).status).toBe(400);
    const page = await checker.fetch(`/setup/check?installation_id=${acmeInstallation}`, { token });
    expect(page.text).toContain('Ready to serve jobs');
    expect(page.text).toContain('data-check="jit"');
  });
});

describe('judging an installation', () => {
  it('the org App on a personal account is the wrong App: install the personal one', () => {
    const checks = judgeInstallation('org', {
      account: { login: 'alice', type: 'User' },
      permissions: { organization_self_hosted_runners: 'write', actions: 'read', metadata: 'read' },
      suspended_at: null,
    });
    expect(checks).toEqual([
      expect.objectContaining({
        name: 'app',
        status: 'fail',
        message: expect.stringContaining('install the personal-account App there instead'),
      }),
    ]);
    const suspended = judgeInstallation('personal', {
      account: { login: 'alice', type: 'User' },
      permissions: { administration: 'write', actions: 'read', metadata: 'read' },
      suspended_at: '2026-01-01T00:00:00Z',
    });
    expect(suspended.map((c) => c.status)).toEqual(['ok', 'fail', 'ok']);
  });
});
