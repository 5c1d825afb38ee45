/**
 * The repository stands alone: every link in the README and docs/ that is not a web address
 * points at a file inside the repository (and, with a #fragment, at a heading of it).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve('.');
const pages = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchors(path: string): Set<string> {
  const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

function links(path: string): string[] {
  const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

it('README.md and docs/*.md link only inside the repository, to files and headings that exist', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    for (const link of links(page)) {
      if (/^(https?|mailto):/.test(link)) continue;
      checked++;
      const [file, fragment] = link.split('#') as [string, string | undefined];
      const target = file ? resolve(dirname(page), file) : resolve(page);
      if (relative(ROOT, target).startsWith('..'))
        broken.push(`${page}: ${link} leaves the repository`);
      else if (!existsSync(target)) broken.push(`${page}: ${link} does not exist`);
      else if (fragment && target.endsWith('.md') && !anchors(target).has(fragment)) {
        broken.push(`${page}: ${link} names no heading of ${relative(ROOT, target)}`);
      }
    }
  }
  expect(pages).toContain('docs/architecture.md');
  expect(checked).toBeGreaterThan(10);
  expect(broken).toEqual([]);
});
