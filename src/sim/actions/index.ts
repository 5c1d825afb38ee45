export { actionsControlRouter } from './control.js';
export type { CrashFault } from './faults.js';
export { ActionsFaults } from './faults.js';
export type { RunnerDeps, RunnerPhase, RunnerProcessInfo } from './runner-process.js';
export type { EntrypointPlan } from './entrypoint.js';
export {
  IMAGE_RUNNER_VERSION,
  JIT_CONFIG_ENV,
  missingRootlessGrants,
  planEntrypoint,
} from './entrypoint.js';
export type { ActionsRuntime, ActionsRuntimeOptions } from './runtime.js';
export { createActionsRuntime } from './runtime.js';
