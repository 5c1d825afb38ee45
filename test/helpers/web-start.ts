import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Starts the real web process (`node --import tsx src/web.ts`) with only `env` (and PATH), for a
 * configuration it must refuse: resolves to its exit code and its stderr lines. A process that
 * starts after all is killed after 20 s, so it never outlives the test.
 */
export async function webStartupFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/web.ts'], {
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
