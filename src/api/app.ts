import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type Router } from 'express';
import type { Logger } from '../logger.js';
import { describe, errorHandler, notFound } from './errors.js';

export interface AppDeps {
  log: Logger;
  trustProxy?: boolean;
  /** Mounted in order; the webhook handler must see the raw body, so no global body parser. */
  routers: Router[];
  /**
   * The webhook's hot path: a `POST` whose path `matches` goes to `handler` before Express's own
   * dispatch (prototype swap, router walk, URL parse, final-handler closure); a rejection is
   * answered as Express's error handler would.
   */
  webhook?: {
    matches: (url: string) => boolean;
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  };
}

type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  for (const router of deps.routers) app.use(router);
  app.use(notFound);
  app.use(errorHandler(deps.log));
  const webhook = deps.webhook;
  if (webhook) {
    // app.listen, http.createServer(app) and supertest all enter through app.handle.
    const target = app as unknown as { handle: Handle };
    const viaExpress = target.handle.bind(app);
    target.handle = (req, res, next) => {
      if (req.method !== 'POST' || !webhook.matches(req.url ?? ''))
        return viaExpress(req, res, next);
      webhook.handler(req, res).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        // As errorHandler answers for every other route.
        const { status, message } = describe(err);
        if (status >= 500)
          deps.log.error({ err, method: req.method, path: req.url }, 'request failed');
        const text = JSON.stringify({ error: message });
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      });
    };
  }
  return app;
}
