import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** The status and message a client may see for errors raised by Express's own parsers. */
export function describe(err: unknown): { status: number; message: string } {
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown };
  const status = Number(e.status ?? e.statusCode);
  if (e.type === 'entity.too.large') return { status: 413, message: 'Body is larger than 25 MB' };
  if (status >= 400 && status < 500 && e.expose !== false) {
    return { status, message: err instanceof Error ? err.message : 'Bad request' };
  }
  return { status: 500, message: 'Internal error' };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: `No route for ${req.method} ${req.path}` });
};

/** JSON errors only: never a stack trace, never a 500 for a client's mistake. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const { status, message } = describe(err);
    if (status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    res.status(status).json({ error: message });
  };
}
