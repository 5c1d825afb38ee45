import type { Request, Response } from 'express';
import { html } from './html.js';
import { renderPage, sendPage } from './layout.js';

/** The path without its query string, as the client asked for it (mount points included). */
export const fullPath = (req: Request): string => req.originalUrl.split('?')[0] ?? '/';

/**
 * JSON for tools, HTML for people: a `.json` suffix, Bull Board's API, or an Accept header that
 * prefers JSON over HTML. Browsers ask for HTML first; `curl` (Accept: *\/*) gets HTML too, so
 * scripts should use the suffix or the header.
 */
export function wantsJson(req: Request): boolean {
  const path = fullPath(req);
  if (path.endsWith('.json') || path.startsWith('/admin/queues/api/')) return true;
  return req.accepts(['html', 'json']) === 'json';
}

const TITLES: Record<number, string> = {
  404: 'Not found',
  405: 'Method not allowed',
  429: 'Too many attempts',
};

/** An error the client can act on, as `{error}` or as a small page; never a stack trace. */
export function sendError(req: Request, res: Response, status: number, message: string): void {
  if (wantsJson(req)) {
    res.status(status).set('Cache-Control', 'no-store').json({ error: message });
    return;
  }
  const body = html`<h1>${TITLES[status] ?? (status >= 500 ? 'Unavailable' : 'Bad request')}</h1>
    <p class="error">${message}</p>`;
  sendPage(res, status, renderPage({ title: `Error ${status}`, body }));
}
