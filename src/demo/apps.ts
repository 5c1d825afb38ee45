import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * Starts one of the Procfile's processes from source (`node --import tsx script`), its output
 * in `dir/name.log`, and resolves once it says it is ready. It joins `children` at once, so a
 * stop while it boots ends it too.
 *
 * Each runs in its own process group: a terminal's Ctrl-C reaches only the demo, which stops
 * them once, in order (a second signal makes them exit at once, skipping their shutdown).
 */
export function startApp(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  dir: string,
  children: ChildProcess[],
): Promise<ChildProcess> {
  const logPath = join(dir, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  // The last resort if the demo itself exits without stopping it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return new Promise((ok, fail) => {
    let seen = '';
    const ready = /"msg":"(listening|worker ready)"/;
    const watch = (b: Buffer) => {
      seen += b.toString();
      if (!ready.test(seen)) return;
      child.stdout.off('data', watch);
      ok(child);
    };
    child.stdout.on('data', watch);
    child.once('exit', (code) => fail(new Error(`${name} exited with ${code}; see ${logPath}`)));
  });
}

/** SIGTERM to every process still running, then waits for all of them to exit. */
export async function stopApps(children: ChildProcess[]): Promise<void> {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of running) c.kill('SIGTERM');
  await Promise.all(exited);
}
