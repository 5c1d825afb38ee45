import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { CommandError, UsageError, parseOptions, usageOf, type Command } from './command.js';
import { status } from './commands/status.js';
import { job, jobs } from './commands/jobs.js';
import { workers } from './commands/workers.js';
import { drain, undrain } from './commands/drain.js';
import { requeue, retry } from './commands/queue.js';
import { audit } from './commands/audit.js';
import { openContext, type CliIo } from './context.js';

export const COMMANDS: Command[] = [
  status,
  jobs,
  job,
  workers,
  drain,
  undrain,
  retry,
  requeue,
  audit,
];

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name}${c.args ? ` ${c.args}` : ''}`.length));
  const lines = COMMANDS.map(
    (c) => `  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(width)}  ${c.summary}`,
  );
  return [
    'usage: rise-runners <command> [options]   (npm run cli -- <command> …)',
    '',
    ...lines,
    '',
    'Every command takes --json. Configuration comes from the environment like the services:',
    'DATABASE_URL, REDIS_URL, DEPLOY_ENV (and DB_SCHEMA, REDIS_PREFIX, RUNNERS_CONFIG).',
    'Exit codes: 0 done, 1 failed, 2 usage or configuration error.',
    '',
  ].join('\n');
}

// Errors may quote connection strings: their passwords never reach the terminal.
const redact = (text: string) => text.replace(/\/\/[^@/\s]*@/g, '//[redacted]@');

const args = (p: { positionals: string[]; values: Record<string, unknown> }) => ({
  positionals: p.positionals,
  values: p.values as Record<string, string | boolean | undefined>,
  json: p.values.json === true,
});

/** Runs one CLI invocation; resolves to the exit code. Tests call it in-process. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout).write(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`rise-runners: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: parseOptions(command),
      allowPositionals: true,
      strict: true,
    });
    const [min, max] = command.positionals;
    if (parsed.values.help) {
      io.stdout.write(usageOf(command));
      return EXIT.ok;
    }
    if (parsed.positionals.length < min)
      throw new UsageError(`${command.args ?? 'an argument'} is required`);
    if (parsed.positionals.length > max) {
      throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
    }
    command.check?.(args(parsed));
  } catch (err) {
    io.stderr.write(`rise-runners ${name}: ${(err as Error).message}\n${usageOf(command)}`);
    return EXIT.usage;
  }
  let ctx;
  try {
    ctx = await openContext(io);
  } catch (err) {
    io.stderr.write(`rise-runners: ${redact((err as Error).message)}\n`);
    return err instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
  try {
    await command.run(ctx, { ...args(parsed), out: io.stdout });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`rise-runners ${name}: ${err.message}\n${usageOf(command)}`);
      return EXIT.usage;
    }
    const known = err instanceof CommandError;
    io.stderr.write(
      `rise-runners ${name}: ${known ? '' : 'failed: '}${redact((err as Error).message)}\n`,
    );
    return EXIT.failed;
  } finally {
    await ctx.close();
  }
}
