/**
 * The board labeller's loop: every interval, read the device tree and cpuinfo, work out the
 * owned labels and bring the node to them. Bad input is logged once (until it changes) and
 * becomes `unknown`; an API error is retried with backoff, then the interval resumes.
 */
import type { Logger } from '../../logger.js';
import { desiredLabels, type OwnedLabels } from './labels.js';
import type { SyncLabels } from './node-labels.js';
import { LabelSyncError } from './sync-error.js';
import { parseCompatible, parseCpuinfo, readFirst, type Reading } from './sources.js';

export interface LabellerOptions {
  nodeName: string;
  devicetreePaths: readonly string[];
  cpuinfoPath: string;
  boards: Readonly<Record<string, string>>;
  intervalMs: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export interface LabellerDeps {
  sync: SyncLabels;
  log: Logger;
}

export class Labeller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  /** The problem last logged per source, so each is logged once until it changes. */
  private readonly problems = new Map<string, string>();
  private last: OwnedLabels | undefined;

  constructor(
    private readonly options: LabellerOptions,
    private readonly deps: LabellerDeps,
  ) {}

  /** Labels now, then every interval. */
  start(): void {
    this.schedule(0);
  }

  /** Waits for a pass in flight, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The labels the last pass wanted. */
  get desired(): OwnedLabels | undefined {
    return this.last;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .catch((err: unknown) => {
          this.deps.log.error({ err }, 'labelling pass failed');
          this.schedule(this.options.intervalMs);
        })
        .finally(() => (this.running = undefined));
    }, ms);
  }

  private async pass(): Promise<void> {
    const { options, deps } = this;
    const [compatible, cpu] = await Promise.all([
      readFirst(options.devicetreePaths, parseCompatible),
      readFirst([options.cpuinfoPath], parseCpuinfo),
    ]);
    this.report('devicetree', compatible);
    this.report('cpuinfo', cpu);
    const desired = desiredLabels({ compatible, cpu, boards: options.boards });
    this.last = desired;
    try {
      const { changed } = await deps.sync(options.nodeName, desired);
      if (this.failures > 0)
        deps.log.info({ attempts: this.failures + 1 }, 'node labels synced again');
      this.failures = 0;
      if (Object.keys(changed).length > 0) deps.log.info({ changed }, 'node labels updated');
      else deps.log.debug({ labels: desired }, 'node labels up to date');
      this.schedule(options.intervalMs);
    } catch (err) {
      this.failures += 1;
      const delay = Math.min(
        (options.retryInitialMs ?? 1_000) * 2 ** (this.failures - 1),
        Math.min(options.retryMaxMs ?? 60_000, options.intervalMs),
      );
      // Only a status and a message: an error object from the client can carry request headers.
      const detail =
        err instanceof LabelSyncError
          ? err.detail
          : { message: err instanceof Error ? err.message : String(err) };
      deps.log.warn(
        { error: detail, attempt: this.failures, retryInMs: delay },
        'labelling the node failed; retrying',
      );
      this.schedule(delay);
    }
  }

  private report(source: string, reading: Reading<unknown>): void {
    const previous = this.problems.get(source);
    if (reading.ok) {
      if (previous !== undefined) {
        this.deps.log.info({ source, path: reading.path }, 'readable again');
        this.problems.delete(source);
      }
      return;
    }
    const problem = `${reading.path}: ${reading.problem}`;
    if (problem === previous) return;
    this.problems.set(source, problem);
    this.deps.log.warn(
      { source, path: reading.path, problem: reading.problem },
      `cannot use the ${source}; its labels are "unknown" until it can be read`,
    );
  }
}
