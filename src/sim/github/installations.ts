import type { AppKind, Installation } from './model.js';
import type { InstallationAction } from './payloads.js';
import { installationPayload } from './payloads.js';
import type { GitHubState } from './state.js';
import type { InstallationTokens } from './tokens.js';
import type { WebhookSender } from './webhooks.js';

// Users have no runner groups, so the personal App needs `administration` for repository
// runners; the org App may register either kind.
const PERMISSIONS: Record<AppKind, Installation['permissions']> = {
  org: {
    metadata: 'read',
    actions: 'read',
    administration: 'write',
    organization_self_hosted_runners: 'write',
  },
  personal: { metadata: 'read', actions: 'read', administration: 'write' },
};

export interface InstallOptions {
  id?: number;
  /** Narrower grants make the runner routes answer 403, as GitHub does. */
  permissions?: Installation['permissions'];
}

/** Installing, suspending and removing the Apps, with the `installation` webhooks GitHub sends. */
export class Installations {
  constructor(
    private readonly state: GitHubState,
    private readonly tokens: InstallationTokens,
    private readonly webhooks: WebhookSender,
  ) {}

  install(app: AppKind, login: string, opts: InstallOptions = {}): Installation {
    const account = this.state.account(login);
    if (!account) throw new Error(`unknown account ${login}`);
    const wanted = app === 'org' ? 'Organization' : 'User';
    if (account.type !== wanted) {
      throw new Error(`the ${app} App installs on a ${wanted}; ${login} is a ${account.type}`);
    }
    if (this.state.installationOn(app, account.id)) {
      throw new Error(`the ${app} App is already installed on ${login}`);
    }
    const now = this.state.clock.iso();
    const inst: Installation = {
      id: opts.id ?? this.state.nextId('installation'),
      app,
      account,
      permissions: opts.permissions ?? PERMISSIONS[app],
      repositorySelection: 'all',
      createdAt: now,
      updatedAt: now,
      suspendedAt: null,
      deleted: false,
    };
    this.state.installations.set(inst.id, inst);
    this.notify('created', inst);
    return inst;
  }

  suspend(id: number): Installation {
    const inst = this.live(id);
    inst.suspendedAt = this.state.clock.iso();
    inst.updatedAt = inst.suspendedAt;
    this.notify('suspend', inst);
    return inst;
  }

  unsuspend(id: number): Installation {
    const inst = this.live(id);
    inst.suspendedAt = null;
    inst.updatedAt = this.state.clock.iso();
    this.notify('unsuspend', inst);
    return inst;
  }

  /** Uninstalling revokes the installation's tokens at once. */
  delete(id: number): Installation {
    const inst = this.live(id);
    inst.deleted = true;
    inst.updatedAt = this.state.clock.iso();
    this.tokens.revoke(id);
    this.notify('deleted', inst);
    return inst;
  }

  private live(id: number): Installation {
    const inst = this.state.installations.get(id);
    if (!inst || inst.deleted) throw new Error(`no installation ${id}`);
    return inst;
  }

  private notify(action: InstallationAction, inst: Installation): void {
    const sender = inst.account.type === 'User' ? inst.account : this.state.actor;
    const payload = installationPayload(
      action,
      inst,
      this.state.apps[inst.app],
      this.state.reposOf(inst.account.id),
      sender,
    );
    void this.webhooks.send(inst.app, 'installation', payload, {
      installationId: inst.id,
      repositoryId: null,
      orderKey: `installation:${inst.id}`,
    });
  }
}
