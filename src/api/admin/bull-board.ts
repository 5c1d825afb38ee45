import {
  Router,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { recordAudit } from '../../db/audit.js';
import type { Db } from '../../db/client.js';
import type { Queues } from '../../queues/producers.js';
import type { OperatorAuth } from '../auth.js';
import { sendError } from '../pages/negotiate.js';

export const BULL_BOARD_PATH = '/admin/queues';
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Builds Bull Board over every queue (loaded on first use: it costs ~15 MB the webhook path never needs). */
async function loadBoard(queues: Queues, readOnlyMode: boolean): Promise<Router> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: Object.values(queues).map((q) => new BullMQAdapter(q, { readOnlyMode })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'RISE runners' } },
  });
  return serverAdapter.getRouter() as Router;
}

export interface BullBoardDeps {
  queues: Queues;
  auth: Pick<OperatorAuth, 'guard' | 'actor'>;
  db: Db;
  /** BULL_BOARD_READ_ONLY: no retry, remove, clean, pause or add. */
  readOnly: boolean;
}

/**
 * Bull Board over every queue of the registry, behind the operator login. Read-only, every write
 * to its API is refused here too (Bull Board's own check is per queue); with writes on, each one
 * is written to the audit log first.
 */
export function bullBoardRouter(deps: BullBoardDeps): Router {
  let board: Promise<Router> | undefined;
  const router = Router();
  const writes: RequestHandler = (req, res, next) => {
    if (READS.has(req.method) || !req.path.startsWith('/api/')) return next();
    if (deps.readOnly) {
      res.set('Allow', 'GET');
      return sendError(req, res, 405, 'Bull Board is read-only (BULL_BOARD_READ_ONLY=true)');
    }
    // Written before the write is done, and no audit entry means no write.
    recordAudit(deps.db, {
      actor: deps.auth.actor(req),
      action: 'bull_board',
      target: `${req.method} ${BULL_BOARD_PATH}${req.path}`,
    }).then(() => next(), next);
  };
  router.use(
    BULL_BOARD_PATH,
    deps.auth.guard,
    writes,
    (req: Request, res: Response, next: NextFunction) => {
      board ??= loadBoard(deps.queues, deps.readOnly);
      board.then((r) => r(req, res, next)).catch(next);
    },
  );
  return router;
}
