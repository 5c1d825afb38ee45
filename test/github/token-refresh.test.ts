import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createGitHub } from '../../src/github/client.js';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

const MINT = 'POST /app/installations/{installation_id}/access_tokens';
const RUNNERS = 'GET /orgs/{org}/actions/runners';

let sim: GitHubSim;
let server: Listening;

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps() });
  sim.addOrg({ login: 'acme' });
  server = await sim.listen();
});

afterAll(async () => {
  await sim.close();
});

// Its own file, so that it runs beside the others: auth-app first retries a 401 for 5 s after a
// token is minted (GitHub takes a moment to know a new token), which this test has to sit out.
it('mints a new token when GitHub refuses the cached one, and retries the call once', async () => {
  const inst = {
    installationId: sim.installApp('org', 'acme').id,
    entityType: 'Organization' as const,
  };
  const warnings: string[] = [];
  const log = createLogger(
    { level: 'warn' },
    { write: (line: string) => void warnings.push(line) },
  );
  const github = createGitHub({
    baseUrl: server.url,
    apps: { org: { appId: sim.apps.org.id, privateKey: sim.apps.org.privateKeyPem } },
    log,
  });
  const scope = { kind: 'org', org: 'acme' } as const;
  await github.listRunners(inst, scope);
  // Revoked: auth-app would keep the token for 59 minutes and every call would answer 401.
  expect(sim.expireTokens(inst.installationId)).toBe(1);
  sim.resetCalls();
  expect(await github.listRunners(inst, scope)).toEqual([]);
  const { byRoute } = sim.calls();
  expect(byRoute[MINT]).toBe(1);
  // Refused four times (auth-app's waits of 1, 2 and 3 s), then answered with the new token.
  expect(byRoute[RUNNERS]).toBe(5);
  expect(warnings.filter((w) => /token replication delay/.test(w))).toHaveLength(3);
}, 20_000);
