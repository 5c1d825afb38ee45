/**
 * The API server's rules on a pod's namespaces and security contexts that a runner pod can
 * break: a user-namespaced pod (`hostUsers: false`) cannot share the node's network, PID or IPC
 * namespace; `procMount: Unmasked` needs a user namespace; `allowPrivilegeEscalation: false`
 * contradicts `privileged` and CAP_SYS_ADMIN.
 */
import type { StatusCause } from '../errors.js';

type Json = Record<string, unknown>;

const obj = (value: unknown): Json | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;

function checkContainer(causes: StatusCause[], path: string, raw: unknown, userns: boolean): void {
  const sc = obj(obj(raw)?.securityContext);
  if (!sc) return;
  const field = `${path}.securityContext`;
  if (sc.procMount === 'Unmasked' && !userns) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
      field: `${field}.procMount`,
    });
  }
  if (sc.allowPrivilegeEscalation !== false) return;
  const adds = (obj(sc.capabilities)?.add as unknown[] | undefined) ?? [];
  const why =
    sc.privileged === true
      ? 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'
      : adds.some((c) => String(c).toUpperCase().replace(/^CAP_/, '') === 'SYS_ADMIN')
        ? 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'
        : undefined;
  if (why) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${why}`, field });
}

export function checkPodSecurity(causes: StatusCause[], spec: Json): void {
  const userns = spec.hostUsers === false;
  if (userns) {
    for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (spec[host] === true) {
        causes.push({
          reason: 'FieldValueForbidden',
          message: 'Forbidden: when `pod.Spec.HostUsers` is false',
          field: `spec.${host}`,
        });
      }
    }
  }
  for (const list of ['containers', 'initContainers'] as const) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((c, i) => checkContainer(causes, `spec.${list}[${i}]`, c, userns));
  }
}
