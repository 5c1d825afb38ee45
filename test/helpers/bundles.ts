import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The entries tests start as child processes (the worker a dozen times in the kill -9 test; the
 * web, the CLI and the node agent a few times), compiled once per run. A start is then plain
 * `node` on one file instead of tsx compiling the tree and Node resolving some two thousand
 * modules each time: about 1.3 CPU-seconds a start, 0.5 bundled, on two cores that every test
 * file shares.
 *
 * Packages are bundled too (the Kubernetes client alone is 0.8 CPU-seconds of module loading),
 * except those that read their own files or must be one copy shared with them: BullMQ (its Lua
 * scripts), ioredis (BullMQ's connections) and pino (its transports). Each source file keeps its
 * own `import.meta.url`, so paths the code takes from it (migrations, the Apps' manifests)
 * resolve as they do from source, except where the code finds a sibling bundle by it: the agent
 * starts its labeller child (`sync-child.js`) from beside its own file.
 *
 * test/global-setup.ts builds them and names their folder in this variable; without it, tests
 * run tsx on the source.
 */
export const BUNDLES_ENV = 'TEST_BUNDLES_DIR';

/** What each bundle is built from, relative to the repository. */
const ENTRIES = {
  worker: 'src/worker.ts',
  web: 'src/web.ts',
  cli: 'src/cli/main.ts',
  agent: 'src/agent/main.ts',
  'sync-child': 'src/agent/labeller/sync-child.ts',
} as const;
export type BundledEntry = Exclude<keyof typeof ENTRIES, 'sync-child'>;

/** Files whose `import.meta.url` must stay the bundle's: they start a sibling bundle by it. */
const BUNDLE_RELATIVE = [join('src', 'agent', 'labeller', 'sync-process.ts')];

const root = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(root, 'src');

/** Replaces `import.meta.url` in our source with the file's own URL (esbuild would give the bundle's). */
const sourceUrls: Plugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(SRC)) return undefined;
      if (BUNDLE_RELATIVE.some((f) => args.path.endsWith(f))) return undefined;
      const url = JSON.stringify(pathToFileURL(args.path).href);
      const contents = readFileSync(args.path, 'utf8').replaceAll('import.meta.url', url);
      return { contents, loader: 'ts' };
    });
  },
};

/** Builds the bundles; resolves to their folder and a function that removes it. */
export async function buildBundles(): Promise<{ dir: string; remove(): void }> {
  const dir = join(root, 'node_modules', '.rise-test', String(process.pid));
  mkdirSync(dir, { recursive: true });
  // `.js` as the source's compiled names are (sync-process.ts starts `sync-child.js`), as modules.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  await build({
    entryPoints: Object.entries(ENTRIES).map(([out, entry]) => ({ in: join(root, entry), out })),
    outdir: dir,
    bundle: true,
    external: ['bullmq', 'ioredis', 'pino', 'pg-native'],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Bundled CommonJS packages require Node's built-ins, which an ES module has no `require` for.
    banner: {
      js: "import { createRequire as __testCreateRequire } from 'node:module'; const require = __testCreateRequire(import.meta.url);",
    },
    plugins: [sourceUrls],
    logLevel: 'warning',
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How to start an entry as a process: the run's bundle, else tsx on the source. */
export function entryCommand(entry: BundledEntry): string[] {
  const dir = process.env[BUNDLES_ENV];
  return dir ? [join(dir, `${entry}.js`)] : ['--import', 'tsx', ENTRIES[entry]];
}
