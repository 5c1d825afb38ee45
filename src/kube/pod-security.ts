/**
 * What each Docker mode of the runner image needs from its pod, and nothing more. Every grant
 * has its reason here and in docs/runner-image.md ("The runner pod"); change both together.
 * The container always starts as `runner` (the entrypoint refuses rootless Docker as root).
 */
import type { V1SecurityContext } from '@kubernetes/client-node';
import type { DockerMode } from '../config/runners.js';
import { RUNNER_UID } from './constants.js';

export interface ModeGrants {
  securityContext: V1SecurityContext;
  /** `false`: the pod gets its own user namespace, so root inside is not root on the node. */
  hostUsers?: false;
  /** Where the Docker emptyDir is mounted (dockerd's data root); none without Docker. */
  dockerDataMount?: string;
}

const asRunner: V1SecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUNNER_UID,
  runAsGroup: RUNNER_UID,
};

export function modeGrants(mode: DockerMode): ModeGrants {
  switch (mode) {
    case 'privileged':
      return {
        securityContext: {
          ...asRunner,
          // containerd and dockerd run as root (through sudo): mounts, cgroups, iptables,
          // network namespaces and devices for the job's containers. This is what the original
          // runs, and why only allowlisted tenants should get it.
          privileged: true,
          // The runtime applies no seccomp filter to a privileged container; say so.
          seccompProfile: { type: 'Unconfined' },
        },
        dockerDataMount: '/var/lib/docker',
      };
    case 'rootless':
      return {
        securityContext: {
          ...asRunner,
          // newuidmap/newgidmap (uidmap) are setuid root; no_new_privs would make them fail.
          allowPrivilegeEscalation: true,
          // What newuidmap/newgidmap need to write the uid/gid maps of rootlesskit's namespace.
          // Inside that namespace rootlesskit has every capability, owned by it, not the node.
          capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
          // RuntimeDefault allows unshare, mount and pivot_root only with CAP_SYS_ADMIN.
          seccompProfile: { type: 'Unconfined' },
          // The runtime's default AppArmor profile denies mount.
          appArmorProfile: { type: 'Unconfined' },
          // The kernel refuses a new /proc (each job container's) while ours has masked paths;
          // Kubernetes allows Unmasked only in a user-namespaced pod.
          procMount: 'Unmasked',
        },
        hostUsers: false,
        // Rootless dockerd keeps its data in ~/.local/share/docker. A mount point any deeper
        // would leave ~/.local and ~/.local/share owned by root, breaking `pip install --user`.
        dockerDataMount: '/home/runner/.local',
      };
    case 'none':
      return {
        securityContext: {
          ...asRunner,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
      };
  }
}
