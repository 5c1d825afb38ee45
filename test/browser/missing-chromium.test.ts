/**
 * Without Chromium the run says so in one line before the browser tests, and they fail with that
 * line, once: not five stack traces, and never a pass. Runs the browser test file in a nested
 * vitest with CHROMIUM_PATH pointing nowhere (the stores come from this run's environment).
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

it('no Chromium: one line up front, then the browser tests fail with it, reported once', async () => {
  const missing = '/nonexistent/chromium';
  const child = spawn(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', 'test/browser/operator.test.ts'],
    {
      env: { ...process.env, CHROMIUM_PATH: missing, NO_COLOR: '1', FORCE_COLOR: '0', TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));

  const line =
    `Chromium is not installed at ${missing}, so the browser tests (test/browser/) fail: ` +
    'install it (Debian/Ubuntu: sudo apt-get install chromium), or run .ci/run, which does';
  expect(code).toBe(1);
  const lines = out.split('\n').map((l) => l.trim());
  const first = lines.indexOf(line);
  expect(first).toBeGreaterThan(-1);
  expect(first).toBeLessThan(lines.findIndex((l) => l.includes('test/browser/operator.test.ts')));
  expect(out).toMatch(/Tests +5 failed \(5\)/);
  expect(lines.filter((l) => l === `Error: ${line}`)).toHaveLength(1);
}, 60_000);
