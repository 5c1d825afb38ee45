import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every project file reachable from `entry` through static and dynamic imports. */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
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
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else
        packages.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!,
        );
    }
  }
  return { files, packages };
}

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
