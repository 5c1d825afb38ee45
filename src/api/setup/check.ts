import { randomBytes } from 'node:crypto';
import type { AppKind } from './manifests.js';
import { APP_KINDS, requiredPermissions, VARIABLES } from './manifests.js';
import { GitHubCallError, type AppClient, type InstallationInfo } from './github.js';

export type Status = 'ok' | 'fail' | 'warn' | 'skipped';
export interface Check {
  name: 'credentials' | 'installation' | 'app' | 'permissions' | 'token' | 'runner_group' | 'jit';
  status: Status;
  message: string;
}
export interface CheckReport {
  installationId: number;
  ok: boolean;
  app?: AppKind;
  account?: { login: string; type: string };
  checks: Check[];
}

export interface CheckDeps {
  clients: Partial<Record<AppKind, AppClient>>;
  names: { runnerPrefix: string; runnerGroup: string };
}

const APP_FOR_ACCOUNT: Record<string, AppKind> = { Organization: 'org', User: 'personal' };
const LABEL = { org: 'organization App', personal: 'personal-account App' } as const;

/** Which App an account type needs, and what is wrong with the one it has (pure). */
export function judgeInstallation(
  kind: AppKind,
  inst: Pick<InstallationInfo, 'account' | 'permissions' | 'suspended_at'>,
): Check[] {
  const type = inst.account?.type ?? 'unknown';
  const wanted = APP_FOR_ACCOUNT[type];
  const checks: Check[] = [];
  if (wanted !== kind) {
    checks.push({
      name: 'app',
      status: 'fail',
      message: wanted
        ? `the ${LABEL[kind]} is installed on ${type === 'User' ? 'a personal account' : 'an organization'} (${inst.account?.login}): install the ${LABEL[wanted]} there instead, and uninstall this one (jobs would fail with "installation not found")`
        : `the installation is on an account of type ${type}, which neither App serves`,
    });
    return checks;
  }
  const needs = type === 'User' ? 'a personal account' : 'an organization';
  checks.push({ name: 'app', status: 'ok', message: `the ${LABEL[kind]}, which ${needs} needs` });
  if (inst.suspended_at) {
    checks.push({
      name: 'app',
      status: 'fail',
      message: `suspended since ${inst.suspended_at}: unsuspend it in the account's installation settings`,
    });
  }
  const missing = Object.entries(requiredPermissions(kind)).filter(
    ([perm, level]) =>
      !(inst.permissions[perm] === 'write' || (level === 'read' && inst.permissions[perm])),
  );
  checks.push(
    missing.length === 0
      ? { name: 'permissions', status: 'ok', message: 'every permission the code uses is granted' }
      : {
          name: 'permissions',
          status: 'fail',
          message: `not granted: ${missing.map(([p, l]) => `${p}: ${l}`).join(', ')} (accept the App's requested permissions in the installation settings)`,
        },
  );
  return checks;
}

const describe = (err: unknown) =>
  err instanceof GitHubCallError
    ? `${err.status} ${err.message}`
    : err instanceof Error
      ? err.message
      : String(err);

async function findInstallation(
  deps: CheckDeps,
  id: number,
  checks: Check[],
): Promise<{ kind: AppKind; client: AppClient; inst: InstallationInfo } | undefined> {
  const tried: string[] = [];
  for (const kind of APP_KINDS) {
    const client = deps.clients[kind];
    if (!client) continue;
    tried.push(`${LABEL[kind]} ${client.appId}`);
    try {
      return { kind, client, inst: await client.installation(id) };
    } catch (err) {
      if (err instanceof GitHubCallError && err.status === 404) continue;
      checks.push({
        name: 'installation',
        status: 'fail',
        message: `asking as the ${LABEL[kind]}: ${describe(err)}`,
      });
      return undefined;
    }
  }
  checks.push({
    name: 'installation',
    status: 'fail',
    message: `installation ${id} belongs to neither App (${tried.join(', ')}): it was removed, or it is an installation of another App, e.g. someone else's public App instead of yours`,
  });
  return undefined;
}

/**
 * Whether an installation can be served: it belongs to the right App for its account type, with
 * the permissions the code uses; for organizations, whether our runner group exists; and whether
 * a JIT config can be minted (one runner is registered and deleted at once; its name carries our
 * prefix, so reconciliation removes it should the delete fail). Personal accounts need `repo`.
 */
export async function checkInstallation(
  deps: CheckDeps,
  installationId: number,
  repo?: string,
): Promise<CheckReport> {
  const checks: Check[] = [];
  const report = (extra: Partial<CheckReport> = {}): CheckReport => ({
    installationId,
    checks,
    ok: checks.every((c) => c.status !== 'fail'),
    ...extra,
  });
  const missing = APP_KINDS.filter((k) => !deps.clients[k]);
  if (missing.length === APP_KINDS.length) {
    checks.push({
      name: 'credentials',
      status: 'fail',
      message: `web has no App credentials (${APP_KINDS.flatMap((k) => VARIABLES[k].slice(0, 2)).join(', ')}); lend them with deploy/components/setup-check`,
    });
    return report();
  }
  if (missing.length > 0) {
    checks.push({
      name: 'credentials',
      status: 'warn',
      message: `only the ${LABEL[APP_KINDS.find((k) => !missing.includes(k))!]} is configured here: installations of the other are reported as not found`,
    });
  }
  const found = await findInstallation(deps, installationId, checks);
  if (!found) return report();
  const { kind, client, inst } = found;
  const account = { login: inst.account?.login ?? '', type: inst.account?.type ?? 'unknown' };
  checks.push({
    name: 'installation',
    status: 'ok',
    message: `installation ${installationId} of the ${LABEL[kind]} (App ${client.appId}) on ${account.login}`,
  });
  const judged = judgeInstallation(kind, inst);
  checks.push(...judged);
  if (judged.some((c) => c.status === 'fail')) return report({ app: kind, account });

  let token: string;
  try {
    token = await client.token(installationId, { ...SCOPE_PERMISSION[kind] });
    checks.push({ name: 'token', status: 'ok', message: 'an installation token was issued' });
  } catch (err) {
    checks.push({ name: 'token', status: 'fail', message: describe(err) });
    return report({ app: kind, account });
  }

  let groupId = 1;
  let runnersPath: string | undefined;
  if (kind === 'org') {
    runnersPath = `/orgs/${encodeURIComponent(account.login)}/actions/runners`;
    try {
      const group = (await client.runnerGroups(token, account.login)).find(
        (g) => g.name === deps.names.runnerGroup,
      );
      if (group) groupId = group.id;
      checks.push(
        group
          ? {
              name: 'runner_group',
              status: 'ok',
              message: `"${group.name}" exists (id ${group.id})`,
            }
          : {
              name: 'runner_group',
              status: 'warn',
              message: `"${deps.names.runnerGroup}" does not exist yet: the worker creates it for the first job`,
            },
      );
    } catch (err) {
      checks.push({ name: 'runner_group', status: 'fail', message: describe(err) });
    }
  } else {
    checks.push({
      name: 'runner_group',
      status: 'skipped',
      message: 'personal accounts get repository runners, without a group',
    });
    if (repo) runnersPath = `/repos/${repo}/actions/runners`;
  }

  if (!runnersPath) {
    checks.push({
      name: 'jit',
      status: 'skipped',
      message: 'add &repo=owner/name (a repository of this account) to mint a test runner there',
    });
    return report({ app: kind, account });
  }
  const name = `${deps.names.runnerPrefix}setup-check-${randomBytes(4).toString('hex')}`;
  try {
    const runner = await client.mintJit(token, runnersPath, {
      name,
      labels: ['rise-setup-check'],
      groupId,
    });
    try {
      await client.deleteRunner(token, runnersPath, runner.id);
      checks.push({ name: 'jit', status: 'ok', message: `minted runner ${name}, and deleted it` });
    } catch (err) {
      checks.push({
        name: 'jit',
        status: 'warn',
        message: `minted runner ${name}, but deleting it failed (${describe(err)}); reconciliation will remove it`,
      });
    }
  } catch (err) {
    checks.push({ name: 'jit', status: 'fail', message: `minting a JIT config: ${describe(err)}` });
  }
  return report({ app: kind, account });
}

const SCOPE_PERMISSION: Record<AppKind, Record<string, 'write'>> = {
  org: { organization_self_hosted_runners: 'write' },
  personal: { administration: 'write' },
};
