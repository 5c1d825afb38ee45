import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A request refused while its body streams in: the status to answer, with a one-line reason. */
export class BodyRefused extends Error {
  constructor(
    readonly status: 413 | 503 | 400,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The bytes of webhook bodies held in memory at once, across all requests. */
export interface InflightBudget {
  /** Reserves `n` bytes; false (nothing reserved) when that would go over the cap. */
  take(n: number): boolean;
  give(n: number): void;
}

export function createInflightBudget(capBytes: number): InflightBudget {
  let used = 0;
  return {
    take(n) {
      if (used + n > capBytes) return false;
      used += n;
      return true;
    },
    give(n) {
      used -= n;
    },
  };
}

export interface SignedBody {
  body: Buffer;
  /** The body's HMAC-SHA256 matches `X-Hub-Signature-256` under one of the secrets. */
  verified: boolean;
}

export interface ReadOptions {
  signature: string;
  secrets: readonly string[];
  limitBytes: number;
  budget: InflightBudget;
  /** Called once with the bytes reserved; the caller gives them back when done with the body. */
  reserved: (bytes: number) => void;
}

const BUSY = 'Too many webhook bytes in flight; retry shortly';

/**
 * Reads a webhook body, hashing it with every accepted secret (two during a rotation) as it
 * streams, so the signature is known the moment the last byte arrives. A declared
 * Content-Length over the limit or over the in-flight budget is refused before a byte is read;
 * a chunked body is cut as soon as it crosses either. Compared as @octokit/webhooks-methods'
 * `verify` does: `sha256=<hex>` against the header, constant-time, lengths first.
 */
export function readSignedBody(req: IncomingMessage, o: ReadOptions): Promise<SignedBody> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    const tooLarge = `Body is larger than ${o.limitBytes} bytes`;
    if (length !== undefined && length > o.limitBytes)
      return reject(new BodyRefused(413, tooLarge));
    let held = 0;
    if (length !== undefined) {
      if (!o.budget.take(length)) return reject(new BodyRefused(503, BUSY, 1));
      held = length;
    }
    o.reserved(held);
    const hmacs = o.secrets.filter((s) => s !== '').map((s) => createHmac('sha256', s));
    const chunks: Buffer[] = [];
    let total = 0;
    const fail = (err: BodyRefused) => {
      req.off('data', onData);
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > o.limitBytes) return fail(new BodyRefused(413, tooLarge));
      if (total > held) {
        if (!o.budget.take(total - held)) return fail(new BodyRefused(503, BUSY, 1));
        o.reserved(total - held);
        held = total;
      }
      for (const h of hmacs) h.update(chunk);
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      const got = Buffer.from(o.signature);
      // As the library: an empty body or no secret cannot carry a valid signature.
      const verified =
        total > 0 &&
        hmacs.some((h) => {
          const want = Buffer.from(`sha256=${h.digest('hex')}`);
          return want.length === got.length && timingSafeEqual(want, got);
        });
      // Only a verified body is joined into one buffer: a forged one is dropped as it stands,
      // without a second copy of it in memory.
      const body = !verified
        ? Buffer.alloc(0)
        : chunks.length === 1
          ? chunks[0]!
          : Buffer.concat(chunks, total);
      chunks.length = 0;
      resolve({ body, verified });
    });
  });
}
