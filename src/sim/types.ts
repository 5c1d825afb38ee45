/**
 * The seam between the simulated Kubernetes kubelet (src/sim/kube/) and the simulated
 * Actions service (src/sim/actions/): the kubelet "runs" a runner container by handing it to a
 * ContainerRuntime, which decides what the process does and when it exits.
 */

/** What a started container can see of its pod. */
export interface ContainerContext {
  namespace: string;
  podName: string;
  podUid: string;
  nodeName: string;
  containerName: string;
  image: string;
  labels: Readonly<Record<string, string>>;
  /** Environment after resolving `env[].value`, `env[].valueFrom.secretKeyRef` and `envFrom[].secretRef`. */
  env: Readonly<Record<string, string>>;
  /** The labels of the node it runs on (its board, for start-up times per board). */
  nodeLabels?: Readonly<Record<string, string>>;
  /** What the container may do: its securityContext and the pod's namespaces. */
  security?: ContainerSecurity;
}

/** The parts of a container's securityContext (and its pod's spec) a runtime may check. */
export interface ContainerSecurity {
  privileged?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  procMount?: string;
  /** `spec.hostUsers`: false for a pod with its own user namespace. */
  hostUsers?: boolean;
  hostNetwork?: boolean;
}

/** How a running container talks back to the kubelet. */
export interface ContainerIO {
  /** Appends one line to the container's log (served by `GET …/pods/NAME/log`). */
  log(line: string): void;
  /** The process ends; the kubelet records the termination and moves the pod on. */
  exit(code: number, reason?: string, message?: string): void;
}

export interface ContainerHandle {
  /** The pod is being deleted or its deadline passed: stop silently (the kubelet records the end). */
  stop(): void;
}

export interface ContainerRuntime {
  /** Returns `undefined` to let the kubelet's default behaviour run the container. */
  start(ctx: ContainerContext, io: ContainerIO): ContainerHandle | undefined;
}
