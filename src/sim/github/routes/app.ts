import { notFound } from '../errors.js';
import type { Account, Installation, SimApp } from '../model.js';
import { paginate } from '../pagination.js';
import { idParam, param } from '../params.js';
import type { DefineRoute } from '../route.js';
import { appJson, installationJson } from '../serialize.js';
import type { GitHubState } from '../state.js';
import type { InstallationTokens } from '../tokens.js';

/** App-authenticated routes: the App itself, its installations, and installation tokens. */
export function appRoutes(
  route: DefineRoute,
  deps: { state: GitHubState; tokens: InstallationTokens },
): void {
  const { state, tokens } = deps;
  const mine = (app: SimApp): Installation[] =>
    [...state.installations.values()].filter((i) => i.app === app.kind && !i.deleted);
  const installedOn = (app: SimApp, account: Account | undefined): Installation => {
    const inst = account && state.installationOn(app.kind, account.id);
    if (!inst) throw notFound();
    return inst;
  };

  route('GET', '/app', 'app', (_req, res, app) => {
    const owner: Account = {
      id: 1,
      login: app.ownerLogin,
      type: 'Organization',
      createdAt: app.createdAt,
    };
    res.json({ ...appJson(app, owner), installations_count: mine(app).length });
  });

  route('GET', '/app/installations', 'app', (req, res, app) => {
    const page = paginate(req, res, mine(app));
    res.json(page.map((i) => installationJson(i, app)));
  });

  route('GET', '/app/installations/{installation_id}', 'app', (req, res, app) => {
    const inst = state.installations.get(idParam(req, 'installation_id'));
    if (!inst || inst.deleted || inst.app !== app.kind) throw notFound();
    res.json(installationJson(inst, app));
  });

  route('POST', '/app/installations/{installation_id}/access_tokens', 'app', (req, res, app) => {
    res.status(201).json(tokens.mint(app.kind, idParam(req, 'installation_id')));
  });

  route('GET', '/orgs/{org}/installation', 'app', (req, res, app) => {
    const org = state.account(param(req, 'org'));
    res.json(
      installationJson(installedOn(app, org?.type === 'Organization' ? org : undefined), app),
    );
  });

  route('GET', '/users/{username}/installation', 'app', (req, res, app) => {
    res.json(installationJson(installedOn(app, state.account(param(req, 'username'))), app));
  });

  route('GET', '/repos/{owner}/{repo}/installation', 'app', (req, res, app) => {
    const repo = state.repo(param(req, 'owner'), param(req, 'repo'));
    res.json(installationJson(installedOn(app, repo?.owner), app));
  });
}
