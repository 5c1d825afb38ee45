/**
 * Label syncs in a child process. @kubernetes/client-node loads some 2,500 modules (about 75 MB
 * resident) that a process never gives back, and the labeller needs it for one request every
 * ten minutes; a child that exits afterwards keeps the agent's idle footprint under 64 MB.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LabelSyncResult, SyncLabels } from './node-labels.js';
import { LabelSyncError } from './sync-error.js';

// Run from source (tsx) the child is a .ts file too; process.execArgv carries the loader.
const childFile = fileURLToPath(
  new URL(`./sync-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

export function createChildProcessLabelSync(opts: { timeoutMs?: number } = {}): SyncLabels {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return (nodeName, desired) =>
    new Promise<LabelSyncResult>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, childFile], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const line = out.trim().split('\n').pop() ?? '';
        let answer: {
          ok?: boolean;
          changed?: Record<string, string>;
          error?: Record<string, unknown>;
        };
        try {
          answer = JSON.parse(line) as typeof answer;
        } catch {
          const why = signal ? `killed by ${signal}` : `exit code ${code}`;
          return reject(
            new LabelSyncError({
              message: `label sync process failed (${why}): ${err.trim().split('\n').pop() ?? ''}`,
            }),
          );
        }
        if (answer.ok) resolve({ changed: answer.changed ?? {} });
        else reject(new LabelSyncError(answer.error ?? {}));
      });
      child.stdin.end(JSON.stringify({ nodeName, desired }));
    });
}
