import { verify } from 'node:crypto';
import type { Clock } from './clock.js';
import { GitHubError } from './errors.js';
import type { AppKind, SimApp } from './model.js';

const SKEW_S = 60;
const MAX_LIFETIME_S = 600;

// These texts are GitHub's own: @octokit/auth-app matches them to correct clock skew and retry.
const UNDECODABLE = 'A JSON web token could not be decoded';
const EXPIRED =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const TOO_FAR = "'Expiration time' claim ('exp') is too far in the future";
const BAD_IAT =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks an App JWT (RS256, `iss` = App id or client id) against that App's public key and
 * returns which App it is. An unknown issuer is GitHub's 404 "Integration not found"; a token
 * signed with another key is a 401.
 */
export function verifyAppJwt(token: string, apps: Record<AppKind, SimApp>, clock: Clock): SimApp {
  const parts = token.split('.');
  const [h, p, s] = parts;
  if (parts.length !== 3 || !h || !p || !s) throw new GitHubError(401, UNDECODABLE);
  const header = decodePart(h);
  const payload = decodePart(p);
  if (!header || !payload || header.alg !== 'RS256') throw new GitHubError(401, UNDECODABLE);

  const iss = payload.iss;
  if (typeof iss !== 'number' && typeof iss !== 'string') throw new GitHubError(401, UNDECODABLE);
  const app = Object.values(apps).find((a) => String(a.id) === String(iss) || a.clientId === iss);
  if (!app) throw new GitHubError(404, 'Integration not found');

  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${h}.${p}`),
    app.publicKey,
    Buffer.from(s, 'base64url'),
  );
  if (!signed) throw new GitHubError(401, UNDECODABLE);

  const now = Math.floor(clock.now() / 1000);
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now + SKEW_S) {
    throw new GitHubError(401, BAD_IAT);
  }
  if (typeof exp !== 'number' || exp <= now - SKEW_S) throw new GitHubError(401, EXPIRED);
  if (exp > now + MAX_LIFETIME_S + SKEW_S) throw new GitHubError(401, TOO_FAR);
  return app;
}
