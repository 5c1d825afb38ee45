import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { entryCommand } from './bundles.js';

/**
 * Starts the real web process (src/web.ts, the run's bundle of it: see bundles.ts) with only `env` (and PATH), for a
 * configuration it must refuse: resolves to its exit code and its stderr lines. A process that
 * starts after all is killed after 20 s, so it never outlives the test.
 */
export async function webStartupFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string[] }> {
  const child = spawn(process.execPath, entryCommand('web'), {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(deadline);
  return { code, stderr: stderr.trim().split('\n') };
}
