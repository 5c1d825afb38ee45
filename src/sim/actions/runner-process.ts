import type { GitHubSim } from '../github/api.js';
import type { Runner, WorkflowJob } from '../github/model.js';
import { RegistrationError, decodeJitConfig } from '../github/runners.js';
import type { GitHubEvents } from '../github/state.js';
import type { ContainerContext, ContainerIO } from '../types.js';
import type { ActionsFaults } from './faults.js';

export const JIT_CONFIG_ENV = 'ACTIONS_RUNNER_INPUT_JITCONFIG';
const RUNNER_VERSION = '2.328.0';

export type RunnerDeps = Pick<GitHubSim, 'runners' | 'jobs' | 'state'>;

export type RunnerPhase = 'starting' | 'idle' | 'busy' | 'exited' | 'stopped';

export interface RunnerProcessInfo {
  podName: string;
  namespace: string;
  phase: RunnerPhase;
  runnerId?: number;
  runnerName?: string;
  jobId?: number;
}

/**
 * One ephemeral runner process: connect with the JIT config, wait for a job with the same
 * label set (woken by GitHub's events, never polling), run it, report it, deregister, exit 0.
 */
export class RunnerProcess {
  phase: RunnerPhase = 'starting';
  private runner?: Runner;
  private job?: WorkflowJob;
  private cleanups: (() => void)[] = [];

  constructor(
    private readonly ctx: ContainerContext,
    private readonly io: ContainerIO,
    private readonly deps: RunnerDeps,
    private readonly faults: ActionsFaults,
    private readonly registerDelayMs: number,
    private readonly onEnd: () => void,
  ) {}

  info(): RunnerProcessInfo {
    return {
      podName: this.ctx.podName,
      namespace: this.ctx.namespace,
      phase: this.phase,
      runnerId: this.runner?.id,
      runnerName: this.runner?.name,
      jobId: this.job?.id,
    };
  }

  /** Deferred, so the kubelet has the handle before the process can exit. */
  start(): void {
    this.after(0, () => this.boot());
  }

  private boot(): void {
    const raw = this.ctx.env[JIT_CONFIG_ENV];
    if (!raw) return this.exit(1, 'Not configured. Run config.(sh/cmd) to configure the runner.');
    const jit = decodeJitConfig(raw);
    // The config is a secret: say it is unreadable, never echo it.
    if (!jit) return this.exit(1, `Error: ${JIT_CONFIG_ENV} is not a valid JIT configuration.`);
    if (this.faults.takeNeverRegister()) return this.log('Connecting to GitHub...');
    this.after(this.registerDelayMs, () => {
      try {
        this.runner = this.deps.runners.register(jit);
      } catch (err) {
        if (!(err instanceof RegistrationError)) throw err;
        return this.exit(1, `Error: ${err.message}`);
      }
      this.log('√ Connected to GitHub');
      this.log('');
      this.log(`Current runner version: '${RUNNER_VERSION}'`);
      this.log(`${this.stamp()}: Listening for Jobs`);
      this.phase = 'idle';
      this.listen('runner:deleted', (r) => {
        if (r.id === this.runner?.id && this.phase === 'idle') {
          this.exit(
            1,
            'Failed to create a session. The runner registration has been deleted from the server, please re-configure.',
          );
        }
      });
      this.listen('job:queued', () => this.tryClaim());
      this.tryClaim();
    });
  }

  /** The pod is going away: end quietly; GitHub sees the runner vanish (see docs). */
  stop(): void {
    if (this.phase === 'exited' || this.phase === 'stopped') return;
    const { runner, job } = this;
    const wasBusy = this.phase === 'busy';
    this.end('stopped');
    if (wasBusy && job) this.deps.jobs.finish(job.id, 'failure');
    if (runner && this.deps.state.runners.has(runner.id)) this.deps.runners.goOffline(runner.id);
  }

  private tryClaim(): void {
    if (this.phase !== 'idle' || !this.runner) return;
    const job = this.deps.jobs.claim(this.runner);
    if (!job) return;
    this.job = job;
    this.phase = 'busy';
    this.log(`${this.stamp()}: Running job: ${job.name}`);
    this.listen('job:completed', (j) => {
      // Completed by someone else while we ran it: cancelled from the UI.
      if (j.id === job.id && this.phase === 'busy') {
        this.log(`${this.stamp()}: Job ${job.name} completed with result: Canceled`);
        this.deregisterAndExit();
      }
    });
    const crash = this.faults.takeCrash();
    if (crash) {
      this.after(crash.afterMs ?? Math.floor(job.durationMs / 2), () => this.crash(job));
    }
    this.after(job.durationMs, () => {
      this.phase = 'exited';
      this.deps.jobs.finish(job.id, 'success');
      this.log(`${this.stamp()}: Job ${job.name} completed with result: Succeeded`);
      this.deregisterAndExit();
    });
  }

  /** A crashed runner neither reports its job nor deregisters: GitHub marks both lost. */
  private crash(job: WorkflowJob): void {
    const runner = this.runner;
    this.log('Runner.Worker process exited unexpectedly (simulated crash).');
    this.exit(1, 'Runner listener exit with error code 1 (simulated crash)');
    this.deps.jobs.finish(job.id, 'failure');
    if (runner) this.deps.runners.goOffline(runner.id);
  }

  private deregisterAndExit(): void {
    if (this.runner) this.deps.runners.remove(this.runner.id);
    this.exit(0);
  }

  private exit(code: number, line?: string): void {
    if (this.phase === 'stopped') return;
    if (line) this.log(line);
    this.end('exited');
    if (code === 0) this.io.exit(0, 'Completed');
    else this.io.exit(code, 'Error', line);
  }

  private end(phase: 'exited' | 'stopped'): void {
    this.phase = phase;
    for (const c of this.cleanups.splice(0)) c();
    this.onEnd();
  }

  private log(line: string): void {
    if (this.phase !== 'stopped') this.io.log(line);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    this.cleanups.push(() => clearTimeout(t));
  }

  private listen<E extends keyof GitHubEvents>(
    event: E,
    fn: (...args: GitHubEvents[E]) => void,
  ): void {
    this.cleanups.push(this.deps.state.subscribe(event, fn));
  }

  private stamp(): string {
    return this.deps.state.clock.iso().replace('T', ' ');
  }
}
