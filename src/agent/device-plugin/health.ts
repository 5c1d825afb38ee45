/**
 * Whether this node can take a job now. A runner that lands on a node with a full disk or one
 * being drained for maintenance fails its job, so the plugin reports its devices Unhealthy
 * (the kubelet then offers 0 slots) while any of these holds.
 */
import { stat, statfs } from 'node:fs/promises';
import { formatBytes } from '../quantity.js';

export interface HealthRules {
  /** A marker file an operator or maintenance script creates to keep new runners away. */
  drainFile: string;
  /** Filesystems that must each keep `minFreeBytes` free. */
  diskPaths: readonly string[];
  minFreeBytes?: number;
}

export interface HealthReport {
  healthy: boolean;
  /** Why not, one sentence each; empty when healthy. */
  reasons: string[];
}

const errorCode = (err: unknown): string =>
  (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));

async function drainReason(file: string): Promise<string | undefined> {
  try {
    await stat(file);
    return `drain marker ${file} exists`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A marker we cannot even stat is treated as present: better idle than a failed job.
    return `cannot check drain marker ${file}: ${errorCode(err)}`;
  }
}

async function diskReason(path: string, minFree: number): Promise<string | undefined> {
  try {
    const fs = await statfs(path);
    // bavail, not bfree: blocks reserved for root are no use to a runner's build.
    const free = fs.bavail * fs.bsize;
    if (free >= minFree) return undefined;
    return `free space on ${path} is ${formatBytes(free)}, under --min-free-disk ${formatBytes(minFree)}`;
  } catch (err) {
    return `cannot check free space on ${path}: ${errorCode(err)}`;
  }
}

export async function checkHealth(rules: HealthRules): Promise<HealthReport> {
  const checks = [drainReason(rules.drainFile)];
  if (rules.minFreeBytes !== undefined) {
    for (const path of rules.diskPaths) checks.push(diskReason(path, rules.minFreeBytes));
  }
  const reasons = (await Promise.all(checks)).filter((r): r is string => r !== undefined);
  return { healthy: reasons.length === 0, reasons };
}
