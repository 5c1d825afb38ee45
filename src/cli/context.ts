import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../config/env.js';
import { loadRunnersConfig, type RunnersConfig } from '../config/runners.js';
import { closeDb, createDb, type Db } from '../db/client.js';
import { createProducerRedis } from '../queues/connection.js';
import { closeQueues, createQueues, type Queues } from '../queues/producers.js';

/** What every command may use; built on first use, so `--help` needs no database. */
export interface CliContext {
  config: Config;
  runners: RunnersConfig;
  db: Db;
  redis: Redis;
  queues: Queues;
  now: () => Date;
}

export interface Output {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  /** Environment to read the configuration from (default: the process's). */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export async function openContext(io: CliIo): Promise<CliContext & { close(): Promise<void> }> {
  const config = loadConfig('cli', io.env);
  const runners = loadRunnersConfig(config.runnersConfigPath);
  const db = createDb({
    url: config.databaseUrl,
    schema: config.dbSchema,
    max: 4,
    applicationName: 'rise-runners-cli',
  });
  // Producers fail fast; the CLI waits for the connection first so its first command is not refused.
  const redis = createProducerRedis(config.redisUrl, { lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    await closeDb(db);
    redis.disconnect();
    throw new Error(`cannot reach Redis: ${(err as Error).message}`);
  }
  const queues = createQueues(redis, config.redisPrefix);
  return {
    config,
    runners,
    db,
    redis,
    queues,
    now: io.now ?? (() => new Date()),
    async close() {
      await closeQueues(queues).catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
      await closeDb(db).catch(() => undefined);
    },
  };
}
