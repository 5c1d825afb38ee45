export { actionsControlRouter } from './control.js';
export type { CrashFault } from './faults.js';
export { ActionsFaults } from './faults.js';
export type { RunnerDeps, RunnerPhase, RunnerProcessInfo } from './runner-process.js';
export { JIT_CONFIG_ENV } from './runner-process.js';
export type { ActionsRuntime, ActionsRuntimeOptions } from './runtime.js';
export { createActionsRuntime } from './runtime.js';
