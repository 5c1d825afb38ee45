import type { V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
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
} from './constants.js';

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
  pod: PodOptions;
  dindImage?: string;
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

const DOCKER_CERTS = '/certs';

/**
 * The one-job runner pod. One per node (the device plugin offers one `riseproject.com/runner`),
 * never restarted, bounded by a deadline, and without cluster credentials: workflow code runs here.
 * The JIT config reaches the runner through the Secret, never through args.
 */
export function runnerPod(s: RunnerPodSpec): V1Pod {
  const limits: Record<string, string> = { [RUNNER_RESOURCE]: '1' };
  if (s.pod.ephemeral_storage) limits['ephemeral-storage'] = s.pod.ephemeral_storage;
  const dind = s.pod.docker_in_docker;
  const runner: V1Container = {
    name: 'runner',
    image: s.image,
    command: ['/home/runner/run.sh'],
    env: [
      { name: JIT_ENV, valueFrom: { secretKeyRef: { name: s.name, key: JIT_SECRET_KEY } } },
      ...(dind
        ? [
            { name: 'DOCKER_HOST', value: 'tcp://localhost:2376' },
            { name: 'DOCKER_TLS_VERIFY', value: '1' },
            { name: 'DOCKER_CERT_PATH', value: `${DOCKER_CERTS}/client` },
          ]
        : []),
      ...Object.entries(s.pod.env).map(([name, value]) => ({ name, value })),
    ],
    resources: { limits, requests: { ...limits } },
    securityContext: { privileged: s.pod.privileged },
    volumeMounts: [
      { name: 'work', mountPath: '/home/runner/_work' },
      ...(dind ? [{ name: 'docker-certs', mountPath: DOCKER_CERTS, readOnly: true }] : []),
    ],
  };
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
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: s.pod.host_network,
      nodeSelector: { [BOARD_LABEL]: s.board },
      // Docker-in-Docker as a native sidecar (Kubernetes ≥ 1.29): it starts first and stops
      // when the runner exits, so the pod still ends Succeeded or Failed.
      initContainers: dind
        ? [
            {
              name: 'dind',
              image: s.dindImage ?? 'docker:27-dind',
              restartPolicy: 'Always',
              securityContext: { privileged: true },
              env: [{ name: 'DOCKER_TLS_CERTDIR', value: DOCKER_CERTS }],
              volumeMounts: [
                { name: 'docker-certs', mountPath: DOCKER_CERTS },
                { name: 'docker-storage', mountPath: '/var/lib/docker' },
                { name: 'work', mountPath: '/home/runner/_work' },
              ],
            },
          ]
        : undefined,
      containers: [runner],
      volumes: [
        { name: 'work', emptyDir: {} },
        ...(dind
          ? [
              { name: 'docker-certs', emptyDir: {} },
              { name: 'docker-storage', emptyDir: {} },
            ]
          : []),
      ],
    },
  };
}
