import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client.js';
import { withTimeout } from '../util/timeout.js';

/** `/health`: the process answers. `/ready`: it can also reach PostgreSQL and Redis. */
export function healthRouter(deps: {
  db: Db;
  redis: Pick<Redis, 'ping'>;
  timeoutMs?: number;
}): Router {
  const router = Router();
  const timeoutMs = deps.timeoutMs ?? 1_000;
  router.get('/health', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  router.get('/ready', async (_req, res) => {
    const check = async (f: () => Promise<unknown>) => {
      try {
        await withTimeout(f(), timeoutMs);
        return 'ok';
      } catch (err) {
        return `unreachable: ${(err as Error).message}`;
      }
    };
    const [postgres, redis] = await Promise.all([
      check(() => deps.db.$client.query('select 1')),
      check(() => deps.redis.ping()),
    ]);
    const ready = postgres === 'ok' && redis === 'ok';
    res.status(ready ? 200 : 503).json({ ready, postgres, redis });
  });
  return router;
}
