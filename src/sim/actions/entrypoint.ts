/**
 * The runner image's entrypoint (images/runner/entrypoint.sh) as the simulator plays it: the same
 * variables and checks with the same messages, Docker started as DOCKER_MODE says (a delay, see
 * ../startup.ts), and a dockerd that dies when the container lacks what its mode needs, which is
 * what src/kube/pod-security.ts grants. What follows "starting runner" is the runner process.
 */
import type { DockerMode } from '../startup.js';
import type { ContainerContext, ContainerSecurity } from '../types.js';

export const JIT_CONFIG_ENV = 'RUNNER_JITCONFIG';
/** The runner the image caches (its `ENV RUNNER_VERSION`, used when the pod sets none). */
export const IMAGE_RUNNER_VERSION = '2.335.1';

const MODES: readonly string[] = ['privileged', 'rootless', 'none'];

export type EntrypointPlan =
  /** The entrypoint stops at once with exit 1; the last line says why. */
  | { ok: false; lines: string[] }
  | {
      ok: true;
      jitConfig: string;
      version: string;
      mode: DockerMode;
      /** RUNNER_WAIT_FOR_DOCKER_IN_SECONDS, in ms. */
      waitMs: number;
      /** Logged when Docker starts (empty for `none`). */
      lines: string[];
      /** When set, dockerd dies before answering, logging these lines. */
      dockerFailure?: string[];
    };

const refuse = (line: string): EntrypointPlan => ({ ok: false, lines: [`entrypoint: ${line}`] });

/** The grants rootless Docker needs that this container lacks (see src/kube/pod-security.ts). */
export function missingRootlessGrants(s: ContainerSecurity = {}): string[] {
  if (s.privileged) return [];
  const missing: string[] = [];
  const caps = s.capabilities ?? {};
  const dropsAll = (caps.drop ?? []).some((c) => c.toUpperCase() === 'ALL');
  const adds = new Set((caps.add ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, '')));
  if (s.allowPrivilegeEscalation === false) missing.push('allowPrivilegeEscalation');
  if (dropsAll && !(adds.has('SETUID') && adds.has('SETGID'))) missing.push('SETUID and SETGID');
  if (s.seccompProfile?.type !== 'Unconfined') missing.push('seccomp Unconfined');
  if (s.appArmorProfile?.type !== 'Unconfined') missing.push('AppArmor Unconfined');
  if (s.procMount !== 'Unmasked') missing.push('procMount Unmasked');
  return missing;
}

/**
 * What dockerd would log when it cannot start in this container, or undefined when it can (or
 * when the caller did not say what the container may do: the kubelet always does).
 */
function dockerFailure(mode: DockerMode, s: ContainerSecurity | undefined): string[] | undefined {
  if (!s) return undefined;
  if (mode === 'privileged') {
    if (s.privileged) return undefined;
    if (s.allowPrivilegeEscalation === false) {
      return [
        'sudo: The "no new privileges" flag is set, which prevents sudo from running as root.',
      ];
    }
    return ['failed to start daemon: operation not permitted (the container is not privileged)'];
  }
  if (mode === 'rootless') {
    const missing = missingRootlessGrants(s);
    if (missing.length === 0) return undefined;
    return [`[rootlesskit:parent] error: operation not permitted (missing: ${missing.join(', ')})`];
  }
  return undefined;
}

/** The entrypoint's checks, in its order, on the container's environment and security. */
export function planEntrypoint(ctx: Pick<ContainerContext, 'env' | 'security'>): EntrypointPlan {
  const env = ctx.env;
  const jitConfig = env[JIT_CONFIG_ENV];
  if (!jitConfig) return refuse(`${JIT_CONFIG_ENV} is not set (the pod passes it from its Secret)`);
  const version = env.RUNNER_VERSION || IMAGE_RUNNER_VERSION;
  if (!/^[0-9A-Za-z][0-9A-Za-z._-]*$/.test(version)) {
    return refuse(`RUNNER_VERSION is not a version: ${version}`);
  }
  if (version !== IMAGE_RUNNER_VERSION) {
    return refuse(
      `RUNNER_VERSION=${version} is not in this image (no /home/runner/actions-runner/cached/${version}/run.sh; cached: ${IMAGE_RUNNER_VERSION})`,
    );
  }
  const mode = env.DOCKER_MODE ?? 'privileged';
  if (!MODES.includes(mode)) {
    return refuse(`DOCKER_MODE must be privileged, rootless or none, not '${mode}'`);
  }
  const mtu = env.DOCKER_MTU ?? '1450';
  if (!/^\d{2,5}$/.test(mtu) || Number(mtu) < 68 || Number(mtu) > 65535) {
    return refuse(`DOCKER_MTU must be a number from 68 to 65535, not '${mtu}'`);
  }
  const wait = env.RUNNER_WAIT_FOR_DOCKER_IN_SECONDS ?? '60';
  if (!/^\d{1,6}$/.test(wait)) {
    return refuse(
      `RUNNER_WAIT_FOR_DOCKER_IN_SECONDS must be a whole number of seconds, not '${wait}'`,
    );
  }
  const docker = mode as DockerMode;
  const uid = ctx.security?.runAsUser;
  if (docker === 'rootless' && uid === 0) {
    return refuse('DOCKER_MODE=rootless must run as a non-root user (the image runs as runner)');
  }
  const lines =
    docker === 'privileged'
      ? [
          `entrypoint: starting containerd and dockerd (privileged, mtu ${Number(mtu)}; logs in /tmp)`,
        ]
      : docker === 'rootless'
        ? [
            `entrypoint: starting rootless dockerd (mtu ${Number(mtu)}; DOCKER_HOST=unix:///run/user/${uid ?? 1001}/docker.sock; log in /tmp/dockerd.log)`,
          ]
        : [];
  const failure = dockerFailure(docker, ctx.security);
  return {
    ok: true,
    jitConfig,
    version,
    mode: docker,
    waitMs: Number(wait) * 1000,
    lines,
    ...(failure ? { dockerFailure: failure } : {}),
  };
}
