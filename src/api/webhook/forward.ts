import { createHmac } from 'node:crypto';

/**
 * Headers GitHub sends that the staging deployment needs to read the delivery. GitHub's own
 * signatures are not among them: they are made with prod's secret, and staging must not hold it.
 */
const FORWARDED = /^(content-type|user-agent|x-github-[a-z0-9-]+)$/i;

export interface ForwardResult {
  status: number;
  contentType: string;
  body: string;
}

/** Staging's webhook URL and the secret prod signs for it (staging's GHAPP_WEBHOOK_SECRET). */
export interface StagingTarget {
  url: string;
  secret: string | undefined;
}

/** `X-Hub-Signature-256` as GitHub computes it: HMAC-SHA256 of the body bytes, in hex. */
export function signatureFor(body: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Sends a delivery, byte for byte and with GitHub's headers, to the staging deployment, signed
 * anew with STAGING_FORWARD_SECRET, and returns its answer. Throws when staging cannot be reached
 * in time (the caller answers 502).
 */
export async function forwardDelivery(
  target: StagingTarget,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  timeoutMs: number,
): Promise<ForwardResult> {
  if (!target.secret) throw new Error('STAGING_FORWARD_SECRET is not set');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && FORWARDED.test(name))
      out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  out['x-hub-signature-256'] = signatureFor(body, target.secret);
  const res = await fetch(target.url, {
    method: 'POST',
    headers: out,
    body: new Uint8Array(body),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? 'text/plain',
    body: await res.text(),
  };
}
