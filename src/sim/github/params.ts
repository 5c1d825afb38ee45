import type { Request } from 'express';
import { notFound } from './errors.js';

/** A path parameter (express 5 types them as possibly missing). */
export function param(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string') throw notFound();
  return v;
}

/** A numeric id in the path; anything else names nothing, so 404 as GitHub answers. */
export function idParam(req: Request, name: string): number {
  const n = Number(param(req, name));
  if (!Number.isSafeInteger(n) || n <= 0) throw notFound();
  return n;
}

export function queryText(req: Request, name: string): string | undefined {
  const v = req.query[name];
  return typeof v === 'string' ? v : undefined;
}
