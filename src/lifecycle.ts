import type { Server } from 'node:net';
import { ConfigError } from './config/errors.js';
import type { Logger } from './logger.js';

/**
 * Listens on `port` (named by its variable, e.g. PORT); a port in use or not allowed is a
 * configuration problem (one line naming the variable), not an unhandled 'error' event.
 */
export function listen(
  server: Server,
  o: { port: number; host?: string; variable: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'is already in use'
          : err.code === 'EACCES'
            ? 'is not allowed for this user'
            : undefined;
      reject(why ? new ConfigError([`${o.variable}: port ${o.port} ${why}`]) : err);
    };
    server.once('error', onError);
    server.listen(o.port, o.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export type Step = [name: string, run: () => unknown];

/**
 * Runs shutdown steps in order (stop taking work first, close stores last) under one hard
 * deadline, then exits. A second signal exits at once.
 */
export function shutdownOnSignals(steps: Step[], opts: { log: Logger; timeoutMs: number }): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    opts.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      opts.log.error({ timeoutMs: opts.timeoutMs }, 'shutdown deadline passed; exiting anyway');
      process.exit(1);
    }, opts.timeoutMs);
    deadline.unref();
    let code = 0;
    for (const [name, run] of steps) {
      try {
        await run();
      } catch (err) {
        code = 1;
        opts.log.error({ err, step: name }, 'shutdown step failed');
      }
    }
    opts.log.info('stopped');
    process.exit(code);
  };
  process.once('SIGTERM', (s) => void stop(s));
  process.once('SIGINT', (s) => void stop(s));
}

/** Entry-point wrapper: a configuration problem is one clear line on stderr, not a stack trace. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
    } else {
      process.stderr.write(
        `${name}: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
      );
    }
    process.exit(1);
  });
}
