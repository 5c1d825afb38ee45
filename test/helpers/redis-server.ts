import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

/** A port nobody listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Redis of the test's own, as a child process without persistence: a test may FLUSHALL it
 * without touching the Redis other test files share. `stop()` kills it.
 */
export async function startRedisServer() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (admin.status !== 'ready') await admin.connect().catch(() => undefined);
      return (await admin.ping()) === 'PONG';
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `redis-server on port ${port}` },
  );
  return {
    url,
    /** Wipes every key, as an operator's FLUSHALL or a Redis restart without persistence would. */
    async flushAll(): Promise<void> {
      await admin.flushall();
    },
    async stop(): Promise<void> {
      admin.disconnect();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export type RedisServer = Awaited<ReturnType<typeof startRedisServer>>;
