import { parseRunnersConfig } from '../../src/config/runners.js';
import { runnerPod } from '../../src/kube/manifests.js';
import { configMap, render, type Overlay } from './kustomize.js';

/** The runner pod of every pool and override in the rendered runners ConfigMap. */
export function runnerPods(overlay: Overlay) {
  const objects = render(overlay);
  const text = configMap(objects, 'rise-runners-config').data['runners.yaml']!;
  const config = parseRunnersConfig(text, 'rise-runners-config');
  return [...config.pools, ...config.overrides].map((target, i) => ({
    labels: target.labels,
    pod: runnerPod({
      name: `rise-riscv-runner-pss-${i}`,
      namespace: 'rise-runners',
      board: target.board,
      image: target.image,
      entityId: 1,
      entityName: 'pss',
      labels: target.labels,
      deployEnv: overlay,
      activeDeadlineSeconds: 3600,
      pod: target.pod,
    }),
  }));
}
