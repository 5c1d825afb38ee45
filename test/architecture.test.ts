import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every project file reachable from `entry` through static and dynamic imports. */
function reachable(entry: string): {
  files: Set<string>;
  packages: Set<string>;
  /** Package or project file → the project files importing it. */
  importers: Map<string, Set<string>>;
} {
  const files = new Set<string>();
  const packages = new Set<string>();
  const importers = new Map<string, Set<string>>();
  const todo = [resolve(entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    )) {
      const spec = m[1] ?? m[2]!;
      if (/^import\s+type\b/.test(m[0].trim())) continue;
      const target = spec.startsWith('.')
        ? resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
        : spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.split('/')[0]!;
      if (spec.startsWith('.')) todo.push(target);
      else packages.add(target);
      if (!importers.has(target)) importers.set(target, new Set());
      importers.get(target)!.add(file);
    }
  }
  return { files, packages, importers };
}

/**
 * The web process's one way to GitHub: the admin-only /setup pages, which exchange an App
 * manifest's one-time code and ask GitHub, as the Apps, about an installation. A plain `fetch`
 * client, kept off the webhook path; App keys reach web only while an operator lends them
 * (deploy/components/setup-check). Nothing else in web may talk to GitHub or Kubernetes.
 */
const WEB_GITHUB_MODULE = 'src/api/setup/github.ts';

describe('the webhook path', () => {
  it('never loads a GitHub or Kubernetes client', () => {
    const { files, packages } = reachable('src/web.ts');
    const outward = [...files].filter((f) => /\/src\/(github|kube|sim)\//.test(f));
    expect(outward).toEqual([]);
    const clients = [
      '@octokit/app',
      '@octokit/core',
      '@octokit/auth-app',
      '@octokit/plugin-paginate-rest',
      '@kubernetes/client-node',
    ];
    expect([...packages].filter((p) => clients.includes(p))).toEqual([]);
    // Sanity: the walker does follow the graph.
    expect([...files].some((f) => f.endsWith('src/api/webhook/route.ts'))).toBe(true);
  });

  it('reaches GitHub only through the /setup module, which the webhook path never loads', () => {
    const { files, importers } = reachable('src/web.ts');
    const allowed = resolve(WEB_GITHUB_MODULE);
    expect(files.has(allowed)).toBe(true);
    // App credentials (JWTs) are made in that module alone.
    expect([...(importers.get('universal-github-app-jwt') ?? [])]).toEqual([allowed]);
    // Only /setup's own files import it.
    const users = [...(importers.get(allowed) ?? [])];
    expect(users.length).toBeGreaterThan(0);
    expect(users.filter((f) => !f.includes('/src/api/setup/'))).toEqual([]);
    expect(reachable('src/api/webhook/route.ts').files.has(allowed)).toBe(false);
  });
});

describe('the production build', () => {
  it('never reaches the simulator or the demo (they run from source, not from dist/)', () => {
    for (const entry of ['src/web.ts', 'src/worker.ts', 'src/release.ts', 'src/cli/main.ts']) {
      const { files } = reachable(entry);
      expect([...files].filter((f) => /\/src\/(sim|demo)\//.test(f))).toEqual([]);
      expect(files.size).toBeGreaterThan(3);
    }
  });
});
