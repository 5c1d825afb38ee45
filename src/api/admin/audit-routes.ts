import { Router, type Request, type Response } from 'express';
import { listAudit } from '../../db/audit.js';
import type { Db } from '../../db/client.js';
import type { OperatorAuth } from '../auth.js';
import { auditPage } from '../pages/audit-page.js';
import { sendPage } from '../pages/layout.js';
import { sendError, wantsJson } from '../pages/negotiate.js';

export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;

/** `limit`, the only parameter of `/audit`; anything else is named in a 400. */
export function parseAuditLimit(
  query: Record<string, unknown>,
): { ok: true; value: number } | { ok: false; error: string } {
  const unknown = Object.keys(query).find((k) => k !== 'limit');
  if (unknown !== undefined)
    return { ok: false, error: `unknown parameter "${unknown}" (expected limit)` };
  const v = query.limit;
  if (v === undefined) return { ok: true, value: AUDIT_DEFAULT_LIMIT };
  if (typeof v !== 'string' || !/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > AUDIT_MAX_LIMIT)
    return {
      ok: false,
      error: `limit must be an integer from 1 to ${AUDIT_MAX_LIMIT}, got "${typeof v === 'string' ? v.slice(0, 20) : 'several values'}"`,
    };
  return { ok: true, value: Number(v) };
}

/** `/audit` and `/audit.json`: what operators did, newest first, behind the operator login. */
export function auditRouter(deps: { auth: Pick<OperatorAuth, 'guard'>; db: Db }): Router {
  const router = Router();
  router.get(['/audit', '/audit.json'], deps.auth.guard, async (req: Request, res: Response) => {
    const limit = parseAuditLimit(req.query);
    if (!limit.ok) return sendError(req, res, 400, limit.error);
    const rows = await listAudit(deps.db, limit.value);
    if (wantsJson(req)) {
      return void res.set('Cache-Control', 'no-store').json({ entries: rows });
    }
    sendPage(res, 200, auditPage(rows, limit.value));
  });
  return router;
}
