import { randomBytes } from 'node:crypto';
import { GitHubError, badCredentials, notFound } from './errors.js';
import type { AppKind, Installation } from './model.js';
import type { GitHubState } from './state.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function tokenText(): string {
  return `ghs_${[...randomBytes(36)].map((b) => BASE62[b % 62]).join('')}`;
}

export interface MintedToken {
  token: string;
  expires_at: string;
  permissions: Record<string, string>;
  repository_selection: string;
}

/** Installation access tokens: minted by an App for its own installations, with a lifetime. */
export class InstallationTokens {
  constructor(
    private readonly state: GitHubState,
    private readonly ttlMs: number,
  ) {}

  mint(app: AppKind, installationId: number): MintedToken {
    const inst = this.state.installations.get(installationId);
    // GitHub does not reveal another App's installations: they are simply not found.
    if (!inst || inst.deleted || inst.app !== app) throw notFound();
    if (inst.suspendedAt) throw new GitHubError(403, 'This installation has been suspended');
    const token = tokenText();
    const expiresAtMs = this.state.clock.now() + this.ttlMs;
    this.state.tokens.set(token, { token, installationId, expiresAtMs });
    return {
      token,
      expires_at: this.state.clock.iso(expiresAtMs),
      permissions: inst.permissions,
      repository_selection: inst.repositorySelection,
    };
  }

  /** The installation a presented token opens, or GitHub's 401/403. */
  authenticate(token: string): Installation {
    const t = this.state.tokens.get(token);
    if (!t || t.expiresAtMs <= this.state.clock.now()) throw badCredentials();
    const inst = this.state.installations.get(t.installationId);
    if (!inst || inst.deleted) throw badCredentials();
    if (inst.suspendedAt) throw new GitHubError(403, 'This installation has been suspended');
    return inst;
  }

  /** Ends every token of one installation (or all), as GitHub does on uninstall. */
  revoke(installationId?: number): number {
    let n = 0;
    for (const [key, t] of this.state.tokens) {
      if (installationId === undefined || t.installationId === installationId) {
        this.state.tokens.delete(key);
        n += 1;
      }
    }
    return n;
  }

  /** Makes tokens look expired without moving the clock (tests of token refresh). */
  expire(installationId?: number): number {
    let n = 0;
    const now = this.state.clock.now();
    for (const t of this.state.tokens.values()) {
      if (installationId === undefined || t.installationId === installationId) {
        t.expiresAtMs = Math.min(t.expiresAtMs, now);
        n += 1;
      }
    }
    return n;
  }
}
