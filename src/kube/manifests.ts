import type { V1Container, V1EnvVar, V1Pod, V1Secret, V1Volume } from '@kubernetes/client-node';
import type { PodOptions } from '../config/runners.js';
import {
  APP_LABEL,
  APP_NAME,
  BOARD_LABEL,
  DEPLOY_ENV_LABEL,
  ENTITY_LABEL,
  JIT_ENV,
  JIT_SECRET_KEY,
  RUNNER_RESOURCE,
  RUNNER_TAINT,
} from './constants.js';
import { modeGrants } from './pod-security.js';

export interface RunnerPodSpec {
  name: string;
  namespace: string;
  board: string;
  image: string;
  entityId: number;
  entityName: string;
  labels: string[];
  deployEnv: string;
  activeDeadlineSeconds: number;
  /** The pool's `pod:` options (DEFAULT_POD_OPTIONS for a pool without any). */
  pod: PodOptions;
}

export function runnerLabels(
  s: Pick<RunnerPodSpec, 'board' | 'entityId' | 'deployEnv'>,
): Record<string, string> {
  return {
    [APP_LABEL]: APP_NAME,
    [BOARD_LABEL]: s.board,
    [ENTITY_LABEL]: String(s.entityId),
    [DEPLOY_ENV_LABEL]: s.deployEnv,
  };
}

/** The Secret carrying the JIT config; owned by the pod once it exists, so it goes with it. */
export function jitSecret(
  s: Pick<RunnerPodSpec, 'name' | 'namespace' | 'board' | 'entityId' | 'deployEnv'>,
  jitConfig: string,
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: s.name, namespace: s.namespace, labels: runnerLabels(s) },
    type: 'Opaque',
    data: { [JIT_SECRET_KEY]: Buffer.from(jitConfig, 'utf8').toString('base64') },
  };
}

/** Environment the image's entrypoint reads, from the pool's options. */
function runnerEnv(s: RunnerPodSpec): V1EnvVar[] {
  const o = s.pod;
  return [
    // The JIT config only ever travels in the pod-owned Secret.
    { name: JIT_ENV, valueFrom: { secretKeyRef: { name: s.name, key: JIT_SECRET_KEY } } },
    { name: 'RUNNER_VERSION', value: o.runner_version },
    { name: 'DOCKER_MODE', value: o.docker },
    ...(o.docker === 'none'
      ? []
      : [
          { name: 'DOCKER_MTU', value: String(o.docker_mtu) },
          { name: 'RUNNER_WAIT_FOR_DOCKER_IN_SECONDS', value: String(o.docker_wait_seconds) },
        ]),
    ...Object.entries(o.env).map(([name, value]) => ({ name, value })),
  ];
}

/**
 * The one-job runner pod: one container of images/runner, started by the image's own entrypoint
 * (no command), which starts Docker as `pod.docker` says and runs the runner. One per node (the
 * device plugin offers one `riseproject.com/runner`), never restarted, bounded by a deadline,
 * on tainted runner nodes, and without cluster credentials: workflow code runs here.
 */
export function runnerPod(s: RunnerPodSpec): V1Pod {
  const o = s.pod;
  const grants = modeGrants(o.docker);
  const managed = { [RUNNER_RESOURCE]: '1', 'ephemeral-storage': o.ephemeral_storage };
  const runner: V1Container = {
    name: 'runner',
    image: s.image,
    env: runnerEnv(s),
    resources: {
      requests: { ...o.resources.requests, ...managed },
      limits: { ...o.resources.limits, ...managed },
    },
    securityContext: grants.securityContext,
    volumeMounts: [
      { name: 'work', mountPath: '/home/runner/_work' },
      ...(grants.dockerDataMount ? [{ name: 'docker', mountPath: grants.dockerDataMount }] : []),
    ],
  };
  const volumes: V1Volume[] = [
    { name: 'work', emptyDir: { sizeLimit: o.work_storage } },
    // Docker's storage cannot live on the container's own overlay filesystem.
    ...(grants.dockerDataMount
      ? [{ name: 'docker', emptyDir: { sizeLimit: o.docker_storage } }]
      : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      labels: runnerLabels(s),
      annotations: {
        'riseproject.dev/entity-name': s.entityName,
        'riseproject.dev/job-labels': JSON.stringify(s.labels),
      },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: s.activeDeadlineSeconds,
      // SIGTERM reaches the runner through tini and the entrypoint, which then stops Docker.
      terminationGracePeriodSeconds: o.termination_grace_period_seconds,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: o.host_network,
      ...(grants.hostUsers === false ? { hostUsers: false } : {}),
      nodeSelector: { ...o.node_selector, [BOARD_LABEL]: s.board },
      tolerations: [{ ...RUNNER_TAINT, operator: 'Equal' }, ...o.tolerations],
      ...(o.image_pull_secrets.length > 0
        ? { imagePullSecrets: o.image_pull_secrets.map((name) => ({ name })) }
        : {}),
      containers: [runner],
      volumes,
    },
  };
}
