import {
  Router,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Queues } from '../../queues/producers.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** Builds Bull Board over every queue (loaded on first use: it costs ~15 MB the webhook path never needs). */
async function loadBoard(queues: Queues): Promise<Router> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: Object.values(queues).map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'RISE runners' } },
  });
  return serverAdapter.getRouter() as Router;
}

/** Bull Board over every queue of the registry, behind `guard`. */
export function bullBoardRouter(deps: { queues: Queues; guard: RequestHandler }): Router {
  let board: Promise<Router> | undefined;
  const router = Router();
  router.use(BULL_BOARD_PATH, deps.guard, (req: Request, res: Response, next: NextFunction) => {
    board ??= loadBoard(deps.queues);
    board.then((r) => r(req, res, next)).catch(next);
  });
  return router;
}
