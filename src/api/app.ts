import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from '../logger.js';
import { errorHandler, notFound } from './errors.js';

export interface AppDeps {
  log: Logger;
  trustProxy?: boolean;
  /** Mounted in order; the webhook handler must see the raw body, so no global body parser. */
  routers: Router[];
  /** `POST` routes of the app itself, matched before any router (the webhook's hot path). */
  posts?: { paths: string[]; handler: RequestHandler }[];
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  for (const { paths, handler } of deps.posts ?? []) app.post(paths, handler);
  for (const router of deps.routers) app.use(router);
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
