/** Shared by the node agent's tests: captured logs, temporary directories, a fake kubelet. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLogger, type Logger } from '../../src/logger.js';
import {
  SimDeviceManager,
  type ResourceCount,
} from '../../src/sim/kube/device-plugins/device-manager.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept for the test to read. */
export function captureLogs(): { log: Logger; lines: LogLine[]; messages: () => string[] } {
  const lines: LogLine[] = [];
  const log = createLogger(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { log, lines, messages: () => lines.map((l) => l.msg) };
}

/** A short temporary directory (Unix socket paths are limited to 107 bytes). */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fake kubelet: the simulator's kubelet side of the Device Plugin API (a real Registration
 * server on DIR/kubelet.sock that dials the plugin back), with every count it saw recorded.
 */
export function fakeKubelet(dir: string): { kubelet: SimDeviceManager; counts: ResourceCount[] } {
  const counts: ResourceCount[] = [];
  const kubelet = new SimDeviceManager({
    dir,
    logger: pino({ level: 'silent' }),
    onResource: (_resource, count) => counts.push(count),
  });
  return { kubelet, counts };
}
