import { createSign } from 'node:crypto';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: GitHubSim;
let server: Listening;
let orgApp: App;
let personalApp: App;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const appFor = (kind: 'org' | 'personal', baseUrl = server.url) =>
  new App({
    appId: sim.apps[kind].id,
    privateKey: sim.apps[kind].privateKeyPem,
    Octokit: Octokit.defaults({ baseUrl }),
    log: silent,
  });

/** A hand-made App JWT, to test claims the real client would never send. */
function jwt(claims: Record<string, unknown>, pem: string): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const data = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${data}.${createSign('RSA-SHA256').update(data).sign(pem, 'base64url')}`;
}

async function status(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
    return { status: 200, message: '' };
  } catch (err) {
    const e = err as { status?: number; message?: string };
    if (typeof e.status !== 'number') throw err;
    return { status: e.status, message: e.message ?? '' };
  }
}

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps(), tokenTtlMs: 60_000 });
  sim.addOrg({ login: 'acme' });
  sim.addUser({ login: 'alice' });
  sim.addRepo({ owner: 'acme', name: 'widgets' });
  sim.addRepo({ owner: 'alice', name: 'dotfiles' });
  sim.installApp('org', 'acme');
  sim.installApp('personal', 'alice');
  server = await sim.listen();
  orgApp = appFor('org');
  personalApp = appFor('personal');
});

afterAll(async () => {
  await server.close();
});

describe('App JWT', () => {
  it('authenticates each App with its own key', async () => {
    const { data } = await orgApp.octokit.request('GET /app');
    expect(data).toMatchObject({ id: sim.apps.org.id, slug: sim.apps.org.slug });
    const personal = await personalApp.octokit.request('GET /app');
    expect(personal.data?.id).toBe(sim.apps.personal.id);
  });

  it('rejects a JWT signed with the other App key (401) and an unknown App id (404)', async () => {
    const forged = new App({
      appId: sim.apps.org.id,
      privateKey: sim.apps.personal.privateKeyPem,
      Octokit: Octokit.defaults({ baseUrl: server.url }),
      log: silent,
    });
    expect(await status(forged.octokit.request('GET /app'))).toEqual({
      status: 401,
      message: expect.stringContaining('A JSON web token could not be decoded'),
    });
    const unknown = new App({
      appId: 999_999,
      privateKey: sim.apps.org.privateKeyPem,
      Octokit: Octokit.defaults({ baseUrl: server.url }),
      log: silent,
    });
    expect((await status(unknown.octokit.request('GET /app'))).status).toBe(404);
  });

  it('rejects expired, future and too-long JWTs beyond 60 s of skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const pem = sim.apps.org.privateKeyPem;
    const call = (claims: Record<string, unknown>) =>
      status(
        new Octokit({
          baseUrl: server.url,
          auth: jwt({ iss: sim.apps.org.id, ...claims }, pem),
        }).request('GET /app'),
      );
    expect(await call({ iat: now - 700, exp: now - 61 })).toMatchObject({
      status: 401,
      message: expect.stringContaining("'Expiration time' claim ('exp') must be a numeric value"),
    });
    expect((await call({ iat: now - 600, exp: now - 30 })).status).toBe(200);
    expect(await call({ iat: now + 120, exp: now + 300 })).toMatchObject({
      status: 401,
      message: expect.stringContaining("'Issued at' claim"),
    });
    expect(await call({ iat: now, exp: now + 3600 })).toMatchObject({
      status: 401,
      message: expect.stringContaining('too far in the future'),
    });
    expect((await call({ iat: now, exp: now + 600 })).status).toBe(200);
  });

  it('lists only its own installations and finds them by account', async () => {
    const { data } = await orgApp.octokit.request('GET /app/installations');
    expect(data.map((i) => i.account && 'login' in i.account && i.account.login)).toEqual(['acme']);
    const byOrg = await orgApp.octokit.request('GET /orgs/{org}/installation', { org: 'acme' });
    expect(byOrg.data.target_type).toBe('Organization');
    const byRepo = await personalApp.octokit.request('GET /repos/{owner}/{repo}/installation', {
      owner: 'alice',
      repo: 'dotfiles',
    });
    expect(byRepo.data.app_id).toBe(sim.apps.personal.id);
    const byUser = await status(
      orgApp.octokit.request('GET /users/{username}/installation', { username: 'alice' }),
    );
    expect(byUser.status).toBe(404);
  });
});

describe('installation tokens', () => {
  it('mints ghs_ tokens with an expiry, and 404s for the other App installations', async () => {
    const inst = sim.state.installationOn('org', sim.state.account('acme')!.id)!;
    const other = sim.state.installationOn('personal', sim.state.account('alice')!.id)!;
    const { data } = await orgApp.octokit.request(
      'POST /app/installations/{installation_id}/access_tokens',
      { installation_id: inst.id },
    );
    expect(data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const ttl = Date.parse(data.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(data.permissions).toMatchObject({ organization_self_hosted_runners: 'write' });
    const cross = orgApp.octokit.request(
      'POST /app/installations/{installation_id}/access_tokens',
      {
        installation_id: other.id,
      },
    );
    expect((await status(cross)).status).toBe(404);
  });

  it('stops accepting a token once it expires, and a token opens only its own account', async () => {
    const inst = sim.state.installationOn('org', sim.state.account('acme')!.id)!;
    const { data } = await orgApp.octokit.request(
      'POST /app/installations/{installation_id}/access_tokens',
      { installation_id: inst.id },
    );
    const client = new Octokit({ baseUrl: server.url, auth: data.token });
    const groups = await client.request('GET /orgs/{org}/actions/runner-groups', { org: 'acme' });
    expect(groups.status).toBe(200);
    const elsewhere = await status(
      client.request('GET /repos/{owner}/{repo}/actions/runners', {
        owner: 'alice',
        repo: 'dotfiles',
      }),
    );
    expect(elsewhere.status).toBe(404);

    // An hour on: the token is long gone, and App JWTs made from the real clock look expired.
    sim.clock.advance(3_600_000);
    try {
      const expired = await status(
        client.request('GET /orgs/{org}/actions/runner-groups', { org: 'acme' }),
      );
      expect(expired).toEqual({ status: 401, message: expect.stringContaining('Bad credentials') });
      // @octokit/auth-app corrects its JWT from our Date header, so App calls still work.
      const fresh = appFor('org');
      expect((await fresh.octokit.request('GET /app')).status).toBe(200);
    } finally {
      sim.clock.advance(-3_600_000);
    }
  });

  it('refuses tokens for suspended installations and forgets deleted ones', async () => {
    sim.addOrg({ login: 'gone' });
    const inst = sim.installApp('org', 'gone');
    const installation = await orgApp.getInstallationOctokit(inst.id);
    expect(
      (await installation.request('GET /orgs/{org}/actions/runners', { org: 'gone' })).status,
    ).toBe(200);

    sim.suspendInstallation(inst.id);
    const mint = () =>
      status(
        orgApp.octokit.request('POST /app/installations/{installation_id}/access_tokens', {
          installation_id: inst.id,
        }),
      );
    expect(await mint()).toMatchObject({ status: 403 });
    sim.unsuspendInstallation(inst.id);
    expect((await mint()).status).toBe(200);

    sim.deleteInstallation(inst.id);
    expect((await mint()).status).toBe(404);
    const get = orgApp.octokit.request('GET /app/installations/{installation_id}', {
      installation_id: inst.id,
    });
    expect((await status(get)).status).toBe(404);
  });

  it('answers 401 to unknown tokens and to JWTs on installation routes', async () => {
    const unknown = new Octokit({ baseUrl: server.url, auth: 'ghs_nope' });
    expect(
      (await status(unknown.request('GET /orgs/{org}/actions/runners', { org: 'acme' }))).status,
    ).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    const token = jwt(
      { iss: sim.apps.org.id, iat: now, exp: now + 300 },
      sim.apps.org.privateKeyPem,
    );
    const withJwt = new Octokit({ baseUrl: server.url, auth: token });
    const r = await status(withJwt.request('GET /orgs/{org}/actions/runners', { org: 'acme' }));
    expect(r.status).toBe(401);
  });
});
