/** GitHub's REST and webhook JSON shapes for the simulator's entities. */

import type {
  Account,
  Delivery,
  Installation,
  Repo,
  Runner,
  RunnerGroup,
  SimApp,
} from './model.js';

export const API = 'https://api.github.com';
export const WEB = 'https://github.com';

/** GitHub's legacy global node ids are base64 of "0<len>:<Type><id>". */
export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

export function userJson(a: Account): Record<string, unknown> {
  const u = `${API}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type, a.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${a.id}?v=4`,
    gravatar_id: '',
    url: u,
    html_url: `${WEB}/${a.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: a.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

export function orgJson(a: Account): Record<string, unknown> {
  const o = `${API}/orgs/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId('Organization', a.id),
    url: o,
    repos_url: `${o}/repos`,
    events_url: `${o}/events`,
    hooks_url: `${o}/hooks`,
    issues_url: `${o}/issues`,
    members_url: `${o}/members{/member}`,
    public_members_url: `${o}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${a.id}?v=4`,
    description: '',
  };
}

const REPO_URL_TEMPLATES: Record<string, string> = {
  forks_url: '/forks',
  keys_url: '/keys{/key_id}',
  collaborators_url: '/collaborators{/collaborator}',
  teams_url: '/teams',
  hooks_url: '/hooks',
  issue_events_url: '/issues/events{/number}',
  events_url: '/events',
  assignees_url: '/assignees{/user}',
  branches_url: '/branches{/branch}',
  tags_url: '/tags',
  blobs_url: '/git/blobs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  git_refs_url: '/git/refs{/sha}',
  trees_url: '/git/trees{/sha}',
  statuses_url: '/statuses/{sha}',
  languages_url: '/languages',
  stargazers_url: '/stargazers',
  contributors_url: '/contributors',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  commits_url: '/commits{/sha}',
  git_commits_url: '/git/commits{/sha}',
  comments_url: '/comments{/number}',
  issue_comment_url: '/issues/comments{/number}',
  contents_url: '/contents/{+path}',
  compare_url: '/compare/{base}...{head}',
  merges_url: '/merges',
  archive_url: '/{archive_format}{/ref}',
  downloads_url: '/downloads',
  issues_url: '/issues{/number}',
  pulls_url: '/pulls{/number}',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  labels_url: '/labels{/name}',
  releases_url: '/releases{/id}',
  deployments_url: '/deployments',
};

export function repoJson(r: Repo): Record<string, unknown> {
  const full = `${r.owner.login}/${r.name}`;
  const api = `${API}/repos/${full}`;
  const urls = Object.fromEntries(
    Object.entries(REPO_URL_TEMPLATES).map(([k, suffix]) => [k, `${api}${suffix}`]),
  );
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: full,
    private: r.private,
    owner: userJson(r.owner),
    html_url: `${WEB}/${full}`,
    description: null,
    fork: false,
    url: api,
    ...urls,
    created_at: r.createdAt,
    updated_at: r.createdAt,
    pushed_at: r.createdAt,
    git_url: `git://github.com/${full}.git`,
    ssh_url: `git@github.com:${full}.git`,
    clone_url: `${WEB}/${full}.git`,
    svn_url: `${WEB}/${full}`,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: r.private ? 'private' : 'public',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: r.defaultBranch,
    custom_properties: {},
  };
}

/** The short form GitHub puts in `installation` webhooks' `repositories`. */
export function repoRefJson(r: Repo): Record<string, unknown> {
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: `${r.owner.login}/${r.name}`,
    private: r.private,
  };
}

export function appJson(app: SimApp, owner: Account | undefined): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    client_id: app.clientId,
    node_id: nodeId('Integration', app.id),
    owner: owner ? userJson(owner) : null,
    name: app.name,
    description: '',
    external_url: `${WEB}/${app.ownerLogin}`,
    html_url: `${WEB}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: { metadata: 'read', organization_self_hosted_runners: 'write' },
    events: ['workflow_job'],
    installations_count: 0,
  };
}

export function installationJson(i: Installation, app: SimApp): Record<string, unknown> {
  return {
    id: i.id,
    client_id: app.clientId,
    account: userJson(i.account),
    repository_selection: i.repositorySelection,
    access_tokens_url: `${API}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${API}/installation/repositories`,
    html_url:
      i.account.type === 'Organization'
        ? `${WEB}/organizations/${i.account.login}/settings/installations/${i.id}`
        : `${WEB}/settings/installations/${i.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: i.account.id,
    target_type: i.account.type,
    permissions: i.permissions,
    events: ['workflow_job'],
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: i.suspendedAt,
  };
}

export function runnerJson(r: Runner): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    os: 'Linux',
    status: r.status,
    busy: r.busy,
    ephemeral: true,
    runner_group_id: r.groupId,
    labels: r.labels.map((name, i) => ({ id: i + 1, name, type: 'custom' })),
  };
}

export function runnerGroupJson(g: RunnerGroup, org: Account): Record<string, unknown> {
  const url = `${API}/orgs/${org.login}/actions/runner-groups/${g.id}`;
  return {
    id: g.id,
    name: g.name,
    visibility: g.visibility,
    default: g.isDefault,
    ...(g.visibility === 'selected' ? { selected_repositories_url: `${url}/repositories` } : {}),
    runners_url: `${url}/runners`,
    hosted_runners_url: `${url}/hosted-runners`,
    network_configuration_id: null,
    inherited: false,
    allows_public_repositories: g.allowsPublicRepositories,
    restricted_to_workflows: false,
    selected_workflows: [],
    workflow_restrictions_read_only: false,
  };
}

export function deliveryJson(d: Delivery, full = false): Record<string, unknown> {
  const base = {
    id: d.id,
    guid: d.guid,
    delivered_at: d.deliveredAt,
    redelivery: d.redelivery,
    duration: d.duration,
    status: d.status,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: d.installationId,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
  if (!full) return base;
  return {
    ...base,
    url: '',
    request: { headers: d.request.headers, payload: JSON.parse(d.request.payload) as unknown },
    response: d.response,
  };
}
