import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Express, type Router } from 'express';
import type { Logger } from '../logger.js';
import { describe, errorHandler, notFound } from './errors.js';

export interface AppDeps {
  log: Logger;
  trustProxy?: boolean;
  /** Mounted in order; the webhook handler must see the raw body, so no global body parser. */
  routers: Router[];
  /**
   * The webhook's hot path: a `POST` whose path `matches` goes to `handler`, a plain Node
   * handler, without entering Express at all (its per-request prototype swap, router walk and
   * final-handler closure cost more CPU than the rest of a delivery's handling); a rejection is
   * answered as Express's error handler would.
   */
  webhook?: {
    matches: (url: string) => boolean;
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  };
}

/** The web process's request listener: the webhook fast path, then Express for the rest. */
export function createApp(deps: AppDeps): RequestListener {
  const app: Express = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  for (const router of deps.routers) app.use(router);
  app.use(notFound);
  app.use(errorHandler(deps.log));
  const webhook = deps.webhook;
  if (!webhook) return app;
  return (req, res) => {
    if (req.method !== 'POST' || !webhook.matches(req.url ?? '')) return void app(req, res);
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
