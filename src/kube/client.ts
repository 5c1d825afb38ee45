import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type V1Node,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { withTimeout } from '../util/timeout.js';
import { APP_LABEL, APP_NAME, DEPLOY_ENV_LABEL } from './constants.js';

export interface Kube {
  readonly namespace: string;
  /** Our runner pods (this DEPLOY_ENV), in our namespace. */
  runnerSelector: string;
  listNodes(): Promise<V1Node[]>;
  listPods(labelSelector?: string): Promise<V1Pod[]>;
  getPod(name: string): Promise<V1Pod | undefined>;
  /** Creates the pod, or returns the one a previous attempt created (409). */
  createPod(pod: V1Pod): Promise<V1Pod>;
  deletePod(name: string): Promise<'deleted' | 'not_found'>;
  /** Creates the Secret, or replaces the data of one a previous attempt left (409). */
  putSecret(secret: V1Secret): Promise<void>;
  /** Makes the pod own the Secret, so deleting the pod deletes it (garbage collection). */
  setSecretOwner(secretName: string, pod: { name: string; uid: string }): Promise<void>;
  deleteSecret(name: string): Promise<'deleted' | 'not_found'>;
  listSecrets(labelSelector: string): Promise<V1Secret[]>;
  /** The last `tailLines` lines, of which the API returns at most `limitBytes`. */
  podLog(name: string, container: string, tailLines: number, limitBytes: number): Promise<string>;
  podEvents(name: string): Promise<CoreV1Event[]>;
  /** Every event of our namespace (operators see our pods' ones on /usage). */
  listEvents(): Promise<CoreV1Event[]>;
}

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * client-node 1.4 builds a new http(s).Agent for every request (kubernetes-client/javascript#2893),
 * so every API call opens a new connection and, against a real cluster, a new TLS handshake.
 * This keeps one keep-alive agent with the same TLS options instead.
 */
class PooledKubeConfig extends KubeConfig {
  private pooled?: http.Agent;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    this.pooled ??= keepAliveAgent(context.getAgent());
    if (this.pooled) context.setAgent(this.pooled);
  }
}

function keepAliveAgent(agent: unknown): http.Agent | undefined {
  // Proxy agents are left as they are.
  if (agent instanceof https.Agent) return new https.Agent({ ...agent.options, keepAlive: true });
  if (agent instanceof http.Agent) {
    const { options } = agent as http.Agent & { options: http.AgentOptions };
    return new http.Agent({ ...options, keepAlive: true });
  }
  return undefined;
}

export function loadKubeConfig(source: { path?: string; yaml?: string }): KubeConfig {
  const kc = new PooledKubeConfig();
  if (source.yaml) kc.loadFromString(source.yaml);
  else if (source.path) kc.loadFromFile(source.path);
  else kc.loadFromCluster();
  return kc;
}

export const isKubeStatus = (err: unknown, code: number): boolean =>
  err instanceof ApiException && err.code === code;

/** A short, secret-free description of a Kubernetes API error. */
export function describeKubeError(err: unknown): Record<string, unknown> {
  if (err instanceof ApiException) {
    let message: unknown = String(err.body).slice(0, 300);
    try {
      message = (JSON.parse(String(err.body)) as { message?: unknown }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    return { status: err.code, message };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/** Our Kubernetes adapter. Every call has a deadline. */
export function createKube(opts: {
  config: KubeConfig;
  namespace: string;
  deployEnv: string;
  timeoutMs?: number;
}): Kube {
  const api = opts.config.makeApiClient(CoreV1Api);
  const namespace = opts.namespace;
  const t = <T>(p: Promise<T>, what: string) =>
    withTimeout(p, opts.timeoutMs ?? 10_000, `kubernetes ${what}`);
  const notFoundAs = async <T>(p: Promise<T>, fallback: T): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      if (isKubeStatus(err, 404)) return fallback;
      throw err;
    }
  };

  return {
    namespace,
    runnerSelector: `${APP_LABEL}=${APP_NAME},${DEPLOY_ENV_LABEL}=${opts.deployEnv}`,
    async listNodes() {
      return (await t(api.listNode({}), 'list nodes')).items;
    },
    async listPods(labelSelector) {
      return (await t(api.listNamespacedPod({ namespace, labelSelector }), 'list pods')).items;
    },
    getPod(name) {
      return notFoundAs<V1Pod | undefined>(
        t(api.readNamespacedPod({ name, namespace }), 'read pod'),
        undefined,
      );
    },
    async createPod(pod) {
      try {
        return await t(api.createNamespacedPod({ namespace, body: pod }), 'create pod');
      } catch (err) {
        if (!isKubeStatus(err, 409)) throw err;
        return t(api.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace }), 'read pod');
      }
    },
    async deletePod(name) {
      return notFoundAs(
        t(api.deleteNamespacedPod({ name, namespace }), 'delete pod').then(
          () => 'deleted' as const,
        ),
        'not_found' as const,
      );
    },
    async putSecret(secret) {
      try {
        await t(api.createNamespacedSecret({ namespace, body: secret }), 'create secret');
      } catch (err) {
        if (!isKubeStatus(err, 409)) throw err;
        const name = secret.metadata?.name ?? '';
        await t(api.replaceNamespacedSecret({ name, namespace, body: secret }), 'replace secret');
      }
    },
    async setSecretOwner(secretName, pod) {
      const body = {
        metadata: {
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              name: pod.name,
              uid: pod.uid,
              blockOwnerDeletion: false,
            },
          ],
        },
      };
      await t(
        api.patchNamespacedSecret(
          { name: secretName, namespace, body },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
        'patch secret',
      );
    },
    async deleteSecret(name) {
      return notFoundAs(
        t(api.deleteNamespacedSecret({ name, namespace }), 'delete secret').then(
          () => 'deleted' as const,
        ),
        'not_found' as const,
      );
    },
    async listSecrets(labelSelector) {
      return (await t(api.listNamespacedSecret({ namespace, labelSelector }), 'list secrets'))
        .items;
    },
    async podLog(name, container, tailLines, limitBytes) {
      return notFoundAs(
        t(
          api.readNamespacedPodLog({ name, namespace, container, tailLines, limitBytes }),
          'read log',
        ),
        '',
      );
    },
    async podEvents(name) {
      const fieldSelector = `involvedObject.name=${name}`;
      return (await t(api.listNamespacedEvent({ namespace, fieldSelector }), 'list events')).items;
    },
    async listEvents() {
      return (await t(api.listNamespacedEvent({ namespace }), 'list events')).items;
    },
  };
}
