import { createHmac, timingSafeEqual } from 'node:crypto';

const PATTERN = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks `X-Hub-Signature-256` against the exact bytes received, for each accepted secret (two
 * during a rotation). Constant-time comparison; no hint of the expected value ever leaves here.
 */
export function verifySignature(body: Buffer, header: string, secrets: readonly string[]): boolean {
  const match = PATTERN.exec(header.trim());
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    // No early exit: every secret is tried, so timing says nothing about which one matched.
    ok = timingSafeEqual(expected, given) || ok;
  }
  return ok;
}
