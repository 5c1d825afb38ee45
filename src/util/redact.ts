/**
 * Secret removal for anything that may be written out: log lines, the start-up config, error
 * messages. Key names decide for structured values; URLs are recognised inside any text.
 */
export const REDACTED = '[redacted]';

// Compared with `-` and `_` removed: `private_key`, `x-hub-signature-256`, `set-cookie` all match.
const SECRET_KEY =
  /token|secret|passw(or)?d|pwd|privatekey|jitconfig|authorization|cookie|signature|credential|apikey/i;

/** A key whose value is a secret wherever it appears (`token`, `headers.authorization`, …). */
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key.replace(/[-_]/g, ''));

// Query parameters of http(s) URLs that carry credentials (OAuth codes, signed-URL signatures).
const SECRET_PARAM = /^(sig|code|key|pass)$/i;

// Connection strings, whose password may hold an unescaped `/` or `?`.
const STORE_SCHEME = /^(postgres(ql)?|rediss?|mysql|mongodb(\+srv)?|amqps?)$/i;

const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*):\/\/[^\s"'<>]+/gi;

function redactQuery(query: string, all: boolean): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const name = pair.slice(0, eq);
      return all || isSecretKey(name) || SECRET_PARAM.test(name) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
}

/**
 * One URL with its credentials replaced: the userinfo (`postgres://u:[redacted]@…` keeps nothing
 * of it), and query values: all of them for connection strings (`?sslpassword=`, `?password=`),
 * the credential-like ones for http(s).
 */
export function redactUrl(url: string, scheme: string): string {
  const web = /^https?$/i.test(scheme);
  const start = scheme.length + 3;
  let rest = url.slice(start);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.includes('@')
    ? authority.lastIndexOf('@')
    : STORE_SCHEME.test(scheme)
      ? rest.lastIndexOf('@')
      : -1;
  if (at >= 0) rest = `${REDACTED}${rest.slice(at)}`;
  const q = rest.indexOf('?');
  if (q >= 0) {
    const hash = rest.indexOf('#', q);
    const query = hash < 0 ? rest.slice(q + 1) : rest.slice(q + 1, hash);
    const tail = hash < 0 ? '' : rest.slice(hash);
    rest = `${rest.slice(0, q + 1)}${redactQuery(query, !web)}${tail}`;
  }
  return url.slice(0, start) + rest;
}

/** Every URL in `text` with its credentials replaced (see redactUrl). */
export function redactText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (url, scheme: string) => redactUrl(url, scheme));
}

const MAX_DEPTH = 32;

/**
 * A copy of `value` with the value of every secret key replaced, at any depth. `onError` turns an
 * Error into plain data first (pino's serializer), so its properties are walked too.
 */
export function redactKeys(
  value: unknown,
  onError: (err: Error) => unknown,
  depth = 0,
  seen = new WeakSet<object>(),
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) value = onError(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    return redactKeys(toJSON.call(value), onError, depth + 1, seen);
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactKeys(v, onError, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) ? REDACTED : redactKeys(v, onError, depth + 1, seen);
    }
    return out;
  } finally {
    // Shared (not circular) references are walked each time they appear.
    seen.delete(value);
  }
}
