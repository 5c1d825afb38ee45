import { Redis } from 'ioredis';
import { startPrivateRedis } from '../../src/demo/redis-server.js';

/**
 * A Redis of the test's own (the demo's private redis-server, src/demo/redis-server.ts): a test
 * may FLUSHALL it without touching the Redis other test files share. `stop()` kills it.
 */
export async function startRedisServer() {
  const server = await startPrivateRedis();
  if (!server) throw new Error('redis-server is not on PATH: this test starts a Redis of its own');
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  return {
    url: server.url,
    /** Wipes every key, as an operator's FLUSHALL or a Redis restart without persistence would. */
    async flushAll(): Promise<void> {
      await admin.flushall();
    },
    async stop(): Promise<void> {
      admin.disconnect();
      await server.stop();
    },
  };
}

export type RedisServer = Awaited<ReturnType<typeof startRedisServer>>;
