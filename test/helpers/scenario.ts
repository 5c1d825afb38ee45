import type { Simulator } from '../../src/sim/index.js';
import type { TestSystem } from './system.js';
import { waitFor } from './wait.js';

/** An organization with one repository and the org App installed. */
export function org(sim: Simulator, login: string, repo = 'app', id?: number) {
  const account = sim.github.addOrg({ login, ...(id ? { id } : {}) });
  sim.github.addRepo({ owner: login, name: repo });
  const installation = sim.github.installApp('org', login);
  return { account, installation, repo: `${login}/${repo}` };
}

/** A personal account with one repository and the personal App installed. */
export function user(sim: Simulator, login: string, repo = 'tool') {
  const account = sim.github.addUser({ login });
  const r = sim.github.addRepo({ owner: login, name: repo });
  const installation = sim.github.installApp('personal', login);
  return { account, installation, repo: `${login}/${repo}`, repoId: r.id };
}

export const jobRow = async (sys: TestSystem, id: number) =>
  (await sys.query('select * from jobs where job_id = $1', [id]))[0];

export function waitForJob(sys: TestSystem, id: number, status: string, timeoutMs = 10_000) {
  return waitFor(
    async () => ((await jobRow(sys, id))?.status === status ? jobRow(sys, id) : undefined),
    {
      timeoutMs,
      what: `job ${id} ${status}`,
    },
  );
}
