import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactKeys, redactText } from './util/redact.js';

export type { Logger };

const serializeError = (err: Error): unknown => pino.stdSerializers.err(err);
const redactObject = (obj: Record<string, unknown>) =>
  redactKeys(obj, serializeError) as Record<string, unknown>;

/**
 * The one root logger. pino's `redact` paths are fixed (`*.token` is one level deep only), so
 * secrets are removed by walking each logged object instead: a secret key (token, secret,
 * password, privateKey, jitconfig, authorization, cookie, signature headers, see isSecretKey) is
 * replaced at any depth, Errors included; and every URL in the finished line, message included,
 * loses its userinfo and credential query values (`postgres://[redacted]@host/db?sslpassword=…`).
 */
export function createLogger(
  options: { level?: LoggerOptions['level']; name?: string } = {},
  destination?: pino.DestinationStream,
): Logger {
  const root = pino(
    {
      level: options.level ?? 'info',
      name: options.name,
      base: { pid: process.pid },
      formatters: { log: redactObject },
      // The walker serializes Errors at any key and depth; pino's own `err` serializer would
      // see plain data then and call it an `Object`.
      serializers: { err: (v: unknown) => v },
      hooks: { streamWrite: redactText },
    },
    destination,
  );
  // pino skips the bindings formatter for children; every child (children inherit from the
  // root) gets its bindings walked here instead.
  const child = Reflect.get(root, 'child') as unknown as (
    this: Logger,
    b: object,
    o?: object,
  ) => Logger;
  const redactedChild = function (this: Logger, bindings: object, opts?: object): Logger {
    return child.call(this, redactObject(bindings as Record<string, unknown>), opts);
  };
  Object.defineProperty(root, 'child', { value: redactedChild, writable: true });
  return root;
}
