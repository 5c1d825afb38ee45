import type { V1Pod } from '@kubernetes/client-node';

/** The contract with the cluster (docs/architecture.md): labels, the device-plugin resource. */
export const APP_LABEL = 'app';
export const APP_NAME = 'rise-riscv-runner';
export const BOARD_LABEL = 'riseproject.dev/board';
export const ENTITY_LABEL = 'riseproject.dev/entity-id';
export const DEPLOY_ENV_LABEL = 'riseproject.dev/deploy-env';
export const RUNNER_RESOURCE = 'riseproject.com/runner';
/** The Secret key holding the JIT config; the image's entrypoint reads it as RUNNER_JITCONFIG. */
export const JIT_SECRET_KEY = 'jitconfig';
export const JIT_ENV = 'RUNNER_JITCONFIG';
/** Runner nodes carry this taint (deploy/), so only pods that tolerate it (ours) land there. */
export const RUNNER_TAINT = { key: 'riseproject.dev/runner', value: 'true', effect: 'NoSchedule' };
/** The image's `runner` user (uid and gid 1001, as the original image). */
export const RUNNER_UID = 1001;

/** A runner pod of ours, of this DEPLOY_ENV (prod and staging may share a namespace). */
export const isOurPod = (pod: V1Pod, deployEnv: string): boolean =>
  pod.metadata?.labels?.[APP_LABEL] === APP_NAME &&
  pod.metadata.labels[DEPLOY_ENV_LABEL] === deployEnv;
