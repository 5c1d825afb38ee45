import type { GitHubSim } from '../github/api.js';
import type { Runner, WorkflowJob } from '../github/model.js';
import { RegistrationError, decodeJitConfig } from '../github/runners.js';
import type { GitHubEvents } from '../github/state.js';
import { boardFactor, type StartupProfile } from '../startup.js';
import type { ContainerContext, ContainerIO } from '../types.js';
import { JIT_CONFIG_ENV, planEntrypoint } from './entrypoint.js';
import type { ActionsFaults } from './faults.js';

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
 * One runner container: the image's entrypoint (checks, then Docker's start), then the ephemeral
 * runner: connect with the JIT config, wait for a job with the same label set (woken by
 * GitHub's events, never polling), run it, report it, deregister, exit 0.
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
    private readonly startup: StartupProfile,
    private readonly onEnd: () => void,
  ) {}

  /** This node's board is this much slower (or faster) than the profile's times. */
  private get factor(): number {
    return boardFactor(this.startup.boards, this.ctx.nodeLabels);
  }

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
    this.after(0, () => this.entrypoint());
  }

  /** images/runner/entrypoint.sh: check the environment, start Docker, wait for it, run the runner. */
  private entrypoint(): void {
    const plan = planEntrypoint(this.ctx);
    if (!plan.ok) {
      for (const line of plan.lines.slice(0, -1)) this.log(line);
      return this.exit(1, plan.lines.at(-1));
    }
    for (const line of plan.lines) this.log(line);
    const dockerMs = this.startup.dockerdMs[plan.mode] * this.factor;
    if (plan.mode === 'none') return this.boot(plan.jitConfig, plan.version);
    if (plan.dockerFailure) {
      const tail = plan.dockerFailure.map((line) => `  ${line}`);
      return this.after(Math.min(dockerMs, plan.waitMs), () => {
        this.log('entrypoint: dockerd exited before docker answered');
        this.log('entrypoint: last lines of /tmp/dockerd.log:');
        for (const line of tail.slice(0, -1)) this.log(line);
        this.exit(1, tail.at(-1));
      });
    }
    if (dockerMs > plan.waitMs) {
      return this.after(plan.waitMs, () =>
        this.exit(1, `entrypoint: docker did not answer within ${plan.waitMs / 1000}s`),
      );
    }
    const ready = () => {
      this.log('entrypoint: docker is ready');
      this.boot(plan.jitConfig, plan.version);
    };
    // No extra turn of the event loop when Docker takes no time (the fast profile of tests).
    if (dockerMs <= 0) ready();
    else this.after(dockerMs, ready);
  }

  private boot(raw: string, version: string): void {
    this.log(`entrypoint: starting runner ${version}`);
    const jit = decodeJitConfig(raw);
    // The config is a secret: say it is unreadable, never echo it.
    if (!jit) return this.exit(1, `Error: ${JIT_CONFIG_ENV} is not a valid JIT configuration.`);
    if (this.faults.takeNeverRegister()) return this.log('Connecting to GitHub...');
    this.after(this.startup.registerMs * this.factor, () => {
      try {
        this.runner = this.deps.runners.register(jit);
      } catch (err) {
        if (!(err instanceof RegistrationError)) throw err;
        return this.exit(1, `Error: ${err.message}`);
      }
      this.log('√ Connected to GitHub');
      this.log('');
      this.log(`Current runner version: '${version}'`);
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
