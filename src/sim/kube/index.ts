/**
 * The simulated Kubernetes cluster: an API server (express) that @kubernetes/client-node talks to
 * over HTTP, a store, a scheduler and kubelets that run containers through a ContainerRuntime,
 * and a control surface for faults and introspection (in process and under /_sim).
 */
import express, { type Express } from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { ContainerRuntime } from '../types.js';
import { ApiFaults } from './api/api-faults.js';
import { createApiRouter } from './api/app.js';
import { WatchRegistry } from './api/list-watch.js';
import { KubeControl } from './control.js';
import { controlRoutes } from './control-routes.js';
import { DevicePluginHost } from './device-plugins/host.js';
import { BindingHistory } from './kubelet/bindings.js';
import { Kubelet } from './kubelet/kubelet.js';
import { defaultTimings, type KubeletTimings } from './kubelet/timings.js';
import { kubeconfigYaml } from './kubeconfig.js';
import type { AddNodeOptions } from './nodes.js';
import { EventRecorder } from './state/events.js';
import { startGarbageCollector } from './state/gc.js';
import { KubeState } from './state/store.js';
import type { Node } from './state/types.js';

export interface KubeSimOptions {
  /** The bearer token the API accepts; default `sim-token`. */
  token?: string;
  /** The kubeconfig context's namespace; default `default`. */
  namespace?: string;
  /** When given, creating in any other namespace is 404 `namespaces "x" not found`. */
  namespaces?: string[];
  timings?: Partial<KubeletTimings>;
  /** The API server allows 253; default 63 so a pod name also fits a hostname and a label. */
  maxPodNameLength?: number;
  /** Changes a watch can resume from (older resourceVersions get 410); default 10000. */
  historyLimit?: number;
  /** The server ends each watch after this long (clients reconnect); default 0 = never. */
  maxWatchMs?: number;
  runtime?: ContainerRuntime;
  nodes?: AddNodeOptions[];
  logger?: Logger;
}

export interface ListeningServer {
  url: string;
  close(): Promise<void>;
}

export interface KubeSim {
  app: Express;
  state: KubeState;
  kubelet: Kubelet;
  control: KubeControl;
  /**
   * The kubelet side of the Device Plugin API: `devicePlugins.serve(node, dir)` makes a node take
   * its runner slots from the plugin that registers on `<dir>/kubelet.sock`.
   */
  devicePlugins: DevicePluginHost;
  /** Mutable: a test may change a timing between steps. */
  timings: KubeletTimings;
  token: string;
  setRuntime(runtime: ContainerRuntime | undefined): void;
  addNode(options: AddNodeOptions): Node;
  /** Listens on 127.0.0.1 (port 0 = a random free port). */
  listen(port?: number): Promise<ListeningServer>;
  kubeconfigYaml(url: string): string;
  /** Stops the kubelets, ends watches and closes every server `listen` opened. */
  close(): Promise<void>;
}

export function createKubeSim(options: KubeSimOptions = {}): KubeSim {
  // Errors only by default: a failing simulated component must not go unnoticed in a test.
  const logger = options.logger ?? pino({ level: 'error' });
  const token = options.token ?? 'sim-token';
  const timings: KubeletTimings = { ...defaultTimings, ...options.timings };
  const state = new KubeState({
    ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}),
    onListenerError: (err) => logger.error({ err }, 'simulated cluster component failed'),
  });
  const events = new EventRecorder(state);
  const stopGc = startGarbageCollector(state);
  const bindings = new BindingHistory();
  const stopBindings = bindings.observe(state);
  const kubelet = new Kubelet({ state, events, timings, logger });
  kubelet.setRuntime(options.runtime);
  kubelet.start();
  const apiFaults = new ApiFaults();
  const watches = new WatchRegistry();
  const control = new KubeControl({ state, kubelet, apiFaults, watches, bindings });
  const devicePlugins = new DevicePluginHost({ state, logger });
  const namespaces = options.namespaces ? new Set(options.namespaces) : undefined;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/_sim', controlRoutes(control, state));
  app.use(
    createApiRouter({
      state,
      watches,
      faults: apiFaults,
      timings,
      token,
      maxWatchMs: options.maxWatchMs ?? 0,
      maxPodNameLength: options.maxPodNameLength ?? 63,
      namespaceExists: (ns) => namespaces?.has(ns) ?? true,
    }),
  );
  for (const node of options.nodes ?? []) control.addNode(node);

  const servers = new Set<ListeningServer>();
  const listen = (port = 0): Promise<ListeningServer> =>
    new Promise((resolve, reject) => {
      const server = createServer(app);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address() as AddressInfo;
        const handle: ListeningServer = {
          url: `http://127.0.0.1:${bound}`,
          close: () =>
            new Promise<void>((done) => {
              servers.delete(handle);
              watches.closeAll();
              server.close(() => done());
              server.closeAllConnections();
            }),
        };
        servers.add(handle);
        resolve(handle);
      });
    });

  return {
    app,
    state,
    kubelet,
    control,
    devicePlugins,
    timings,
    token,
    setRuntime: (runtime) => kubelet.setRuntime(runtime),
    addNode: (node) => control.addNode(node),
    listen,
    kubeconfigYaml: (url) =>
      kubeconfigYaml({
        server: url,
        token,
        ...(options.namespace ? { namespace: options.namespace } : {}),
      }),
    close: async () => {
      kubelet.stop();
      stopGc();
      stopBindings();
      await devicePlugins.close();
      await Promise.all([...servers].map((s) => s.close()));
    },
  };
}

export type { AddNodeOptions } from './nodes.js';
export { boardLabel, runnerResource } from './nodes.js';
export type { KubeletTimings } from './kubelet/timings.js';
export type { CrashFault, ImagePullFault, PodMatch } from './kubelet/pod-faults.js';
export type { Binding } from './kubelet/bindings.js';
export type { DevicePluginHost } from './device-plugins/host.js';
export type { SimDeviceManager, ResourceCount } from './device-plugins/device-manager.js';
export type { CallCounts } from './api/api-faults.js';
export type { KubeControl } from './control.js';
export type { KubeState } from './state/store.js';
export type { Pod, Node, Secret, Event } from './state/types.js';
