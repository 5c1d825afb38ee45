import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * `src/worker.ts` compiled once per run into one file, so a test that starts worker processes
 * (a dozen in the kill -9 test) starts plain `node` on it instead of tsx compiling the tree again
 * each time. Packages stay imports of the repository's node_modules. It lies two folders deep,
 * like src/db/, so paths the code takes from `import.meta.url` (the migrations) still resolve.
 * test/global-setup.ts builds it and names it in this variable; without it, tests run tsx.
 */
export const WORKER_BUNDLE_ENV = 'TEST_WORKER_BUNDLE';

const root = new URL('../../', import.meta.url);

/** Builds the bundle; resolves to its path and a function that removes it. */
export async function buildWorkerBundle(): Promise<{ path: string; remove(): void }> {
  const path = fileURLToPath(new URL(`node_modules/.rise-test/worker-${process.pid}.mjs`, root));
  await build({
    entryPoints: [fileURLToPath(new URL('src/worker.ts', root))],
    outfile: path,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return { path, remove: () => rmSync(path, { force: true }) };
}

/** How to start a worker process: the run's bundle, else tsx on the source. */
export function workerCommand(): string[] {
  const bundle = process.env[WORKER_BUNDLE_ENV];
  return bundle ? [bundle] : ['--import', 'tsx', 'src/worker.ts'];
}
