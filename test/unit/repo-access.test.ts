import { describe, expect, it } from 'vitest';
import {
  isPublicRepository,
  repositoryRefusal,
  repositoryRule,
  runnerGroupPolicy,
  type RepositoryAccess,
} from '../../src/config/repo-access.js';

const allow = (...patterns: string[]) => repositoryRule({ allow: patterns });
const deny = (...patterns: string[]) => repositoryRule({ deny: patterns });
const priv = (fullName: string) => ({ fullName, private: true, visibility: 'private' });

describe('repository rules', () => {
  it('match exact names and globs case-insensitively, a glob never spanning the slash', () => {
    const rule = allow('Acme/Tool', 'acme/*-ci', 'acme/{docs,site}', '*/shared');
    for (const name of ['acme/tool', 'ACME/TOOL', 'acme/riscv-ci', 'Acme/Docs', 'other/shared'])
      expect(rule.matches(name), name).toBe(true);
    for (const name of ['acme/tool2', 'acme/ci', 'acme/x/y-ci', 'other/tool', 'acme/blog'])
      expect(rule.matches(name), name).toBe(false);
    // GitHub names may start with a dot: `*` covers them too.
    expect(allow('acme/*').matches('acme/.github')).toBe(true);
  });

  it('refuse a repository outside an allow list, or inside a deny list, saying which', () => {
    const access = (repositories: RepositoryAccess['repositories']): RepositoryAccess => ({
      repositories,
      publicRepositories: true,
    });
    expect(repositoryRefusal(access(allow('acme/*-ci')), priv('acme/x-ci'), 'acme (1)')).toBe(
      undefined,
    );
    expect(repositoryRefusal(access(allow('acme/*-ci')), priv('acme/web'), 'acme (1)')).toBe(
      'repository acme/web is not in the repositories allow list of entity acme (1)',
    );
    expect(
      repositoryRefusal(access(deny('acme/secret-*')), priv('acme/Secret-1'), 'acme (1)'),
    ).toBe('repository acme/Secret-1 is in the repositories deny list of entity acme (1)');
    expect(repositoryRefusal(access(deny('acme/secret-*')), priv('acme/open'), 'acme (1)')).toBe(
      undefined,
    );
    expect(repositoryRefusal(access(undefined), priv('any/thing'), 'x (2)')).toBe(undefined);
  });

  it('refuse public repositories when public_repositories is false, and only then', () => {
    const closed: RepositoryAccess = { publicRepositories: false };
    const pub = { fullName: 'acme/lib', private: false, visibility: 'public' };
    expect(repositoryRefusal(closed, pub, 'acme (1)')).toBe(
      'repository acme/lib is public and entity acme (1) has public_repositories: false',
    );
    expect(repositoryRefusal(closed, priv('acme/lib'), 'acme (1)')).toBe(undefined);
    expect(repositoryRefusal({ publicRepositories: true }, pub, 'acme (1)')).toBe(undefined);
    // An allow list is checked first: its reason is the one given.
    expect(
      repositoryRefusal({ publicRepositories: false, repositories: allow('a/b') }, pub, 'e'),
    ).toMatch(/allow list/);
  });

  it('read visibility first, then private; internal is not public; saying neither is public', () => {
    expect(isPublicRepository({ fullName: 'a/b', visibility: 'public', private: false })).toBe(
      true,
    );
    expect(isPublicRepository({ fullName: 'a/b', visibility: 'internal', private: true })).toBe(
      false,
    );
    expect(isPublicRepository({ fullName: 'a/b', private: true })).toBe(false);
    expect(isPublicRepository({ fullName: 'a/b', private: false })).toBe(true);
    expect(isPublicRepository({ fullName: 'a/b' })).toBe(true);
  });
});

describe('runner group policy', () => {
  it('selects the repositories of an allow list of exact names, sorted and lowercased', () => {
    expect(
      runnerGroupPolicy({
        publicRepositories: false,
        repositories: allow('Acme/Tool', 'acme/app', 'acme/tool'),
      }),
    ).toEqual({ allowsPublicRepositories: false, repositories: ['acme/app', 'acme/tool'] });
  });

  it('keeps visibility all for a glob, a deny list or no list, following public_repositories', () => {
    expect(
      runnerGroupPolicy({ publicRepositories: true, repositories: allow('acme/app', 'acme/*-ci') }),
    ).toEqual({ allowsPublicRepositories: true });
    expect(
      runnerGroupPolicy({ publicRepositories: false, repositories: deny('acme/secret') }),
    ).toEqual({ allowsPublicRepositories: false });
    expect(runnerGroupPolicy({ publicRepositories: true })).toEqual({
      allowsPublicRepositories: true,
    });
  });
});
