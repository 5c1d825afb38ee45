import githubAppJwt from 'universal-github-app-jwt';
import type { Octokit } from '@octokit/core';

export interface AppCredentials {
  appId: number;
  privateKey: string;
}

interface Cached {
  token: string;
  expiresAt: number;
}

/**
 * Installation access tokens for one GitHub App, cached until shortly before GitHub says they
 * expire (an hour, by default). @octokit/auth-app keeps them 59 minutes whatever `expires_at`
 * says. Concurrent requests for one installation share one mint.
 */
export class InstallationTokens {
  private readonly cache = new Map<number, Cached>();
  private readonly inflight = new Map<number, Promise<Cached>>();

  constructor(
    private readonly octokit: Octokit,
    private readonly app: AppCredentials,
    private readonly opts: { refreshBeforeMs?: number; now?: () => number } = {},
  ) {}

  /** A JWT proving we are the App (10 minutes, as GitHub allows). */
  async appJwt(): Promise<string> {
    const { token } = await githubAppJwt({ id: this.app.appId, privateKey: this.app.privateKey });
    return token;
  }

  async get(installationId: number): Promise<string> {
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(installationId);
    if (hit && hit.expiresAt - (this.opts.refreshBeforeMs ?? 5 * 60_000) > now) return hit.token;
    let pending = this.inflight.get(installationId);
    if (!pending) {
      pending = this.mint(installationId).finally(() => this.inflight.delete(installationId));
      this.inflight.set(installationId, pending);
    }
    return (await pending).token;
  }

  /** Forget a token GitHub refused (revoked, or the installation changed). */
  invalidate(installationId: number): void {
    this.cache.delete(installationId);
  }

  private async mint(installationId: number): Promise<Cached> {
    const jwt = await this.appJwt();
    const { data } = await this.octokit.request(
      'POST /app/installations/{installation_id}/access_tokens',
      { installation_id: installationId, headers: { authorization: `bearer ${jwt}` } },
    );
    const entry = { token: data.token, expiresAt: Date.parse(data.expires_at) };
    this.cache.set(installationId, entry);
    return entry;
  }
}
