import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { sendError, wantsJson } from './pages/negotiate.js';

export const SESSION_COOKIE = 'rise_session';
export const DISABLED_MESSAGE = 'operator pages are disabled: set ADMIN_TOKEN';
const DEFAULT_TTL_MS = 12 * 3600_000;

export interface OperatorAuth {
  enabled: boolean;
  /** 503 when disabled; next() with a right bearer token or session; else 401 (JSON) or /login. */
  guard: RequestHandler;
  /** Constant-time comparison with ADMIN_TOKEN. */
  checkToken(candidate: string): boolean;
  /** A session cookie value: an expiry and its HMAC under ADMIN_TOKEN, never the token itself. */
  issueSession(): { value: string; maxAgeMs: number };
  verifySession(value: string): boolean;
  /** Who an authenticated request is, for the audit log: `token` or `session:<hash>`. */
  actor(req: Pick<Request, 'get' | 'headers'>): string;
}

/** A session's name in the audit log: a hash of its cookie, which cannot be replayed. */
export const sessionActor = (cookie: string): string =>
  `session:${createHash('sha256').update(cookie).digest('hex').slice(0, 12)}`;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Whether the session cookie gets `Secure`: always, except over plain HTTP straight from
 * loopback with TRUST_PROXY off (a local demo or test, where no browser would send it back).
 * Behind a proxy the public side is HTTPS even when the hop to us is not.
 */
export function secureCookie(
  req: Pick<Request, 'secure'> & { socket: { remoteAddress?: string } },
  trustProxy: boolean,
): boolean {
  if (trustProxy || req.secure) return true;
  return !LOOPBACK.test(req.socket.remoteAddress ?? '');
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

export function readCookie(req: Pick<Request, 'headers'>, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A `next` target after login: only a path on this site (no `//host`, no scheme). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/usage';
}

/**
 * Who may see operator pages: whoever shows ADMIN_TOKEN as `Authorization: Bearer …`, or holds a
 * session cookie from `/login`. Without ADMIN_TOKEN the pages are off (503), never open.
 */
export function createOperatorAuth(o: {
  adminToken?: string;
  sessionTtlMs?: number;
  now?: () => number;
}): OperatorAuth {
  const token = o.adminToken;
  const ttl = o.sessionTtlMs ?? DEFAULT_TTL_MS;
  const now = o.now ?? Date.now;
  const tokenDigest = token ? digest(token) : undefined;
  const sign = (expires: string) =>
    createHmac('sha256', token ?? '')
      .update(`rise-operator-session:v1:${expires}`)
      .digest('base64url');

  const checkToken = (candidate: string) =>
    tokenDigest !== undefined && sameBytes(digest(candidate), tokenDigest);

  const verifySession = (value: string) => {
    if (!token) return false;
    const [version, expires, mac] = value.split('.');
    if (version !== 'v1' || !expires || !mac || !/^\d+$/.test(expires)) return false;
    if (Number(expires) <= now()) return false;
    return sameBytes(Buffer.from(mac), Buffer.from(sign(expires)));
  };

  const authenticated = (req: Request) => {
    const header = req.get('authorization');
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      return m ? checkToken(m[1]!) : false;
    }
    const cookie = readCookie(req, SESSION_COOKIE);
    return cookie !== undefined && verifySession(cookie);
  };

  const guard: RequestHandler = (req, res, next) => {
    if (!token) return sendError(req, res, 503, DISABLED_MESSAGE);
    if (authenticated(req)) return next();
    // A request that presented credentials, or a tool, gets a JSON 401; people log in.
    if (req.get('authorization') !== undefined || wantsJson(req)) {
      res
        .status(401)
        .set({ 'WWW-Authenticate': 'Bearer realm="rise-operator"', 'Cache-Control': 'no-store' })
        .json({ error: 'authentication required: Authorization: Bearer <ADMIN_TOKEN>' });
      return;
    }
    const next_ = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
    res.redirect(303, `/login${next_}`);
  };

  return {
    enabled: token !== undefined,
    guard,
    checkToken,
    issueSession() {
      const expires = String(now() + ttl);
      return { value: `v1.${expires}.${sign(expires)}`, maxAgeMs: ttl };
    },
    verifySession,
    actor(req) {
      if (req.get('authorization') !== undefined) return 'token';
      const cookie = readCookie(req, SESSION_COOKIE);
      return cookie === undefined ? 'anonymous' : sessionActor(cookie);
    },
  };
}
