import { spawn } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, until } from './net.js';

/** The full path of `name` on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** The redis-server binary that runs. */
  binary: string;
  /** Kills the server (it keeps nothing: no RDB, no AOF) and removes its directory. */
  stop: () => Promise<void>;
}

/**
 * A Redis of our own: `redis-server` from PATH on a free port of 127.0.0.1, without persistence,
 * in a temporary directory. BullMQ needs a real Redis and no npm package ships one.
 * Returns undefined when there is no redis-server on PATH.
 */
export async function startPrivateRedis(
  opts: {
    path?: string;
    /**
     * Its own process group, so a terminal's Ctrl-C does not take Redis away while the
     * processes that use it shut down (the demo stops it last); `stop()` or our exit ends it.
     */
    detached?: boolean;
  } = {},
): Promise<PrivateRedis | undefined> {
  const binary = findOnPath('redis-server', opts.path);
  if (!binary) return undefined;
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'rise-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(binary, [...args, '--dir', dir], {
    stdio: 'ignore',
    detached: opts.detached ?? false,
  });
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  probe.on('error', () => undefined);
  const gone = () => child.exitCode !== null || child.signalCode !== null || !child.pid;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    probe.disconnect();
    if (!gone()) child.kill('SIGKILL');
    if (child.pid) await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      },
      {
        what: `${binary} on port ${port}`,
        failed: () =>
          spawnError?.message ??
          (gone() ? `it exited with ${child.exitCode ?? child.signalCode}` : undefined),
      },
    );
  } catch (err) {
    await stop();
    throw new Error(`${binary} did not start on port ${port}: ${(err as Error).message}`);
  }
  probe.disconnect();
  return { url, port, binary, stop };
}
