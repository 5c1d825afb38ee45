import { createServer, type Server } from 'node:http';
import { createWebApp } from './api/web-app.js';
import { loadConfig, redactConfig } from './config/env.js';
import { loadRunnersConfig } from './config/runners.js';
import { closeDb, createDb } from './db/client.js';
import { listen, shutdownOnSignals, runMain } from './lifecycle.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics/registry.js';
import { createProducerRedis } from './queues/connection.js';
import { closeQueues, createQueues } from './queues/producers.js';

/** Procfile `web`: receives webhooks and serves the operator pages. */
runMain('web', async () => {
  const config = loadConfig('web');
  const log = createLogger({ level: config.logLevel, name: 'web' });
  const runners = loadRunnersConfig(config.runnersConfigPath);
  for (const warning of runners.warnings) log.warn(warning);
  log.info({ config: redactConfig(config), pools: runners.pools.length }, 'starting');

  // A short connect timeout: when PostgreSQL is down, deliveries go to Redis within a second.
  const db = createDb({
    url: config.databaseUrl,
    schema: config.dbSchema,
    max: 12,
    connectionTimeoutMillis: 1_000,
  });
  const redis = createProducerRedis(config.redisUrl);
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const queues = createQueues(redis, config.redisPrefix);
  const metrics = createMetrics();
  const { app, recorder } = createWebApp({ config, runners, db, redis, queues, log, metrics });

  const server: Server = createServer(app);
  await listen(server, { port: config.port, variable: 'PORT' });
  // GitHub keeps connections open between deliveries; outlive common proxy idle timeouts.
  server.keepAliveTimeout = 65_000;
  log.info({ port: config.port }, 'listening');

  shutdownOnSignals(
    [
      ['http', () => closeServer(server, 5_000)],
      ['recorder', () => recorder.drain()],
      ['queues', () => closeQueues(queues)],
      ['redis', () => redis.quit()],
      ['postgres', () => closeDb(db)],
    ],
    { log, timeoutMs: config.shutdownTimeoutMs },
  );
});

/**
 * Stops accepting connections and lets requests in hand finish. Keep-alive connections are closed
 * as soon as they are idle (a client such as GitHub's would otherwise hold the process for
 * `keepAliveTimeout`), and whatever is still open after `graceMs` is cut.
 */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 200);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
