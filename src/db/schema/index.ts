export * from './status.js';
export * from './jobs.js';
export * from './workers.js';
export * from './deliveries.js';
export * from './installations.js';
export * from './board-drains.js';
export * from './reconcile-state.js';
export * from './audit-log.js';
