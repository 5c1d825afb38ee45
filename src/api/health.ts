import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import { withTimeout } from '../util/timeout.js';

/**
 * `/health`: the process answers. `/ready`: it can also reach PostgreSQL and Redis. `/ready` is
 * unauthenticated, so it names what is down and logs why; the error text (hosts, users) stays in
 * the log.
 */
export function healthRouter(deps: {
  db: Db;
  redis: Pick<Redis, 'ping'>;
  log?: Pick<Logger, 'warn'>;
  timeoutMs?: number;
}): Router {
  const router = Router();
  const timeoutMs = deps.timeoutMs ?? 1_000;
  router.get('/health', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  router.get('/ready', async (_req, res) => {
    const check = async (name: string, f: () => Promise<unknown>) => {
      try {
        await withTimeout(f(), timeoutMs);
        return true;
      } catch (err) {
        deps.log?.warn({ err, dependency: name }, 'readiness check failed');
        return false;
      }
    };
    const [postgres, redis] = await Promise.all([
      check('postgres', () => deps.db.$client.query('select 1')),
      check('redis', () => deps.redis.ping()),
    ]);
    const down = [...(postgres ? [] : ['postgres']), ...(redis ? [] : ['redis'])];
    res
      .status(down.length === 0 ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        ready: down.length === 0,
        down,
        postgres: postgres ? 'ok' : 'down',
        redis: redis ? 'ok' : 'down',
      });
  });
  return router;
}
