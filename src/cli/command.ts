import type { ParseArgsConfig } from 'node:util';
import type { CliContext, Output } from './context.js';

/** A mistake in how the command was called: exit code 2, with the command's usage. */
export class UsageError extends Error {}

/** The command ran but could not do what was asked (unknown job, not pending, …): exit code 1. */
export class CommandError extends Error {}

export interface CommandArgs {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  json: boolean;
  out: Output;
}

export interface Command {
  name: string;
  /** Positional arguments as shown in usage, e.g. `BOARD`. */
  args?: string;
  summary: string;
  /** Options besides --json and --help, with their usage text. */
  options?: Record<string, { type: 'string' | 'boolean'; help: string }>;
  positionals: [min: number, max: number];
  /** Argument checks that need no database: a mistake exits 2 before anything connects. */
  check?(a: Omit<CommandArgs, 'out'>): void;
  run(ctx: CliContext, a: CommandArgs): Promise<void>;
}

export const parseOptions = (c: Command): NonNullable<ParseArgsConfig['options']> => ({
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(Object.entries(c.options ?? {}).map(([k, v]) => [k, { type: v.type }])),
});

export function usageOf(c: Command): string {
  const opts = Object.entries(c.options ?? {}).map(
    ([k, v]) => `  --${k}${v.type === 'string' ? ' VALUE' : ''}  ${v.help}\n`,
  );
  return `usage: rise-runners ${c.name}${c.args ? ` ${c.args}` : ''} [options]\n  ${c.summary}\n${opts.join('')}  --json  machine-readable output\n`;
}

/** A positive integer argument (job ids, limits), or a UsageError naming it. */
export function positiveInt(
  name: string,
  text: string | undefined,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (text === undefined || !/^\d{1,16}$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(
      `${name} must be a positive integer${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, got "${text ?? ''}"`,
    );
  }
  return Number(text);
}

export const str = (v: string | boolean | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;

export const printJson = (out: Output, value: unknown) =>
  out.write(`${JSON.stringify(value, null, 2)}\n`);
