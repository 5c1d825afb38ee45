import { ConfigError } from './config/errors.js';
import type { Logger } from './logger.js';

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
