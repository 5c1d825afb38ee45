import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { PermanentError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isStatus } from './errors.js';
import { resilience, type ResilienceOptions } from './resilience.js';

export interface AppCredentials {
  appId: number;
  privateKey: string;
}

export interface OctokitSettings {
  baseUrl: string;
  resilience: ResilienceOptions;
  /** For tests and benchmarks: a fetch to count or fail calls. */
  fetch?: typeof fetch;
  log?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

/** Our Octokit: typed routes, `paginate`, and our timeouts, retries and rate-limit waits. */
export function octokitClass(s: OctokitSettings) {
  return Octokit.plugin(paginateRest, resilience(s.resilience)).defaults({
    baseUrl: s.baseUrl,
    userAgent: 'rise-riscv-runners',
    request: s.fetch ? { fetch: s.fetch } : {},
  });
}

export type GitHubOctokit = InstanceType<ReturnType<typeof octokitClass>>;

/** Octokit's logger shape over pino: the message first, details (if any) as fields. */
const octokitLog = (log: NonNullable<OctokitSettings['log']>) => ({
  debug: (message: string, info?: object) => log.debug(info ?? {}, message),
  info: (message: string, info?: object) => log.info(info ?? {}, message),
  warn: (message: string, info?: object) => log.warn(info ?? {}, message),
  error: (message: string, info?: object) => log.error(info ?? {}, message),
});

export interface AppClient {
  /** Acts as the App itself (a JWT; auth-app corrects it for clock skew from GitHub's Date). */
  octokit: GitHubOctokit;
  /** Acts as one installation, with a token from auth-app's cache (minted when missing). */
  installation(installationId: number): Promise<GitHubOctokit>;
  /** Mints a new token for an installation, replacing the cached one GitHub refused. */
  refresh(installationId: number): Promise<void>;
}

/**
 * One GitHub App through @octokit/app. Tokens are auth-app's: cached per App for 59 minutes, one
 * mint at a time per installation. We mint through the App's own Octokit before each call, so
 * the mint has our timeout, retries and metrics, and an installation that is gone or suspended
 * becomes a PermanentError rather than an error of whichever route needed the token.
 */
export function createAppClient(
  creds: AppCredentials,
  Client: ReturnType<typeof octokitClass>,
  log?: OctokitSettings['log'],
): AppClient {
  const app = new App({
    appId: creds.appId,
    privateKey: creds.privateKey,
    Octokit: Client,
    ...(log ? { log: octokitLog(log) } : {}),
  });
  // An Octokit per installation, built once: they share the App's token cache, and building one
  // (hooks, plugins, auth state) on every call would cost CPU on the provisioning path.
  const clients = new Map<number, Promise<GitHubOctokit>>();

  async function token(installationId: number, refresh: boolean): Promise<void> {
    try {
      await app.octokit.auth({ type: 'installation', installationId, refresh });
    } catch (err) {
      if (isStatus(err, 404, 403, 401)) {
        throw new PermanentError(
          `installation ${installationId} is gone or suspended`,
          'installation_unavailable',
          { installationId, scope: 'installation' },
        );
      }
      throw err;
    }
  }

  return {
    octokit: app.octokit,
    async installation(installationId) {
      await token(installationId, false);
      let client = clients.get(installationId);
      if (!client) {
        client = app.getInstallationOctokit(installationId);
        clients.set(installationId, client);
      }
      return client;
    },
    refresh: (installationId) => token(installationId, true),
  };
}
