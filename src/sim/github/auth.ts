import type { Request } from 'express';
import { GitHubError, badCredentials, notAccessible, notFound } from './errors.js';
import { verifyAppJwt } from './jwt.js';
import type { Account, Installation, Repo, SimApp } from './model.js';
import type { GitHubState } from './state.js';
import type { InstallationTokens } from './tokens.js';

/** `Authorization: bearer X` or `token X`, as Octokit sends either. */
function credential(req: Request): string | undefined {
  const m = /^(?:bearer|token)\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return m?.[1];
}

export function authenticateApp(req: Request, state: GitHubState): SimApp {
  const token = credential(req);
  if (!token) throw new GitHubError(401, 'Requires authentication');
  return verifyAppJwt(token, state.apps, state.clock);
}

/** Installation routes take installation tokens only; a JWT there is not a credential. */
export function authenticateInstallation(req: Request, tokens: InstallationTokens): Installation {
  const token = credential(req);
  if (!token) throw new GitHubError(401, 'Requires authentication');
  if (!token.startsWith('ghs_')) throw badCredentials();
  return tokens.authenticate(token);
}

/** An org the token's installation is on; other orgs' runners are forbidden, as on GitHub. */
export function accessibleOrg(state: GitHubState, inst: Installation, login: string): Account {
  const org = state.account(login);
  if (!org || org.type !== 'Organization') throw notFound();
  if (org.id !== inst.account.id) throw notAccessible();
  return org;
}

/** GitHub hides repositories an installation cannot see: they are not found. */
export function accessibleRepo(
  state: GitHubState,
  inst: Installation,
  owner: string,
  name: string,
): Repo {
  const repo = state.repo(owner, name);
  if (!repo || repo.owner.id !== inst.account.id) throw notFound();
  return repo;
}

/** Routes check the installation's grants; missing ones are GitHub's 403. */
export function requirePermission(inst: Installation, name: string, level: 'read' | 'write'): void {
  const granted = inst.permissions[name];
  if (!granted || (level === 'write' && granted !== 'write')) throw notAccessible();
}
