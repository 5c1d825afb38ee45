/** Headers GitHub sends that the staging deployment needs to verify and read the delivery. */
const FORWARDED = /^(content-type|user-agent|x-github-[a-z0-9-]+|x-hub-signature(-256)?)$/i;

export interface ForwardResult {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Sends a delivery, byte for byte and with GitHub's headers, to the staging deployment and returns
 * its answer. Throws when staging cannot be reached in time (the caller answers 502).
 */
export async function forwardDelivery(
  url: string,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  timeoutMs: number,
): Promise<ForwardResult> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && FORWARDED.test(name))
      out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const res = await fetch(url, {
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
