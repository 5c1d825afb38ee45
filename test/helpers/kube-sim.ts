/** Shared fixtures of the simulated-cluster tests: a runner pod, and client-node talking to the simulator. */
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { KubeSim } from '../../src/sim/kube/index.js';

/** A runner pod like ours; `board` adds the node selector, `spec` overrides spec fields. */
export function runnerPod(
  name: string,
  opts: { board?: string; labels?: Record<string, string>; spec?: Partial<V1Pod['spec']> } = {},
): V1Pod {
  return {
    metadata: { name, labels: { app: 'runner', ...opts.labels } },
    spec: {
      restartPolicy: 'Never',
      ...(opts.board ? { nodeSelector: { 'riseproject.dev/board': opts.board } } : {}),
      containers: [
        {
          name: 'runner',
          image: 'ghcr.io/rise/runner:2.330.0',
          resources: { limits: { 'riseproject.com/runner': '1' } },
        },
      ],
      ...opts.spec,
    },
  };
}

/** Starts the simulator's HTTP server and a CoreV1Api client configured by its kubeconfig. */
export async function connectKubeSim(
  sim: KubeSim,
): Promise<{ url: string; kc: KubeConfig; api: CoreV1Api }> {
  const { url } = await sim.listen();
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfigYaml(url));
  return { url, kc, api: kc.makeApiClient(CoreV1Api) };
}
