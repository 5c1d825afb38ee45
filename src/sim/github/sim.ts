import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import express from 'express';
import type { GitHubSim, GitHubSimOptions, Listening } from './api.js';
import { CallCounter } from './calls.js';
import { createClock } from './clock.js';
import { controlErrorHandler, controlRouter } from './control.js';
import { GitHubError } from './errors.js';
import { GitHubFaults } from './faults.js';
import { Installations } from './installations.js';
import { Jobs } from './jobs.js';
import { RateLimits } from './rate-limit.js';
import { errorHandler, routeDefiner } from './route.js';
import { appRoutes } from './routes/app.js';
import { appManifestRoutes } from './routes/app-manifests.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { jobRoutes } from './routes/jobs.js';
import { repoRoutes } from './routes/repos.js';
import { runnerGroupRoutes } from './routes/runner-groups.js';
import { runnerRoutes } from './routes/runners.js';
import { Runners } from './runners.js';
import { GitHubState } from './state.js';
import { InstallationTokens } from './tokens.js';
import { WebhookSender } from './webhooks.js';

export function createGitHubSim(options: GitHubSimOptions = {}): GitHubSim {
  const clock = createClock(options.now);
  const state = new GitHubState(clock, options.apps);
  const faults = new GitHubFaults(options.seed ?? 1);
  const calls = new CallCounter();
  const tokens = new InstallationTokens(state, options.tokenTtlMs ?? 3_600_000);
  const webhooks = new WebhookSender(state, faults, {
    timeoutMs: options.webhookTimeoutMs,
    fetch: options.fetch,
    maxDeliveries: options.maxDeliveries,
  });
  const runners = new Runners(state);
  const jobs = new Jobs(state, webhooks, options.defaultJobDurationMs ?? 1000);
  const installations = new Installations(state, tokens, webhooks);
  const rateLimits = new RateLimits(clock, options.rateLimit ?? 5000);
  const anonymousLimits = new RateLimits(clock, 60);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  let requestSeq = 0;
  app.use((_req, res, next) => {
    // @octokit/auth-app reads Date to correct clock skew, so it follows the simulated clock.
    res.setHeader('Date', new Date(clock.now()).toUTCString());
    res.setHeader('X-GitHub-Media-Type', 'github.v3; format=json');
    res.setHeader('X-GitHub-Request-Id', `SIM:${(requestSeq += 1).toString(16).toUpperCase()}`);
    next();
  });
  app.use(express.json({ limit: '1mb' }));

  const api = express.Router();
  const route = routeDefiner(api, { state, tokens, faults, calls, rateLimits, anonymousLimits });
  appRoutes(route, { state, tokens });
  deliveryRoutes(route, { state, webhooks });
  runnerGroupRoutes(route, { state, runners });
  runnerRoutes(route, { state, runners });
  jobRoutes(route, { state });
  repoRoutes(route, { state });
  appManifestRoutes(api, { state, calls });

  const servers = new Set<Listening>();
  const sim: GitHubSim = {
    app,
    controlRouter: express.Router(),
    state,
    clock,
    faults,
    tokens,
    runners,
    jobs,
    installations,
    webhooks,
    apps: state.apps,
    addOrg: (input) => state.addAccount('Organization', input),
    addUser: (input) => state.addAccount('User', input),
    addRepo: (input) => state.addRepo(input),
    installApp: (kind, login, opts) => installations.install(kind, login, opts),
    suspendInstallation: (id) => installations.suspend(id),
    unsuspendInstallation: (id) => installations.unsuspend(id),
    deleteInstallation: (id) => installations.delete(id),
    queueJob: (input) => jobs.queue(input),
    getJob: (id) => jobs.get(id),
    listJobs: (filter) => jobs.list(filter),
    cancelJob: (id) => jobs.cancel(id),
    listRunners: () => [...state.runners.values()],
    setWebhookTarget(url, secret, kind) {
      for (const k of kind ? [kind] : (['org', 'personal'] as const)) {
        state.apps[k].webhook = { url, secret };
      }
    },
    deliveries: (kind) => [...state.deliveries[kind]],
    calls: () => calls.snapshot(),
    resetCalls: () => calls.reset(),
    expireTokens: (id) => tokens.expire(id),
    idle: () => webhooks.idle(),
    listen: async (port = 0, host = '127.0.0.1') => {
      const l = await listen(app, port, host);
      const handle: Listening = {
        url: l.url,
        close: () => {
          servers.delete(handle);
          return l.close();
        },
      };
      servers.add(handle);
      return handle;
    },
    close: async () => {
      await Promise.all([...servers].map((s) => s.close()));
    },
  };

  controlRouter(sim, sim.controlRouter);
  app.use('/_sim', sim.controlRouter);
  app.use(api);
  app.use((_req, _res) => {
    throw new GitHubError(404, 'Not Found');
  });
  app.use('/_sim', controlErrorHandler);
  app.use(errorHandler);
  return sim;
}

function listen(app: Express, port: number, host: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server: Server = app.listen(port, host, (err?: Error) => {
      if (err) return reject(err);
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Octokit keeps connections alive; without this close() waits for them to idle out.
            server.closeAllConnections();
          }),
      });
    });
  });
}
