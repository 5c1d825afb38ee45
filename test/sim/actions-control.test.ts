import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionsControlRouter, createActionsRuntime } from '../../src/sim/actions/index.js';
import type { ActionsRuntime } from '../../src/sim/actions/index.js';
import type { GitHubSim, Listening } from '../../src/sim/github/index.js';
import { createGitHubSim } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: GitHubSim;
let actions: ActionsRuntime;
let server: Listening;

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps() });
  actions = createActionsRuntime({ github: sim });
  sim.controlRouter.use('/actions', actionsControlRouter(actions));
  server = await sim.listen();
});

afterAll(() => sim.close());

const post = (path: string, body: unknown) =>
  fetch(`${server.url}/_sim/actions${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

it('arms, lists and clears runner faults over HTTP', async () => {
  expect((await post('/faults/never-register', { count: 2 })).status).toBe(204);
  expect((await post('/faults/crash', { afterMs: 5 })).status).toBe(204);
  expect((await post('/faults/crash', { afterMs: -1 })).status).toBe(400);
  const faults = await (await fetch(`${server.url}/_sim/actions/faults`)).json();
  expect(faults).toEqual({ neverRegister: 2, crashMidJob: [{ afterMs: 5 }] });
  await fetch(`${server.url}/_sim/actions/faults`, { method: 'DELETE' });
  expect(actions.faults.snapshot()).toEqual({ neverRegister: 0, crashMidJob: [] });
  expect(await (await fetch(`${server.url}/_sim/actions/processes`)).json()).toEqual([]);
});
