import type { Request, Response } from 'express';

/** GitHub's paging limits: 30 per page unless asked, at most 100. */
export function perPage(req: Request): number {
  const n = Number(req.query.per_page ?? 30);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 100) : 30;
}

function pageUrl(req: Request, set: Record<string, string>): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  for (const [k, v] of Object.entries(set)) url.searchParams.set(k, v);
  return url.toString();
}

/** `page`/`per_page` paging with GitHub's Link header (prev, next, last, first). */
export function paginate<T>(req: Request, res: Response, items: readonly T[]): T[] {
  const size = perPage(req);
  const raw = Number(req.query.page ?? 1);
  const page = Number.isInteger(raw) && raw > 0 ? raw : 1;
  const last = Math.max(1, Math.ceil(items.length / size));
  const links: string[] = [];
  const link = (p: number, rel: string) =>
    links.push(`<${pageUrl(req, { per_page: String(size), page: String(p) })}>; rel="${rel}"`);
  if (page > 1) link(Math.min(page - 1, last), 'prev');
  if (page < last) link(page + 1, 'next');
  if (page < last) link(last, 'last');
  if (page > 1) link(1, 'first');
  if (links.length > 0) res.setHeader('Link', links.join(', '));
  return items.slice((page - 1) * size, page * size);
}

/**
 * Cursor paging as GitHub does for hook deliveries: items newest first, the cursor names the
 * last id seen, and only `rel="next"` is given.
 */
export function paginateByCursor<T extends { id: number }>(
  req: Request,
  res: Response,
  newestFirst: readonly T[],
): T[] {
  const size = perPage(req);
  const cursor = typeof req.query.cursor === 'string' ? /^v1_(\d+)$/.exec(req.query.cursor) : null;
  const after = cursor?.[1] ? Number(cursor[1]) : undefined;
  const rest = after === undefined ? newestFirst : newestFirst.filter((d) => d.id < after);
  const page = rest.slice(0, size);
  const tail = page[page.length - 1];
  if (rest.length > size && tail) {
    res.setHeader(
      'Link',
      `<${pageUrl(req, { per_page: String(size), cursor: `v1_${tail.id}` })}>; rel="next"`,
    );
  }
  return page;
}
