/**
 * What a started container may do, as the runtime would set it up: the container's
 * securityContext over the pod's (runAsUser, seccomp and AppArmor are inherited), and the pod's
 * user and network namespaces.
 */
import type { ContainerSecurity } from '../../types.js';
import type { Container, Pod } from '../state/types.js';

type Json = Record<string, unknown>;

const obj = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};

export function containerSecurity(pod: Pod, container: Container): ContainerSecurity {
  const podLevel = obj(pod.spec.securityContext);
  const own = obj(container.securityContext);
  const inherited = ['runAsUser', 'seccompProfile', 'appArmorProfile'] as const;
  const merged: Json = { ...own };
  for (const field of inherited) merged[field] ??= podLevel[field];
  return {
    ...(merged as ContainerSecurity),
    ...(typeof pod.spec.hostUsers === 'boolean' ? { hostUsers: pod.spec.hostUsers } : {}),
    ...(pod.spec.hostNetwork === true ? { hostNetwork: true } : {}),
  };
}
