/** A kubeconfig for the simulator: plain HTTP needs `insecure-skip-tls-verify` for client-node. */
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  token: string;
  namespace?: string;
  name?: string;
}

export function kubeconfigYaml(options: KubeconfigOptions): string {
  const name = options.name ?? 'rise-sim';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: options.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token: options.token } }],
    contexts: [
      {
        name,
        context: { cluster: name, user: name, namespace: options.namespace ?? 'default' },
      },
    ],
    'current-context': name,
  });
}
