/** How long the simulated kubelet takes for each step; tests use a few milliseconds. */
export interface KubeletTimings {
  /** Pulling an image not yet on the node (the first pod of that image there). */
  imagePullMs: number;
  /** Per board (the node's `riseproject.dev/board`): a factor on imagePullMs; 1 if not listed. */
  boardFactors: Record<string, number>;
  /** First wait after a failed pull (ImagePullBackOff) or an exited container (CrashLoopBackOff); doubles each time. */
  backoffMs: number;
  /** Ceiling of that doubling (the kubelet's is 5 minutes). */
  backoffMaxMs: number;
  /** How long a container runs when no ContainerRuntime takes it, before it exits 0. */
  containerRunMs: number;
  /** Containers no runtime takes run until stopped instead. */
  containerRunsForever: boolean;
  /** The length of one second in `activeDeadlineSeconds`, so a test can use a 1 s deadline in 20 ms. */
  secondMs: number;
  /** Between a running pod's DELETE and its removal: the kubelet stopping its containers. */
  podTerminationMs: number;
}

export const defaultTimings: KubeletTimings = {
  imagePullMs: 5,
  boardFactors: {},
  backoffMs: 20,
  backoffMaxMs: 500,
  containerRunMs: 50,
  containerRunsForever: false,
  secondMs: 1000,
  podTerminationMs: 0,
};
