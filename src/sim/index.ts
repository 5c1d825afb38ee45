/**
 * The whole simulator: GitHub's REST API, a Kubernetes API server with kubelets, and the Actions
 * service that runs inside runner pods, wired together. See docs/simulator.md.
 */
import type { Logger } from 'pino';
import {
  actionsControlRouter,
  createActionsRuntime,
  type ActionsRuntime,
} from './actions/index.js';
import { createGitHubSim, type GitHubSim, type GitHubSimOptions } from './github/index.js';
import {
  createKubeSim,
  type AddNodeOptions,
  type KubeSim,
  type KubeSimOptions,
} from './kube/index.js';
import { startupProfile, type StartupOptions, type StartupProfile } from './startup.js';

export interface SimulatorOptions {
  github?: GitHubSimOptions;
  kube?: Omit<KubeSimOptions, 'runtime'>;
  nodes?: AddNodeOptions[];
  /**
   * How long a runner pod takes to start: image pull, Docker, registration (src/sim/startup.ts).
   * Default: the `fast` preset. `kube.timings.imagePullMs`, when given, wins over the profile's.
   */
  startup?: StartupOptions;
  /** Fixed ports for a standalone simulator; random when absent. */
  githubPort?: number;
  kubePort?: number;
  logger?: Logger;
}

export interface Simulator {
  github: GitHubSim;
  /** The start-up profile in use (the kubelet has its pull time, the Actions service the rest). */
  startup: StartupProfile;
  kube: KubeSim;
  actions: ActionsRuntime;
  githubUrl: string;
  kubeUrl: string;
  /** A kubeconfig for the simulated cluster (bearer token, `skipTLSVerify`). */
  kubeconfig: string;
  /** Where the Apps send webhooks (and with which secret). */
  setWebhookTarget(url: string, secret: string): void;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const github = createGitHubSim(options.github);
  const startup = startupProfile(options.startup);
  const actions = createActionsRuntime({ github, startup });
  github.controlRouter.use('/actions', actionsControlRouter(actions));
  const kube = createKubeSim({
    ...options.kube,
    timings: {
      imagePullMs: startup.imagePullMs,
      boardFactors: startup.boards,
      ...options.kube?.timings,
    },
    runtime: actions,
    logger: options.logger,
    nodes: options.nodes,
  });
  const [gh, k8s] = await Promise.all([
    github.listen(options.githubPort),
    kube.listen(options.kubePort),
  ]);
  return {
    github,
    startup,
    kube,
    actions,
    githubUrl: gh.url,
    kubeUrl: k8s.url,
    kubeconfig: kube.kubeconfigYaml(k8s.url),
    setWebhookTarget: (url, secret) => github.setWebhookTarget(url, secret),
    async close() {
      await kube.close();
      await github.close();
    },
  };
}

export type { GitHubSim, KubeSim, ActionsRuntime, AddNodeOptions, StartupOptions, StartupProfile };
export { STARTUP_PRESETS, startupProfile } from './startup.js';
