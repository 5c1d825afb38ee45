import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The entries tests start as child processes (the worker a dozen times in the kill -9 test, the
 * web and the CLI a few times), compiled once per run, so a start is plain `node` on one file
 * instead of tsx compiling the tree and Node resolving some two thousand modules each time (about
 * 1.3 CPU-seconds a start, 0.5 bundled, on two cores that every test file shares).
 *
 * Packages are bundled too (the Kubernetes client alone is 0.8 CPU-seconds of module loading),
 * except those that read their own files or must be one copy shared with them: BullMQ (its Lua
 * scripts), ioredis (BullMQ's connections) and pino (its transports). Each source file keeps its
 * own `import.meta.url`, so paths the code takes from it (migrations, the Apps' manifests) resolve
 * as they do from source. test/global-setup.ts builds them and names their folder in this
 * variable; without it, tests run tsx on the source.
 */
export const BUNDLES_ENV = 'TEST_BUNDLES_DIR';

/** What each bundle is built from, relative to the repository. */
const ENTRIES = { worker: 'src/worker.ts', web: 'src/web.ts', cli: 'src/cli/main.ts' } as const;
export type BundledEntry = keyof typeof ENTRIES;

const root = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(root, 'src');

/** Replaces `import.meta.url` in our source with the file's own URL (esbuild would give the bundle's). */
const sourceUrls: Plugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(SRC)) return undefined;
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
  await build({
    entryPoints: Object.entries(ENTRIES).map(([out, entry]) => ({ in: join(root, entry), out })),
    outdir: dir,
    outExtension: { '.js': '.mjs' },
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
  return dir ? [join(dir, `${entry}.mjs`)] : ['--import', 'tsx', ENTRIES[entry]];
}

/** How to start a worker process. */
export const workerCommand = (): string[] => entryCommand('worker');
