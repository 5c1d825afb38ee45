import type { ContainerContext, ContainerHandle, ContainerIO, ContainerRuntime } from '../types.js';
import { ActionsFaults } from './faults.js';
import type { RunnerDeps, RunnerProcessInfo } from './runner-process.js';
import { JIT_CONFIG_ENV, RunnerProcess } from './runner-process.js';

export interface ActionsRuntimeOptions {
  github: RunnerDeps;
  /** How long a runner takes to boot and connect (default 0). */
  registerDelayMs?: number;
  /**
   * Which containers are runners; others are left to the kubelet's default behaviour.
   * Default: a container with the JIT config in its env, or one named `runner`.
   */
  isRunner?: (ctx: ContainerContext) => boolean;
}

export interface ActionsRuntime extends ContainerRuntime {
  faults: ActionsFaults;
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
  return {
    faults,
    processes: () => [...live].map((p) => p.info()),
    start(ctx: ContainerContext, io: ContainerIO): ContainerHandle | undefined {
      if (!isRunner(ctx)) return undefined;
      const proc: RunnerProcess = new RunnerProcess(
        ctx,
        io,
        options.github,
        faults,
        options.registerDelayMs ?? 0,
        () => live.delete(proc),
      );
      live.add(proc);
      proc.start();
      return { stop: () => proc.stop() };
    },
  };
}
