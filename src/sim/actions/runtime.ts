import { FAST_STARTUP, type StartupProfile } from '../startup.js';
import type { ContainerContext, ContainerHandle, ContainerIO, ContainerRuntime } from '../types.js';
import { JIT_CONFIG_ENV } from './entrypoint.js';
import { ActionsFaults } from './faults.js';
import type { RunnerDeps, RunnerProcessInfo } from './runner-process.js';
import { RunnerProcess } from './runner-process.js';

export interface ActionsRuntimeOptions {
  github: RunnerDeps;
  /**
   * Docker's start and the runner's registration (dockerdMs, registerMs and the board factors
   * of the profile; the kubelet takes the image pull). Default: FAST_STARTUP. Mutable, like the
   * kubelet's timings: a test may change it between steps.
   */
  startup?: StartupProfile;
  /**
   * Which containers are runners; others are left to the kubelet's default behaviour.
   * Default: a container with the JIT config in its env, or one named `runner`.
   */
  isRunner?: (ctx: ContainerContext) => boolean;
}

export interface ActionsRuntime extends ContainerRuntime {
  faults: ActionsFaults;
  startup: StartupProfile;
  /** Runner processes that have neither exited nor been stopped. */
  processes(): RunnerProcessInfo[];
}

const defaultIsRunner = (ctx: ContainerContext): boolean =>
  JIT_CONFIG_ENV in ctx.env || ctx.containerName === 'runner';

/** The Actions service as the kubelet sees it: runner containers become runner processes. */
export function createActionsRuntime(options: ActionsRuntimeOptions): ActionsRuntime {
  const faults = new ActionsFaults();
  const live = new Set<RunnerProcess>();
  const isRunner = options.isRunner ?? defaultIsRunner;
  const startup = options.startup ?? structuredClone(FAST_STARTUP);
  return {
    faults,
    startup,
    processes: () => [...live].map((p) => p.info()),
    start(ctx: ContainerContext, io: ContainerIO): ContainerHandle | undefined {
      if (!isRunner(ctx)) return undefined;
      const proc: RunnerProcess = new RunnerProcess(ctx, io, options.github, faults, startup, () =>
        live.delete(proc),
      );
      live.add(proc);
      proc.start();
      return { stop: () => proc.stop() };
    },
  };
}
