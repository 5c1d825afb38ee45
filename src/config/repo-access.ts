/**
 * Which repositories of an entity may use the runners: a `repositories:` allow or deny list
 * (exact `owner/name` or globs) and `public_repositories`. The webhook filter applies it to every
 * delivery; the runner group we create follows it where GitHub can (see `runnerGroupPolicy`).
 */
import picomatch from 'picomatch';
import { z } from 'zod';

// A glob may stand for either part (`acme/*-ci`, `*/docs`), but never spans the slash.
const repoPattern = z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name, or a glob like owner/*-ci');

export const repositoriesSchema = z
  .object({
    allow: z.array(repoPattern).min(1).optional(),
    deny: z.array(repoPattern).min(1).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.allow === undefined) === (r.deny === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either allow or deny (a list), not both' });
    }
  });

export interface RepositoryRule {
  mode: 'allow' | 'deny';
  patterns: string[];
  /** Case-insensitive, as GitHub's owner and repository names are. */
  matches(fullName: string): boolean;
}

export function repositoryRule(r: z.infer<typeof repositoriesSchema>): RepositoryRule {
  const mode = r.allow ? 'allow' : 'deny';
  const patterns = r.allow ?? r.deny ?? [];
  // `dot`: `acme/*` must also match `acme/.github`; `windows: false`: `/` is the only separator.
  const matches = picomatch(patterns, { nocase: true, dot: true, windows: false });
  return { mode, patterns, matches: (fullName) => matches(fullName) };
}

export interface RepositoryAccess {
  repositories?: RepositoryRule;
  publicRepositories: boolean;
}

/** What the webhook reads of `repository`: GitHub sends both `private` and `visibility`. */
export interface RepositoryFacts {
  fullName: string;
  private?: unknown;
  visibility?: unknown;
}

/**
 * `internal` repositories (enterprise) are not public. A payload that says neither is treated
 * as public, so an entity that refuses public repositories is never served by mistake.
 */
export function isPublicRepository(r: RepositoryFacts): boolean {
  if (typeof r.visibility === 'string') return r.visibility === 'public';
  return r.private !== true;
}

/** Why this entity's runners do not serve a delivery from `repo`; undefined when they do. */
export function repositoryRefusal(
  access: RepositoryAccess,
  repo: RepositoryFacts,
  entity: string,
): string | undefined {
  const rule = access.repositories;
  if (rule?.mode === 'allow' && !rule.matches(repo.fullName)) {
    return `repository ${repo.fullName} is not in the repositories allow list of entity ${entity}`;
  }
  if (rule?.mode === 'deny' && rule.matches(repo.fullName)) {
    return `repository ${repo.fullName} is in the repositories deny list of entity ${entity}`;
  }
  if (!access.publicRepositories && isPublicRepository(repo)) {
    return `repository ${repo.fullName} is public and entity ${entity} has public_repositories: false`;
  }
  return undefined;
}

/** What the organization's runner group should allow (`ensureRunnerGroup`'s policy). */
export interface RunnerGroupPolicy {
  allowsPublicRepositories: boolean;
  /**
   * Exact `owner/name`s for `visibility: selected`; absent for `visibility: all`. Only an allow
   * list of exact names becomes a selection: a glob cannot be resolved to repository ids ahead
   * of time, and GitHub has no "all but" visibility, so globs and deny lists rely on the
   * webhook filter alone.
   */
  repositories?: string[];
}

export function runnerGroupPolicy(access: RepositoryAccess): RunnerGroupPolicy {
  const rule = access.repositories;
  const exact =
    rule?.mode === 'allow' && rule.patterns.every((p) => !picomatch.scan(p).isGlob)
      ? [...new Set(rule.patterns.map((p) => p.toLowerCase()))].sort()
      : undefined;
  return {
    allowsPublicRepositories: access.publicRepositories,
    ...(exact ? { repositories: exact } : {}),
  };
}
