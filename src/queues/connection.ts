import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers (the web process, the CLI) fail fast: a command against a Redis that is down must
 * error at once so the caller can answer 503 or fall back, not queue in memory.
 */
export function createProducerRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: false,
    ...options,
  });
}

/** BullMQ workers block on Redis and must retry forever (BullMQ requires this setting). */
export function createWorkerRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...options });
}
