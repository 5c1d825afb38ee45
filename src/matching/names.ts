import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A worker's pod name, which is also its GitHub runner name and Secret name: chosen once, when the
 * worker is reserved, so every retry of its creation finds what an earlier try made.
 * DNS-1123: lower-case alphanumerics and '-', at most 63 characters.
 */
export function workerName(prefix: string): string {
  const bytes = randomBytes(12);
  let id = '';
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return `${prefix}${id}`;
}
