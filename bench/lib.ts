import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Db } from '../src/db/client.js';
import { percentile } from '../src/util/stats.js';

/** Removes what a benchmark made: its Redis keys (`prefix:*`) and its PostgreSQL schema. */
export async function dropBenchState(o: {
  db: Db;
  redisUrl: string;
  schema: string;
  prefix: string;
}): Promise<void> {
  const redis = new Redis(o.redisUrl);
  await redis.eval(
    `for _,k in ipairs(redis.call('keys', ARGV[1])) do redis.call('del', k) end`,
    0,
    `${o.prefix}:*`,
  );
  redis.disconnect();
  await o.db.$client.query(`drop schema "${o.schema}" cascade`);
  await o.db.$client.end();
}

export function summarize(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.at(-1) ?? NaN,
  };
}

/** Peak resident set size of a process so far (Linux VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

// A benchmark killed half-way must not leave servers holding its ports.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The Node flags the Procfile gives `script` (`web: node --flag dist/web.js` → ['--flag']). */
export function procfileNodeArgs(script: string): string[] {
  for (const line of readFileSync('Procfile', 'utf8').split('\n')) {
    const words = line
      .replace(/^\w+:\s*/, '')
      .trim()
      .split(/\s+/);
    const at = words.indexOf(script);
    if (words[0] === 'node' && at > 0) return words.slice(1, at);
  }
  return [];
}

/**
 * Starts a compiled entry point (dist/…) with the given env, and the Node flags the Procfile runs
 * it with in production, or a development tool from source (src/….ts, through tsx); resolves once
 * its log says `ready`.
 */
export function startProcess(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  name: string,
  args: string[] = [],
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // PROFILE=dir writes a CPU profile of every child on exit.
    const profile = process.env.PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}/${name}`]
      : [];
    // BENCH_NODE_ARGS="--trace-gc …" passes V8/Node flags to the children (experiments).
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(
      process.execPath,
      [
        ...procfileNodeArgs(script),
        ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []),
        ...nodeArgs,
        ...profile,
        script,
        ...args,
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        child.stdout?.off('data', onData);
        if (process.env.BENCH_VERBOSE)
          child.stdout?.on('data', (b: Buffer) =>
            process.stdout.write(`[${name}] ${b.toString()}`),
          );
        else child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => process.stderr.write(`[${name}] ${b.toString()}`));
    live.add(child);
    child.once('exit', () => live.delete(child));
    child.on('exit', (code) =>
      reject(new Error(`${name} exited with ${code}: ${out.slice(-2000)}`)),
    );
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat (1-based), in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Ctrl-C or a timeout: exit through process.exit so every child gets reaped.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
