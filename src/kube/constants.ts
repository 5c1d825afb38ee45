import type { V1Pod } from '@kubernetes/client-node';

/** The contract with the cluster (docs/architecture.md): labels, the device-plugin resource. */
export const APP_LABEL = 'app';
export const APP_NAME = 'rise-riscv-runner';
export const BOARD_LABEL = 'riseproject.dev/board';
export const ENTITY_LABEL = 'riseproject.dev/entity-id';
export const DEPLOY_ENV_LABEL = 'riseproject.dev/deploy-env';
export const RUNNER_RESOURCE = 'riseproject.com/runner';
/** The Secret key holding the JIT config; the runner reads it as ACTIONS_RUNNER_INPUT_JITCONFIG. */
export const JIT_SECRET_KEY = 'jitconfig';
export const JIT_ENV = 'ACTIONS_RUNNER_INPUT_JITCONFIG';

/** A runner pod of ours, of this DEPLOY_ENV (prod and staging may share a namespace). */
export const isOurPod = (pod: V1Pod, deployEnv: string): boolean =>
  pod.metadata?.labels?.[APP_LABEL] === APP_NAME &&
  pod.metadata.labels[DEPLOY_ENV_LABEL] === deployEnv;
