import { verifyWithFallback } from '@octokit/webhooks-methods';

/**
 * Checks `X-Hub-Signature-256` against the body as received, for each accepted secret (two during
 * a rotation), with the function @octokit/webhooks' `verifyAndReceive` uses (constant-time; no
 * hint of the expected value leaves it). `body` is the raw bytes decoded once; the caller parses
 * that same string, so what is verified is what is read, never re-serialised JSON.
 */
export async function verifySignature(
  body: string,
  header: string,
  secrets: readonly string[],
): Promise<boolean> {
  const [secret, ...others] = secrets.filter((s) => s !== '');
  // The library throws on an empty body or secret; neither can carry a valid signature.
  if (secret === undefined || body === '' || header === '') return false;
  // Typed `Promise<any>` by the library; it resolves to true or false.
  return (await verifyWithFallback(secret, body, header, others)) === true;
}
