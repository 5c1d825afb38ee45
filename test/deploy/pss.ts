/**
 * A small evaluator of the Kubernetes Pod Security Standards (baseline and restricted, as of
 * Kubernetes 1.32, https://kubernetes.io/docs/concepts/security/pod-security-standards/): the
 * checks the admission controller makes, for the fields our pods can carry. Each violation is a
 * line naming the field, like the API server's own refusal.
 */

export type Level = 'privileged' | 'baseline' | 'restricted';
export const LEVELS: readonly Level[] = ['restricted', 'baseline', 'privileged'];

type Json = any;

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const containersOf = (spec: Json): { where: string; c: Json }[] =>
  (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((field) =>
    ((spec?.[field] ?? []) as Json[]).map((c: Json, i: number) => ({
      where: `spec.${field}[${i}] (${c.name})`,
      c,
    })),
  );

/** Violations of the baseline profile: known privilege escalations. */
export function baselineViolations(pod: Json): string[] {
  const spec = pod?.spec ?? {};
  const out: string[] = [];
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[f] === true) out.push(`spec.${f}: must be unset or false`);
  }
  if (spec.securityContext?.windowsOptions?.hostProcess) {
    out.push('spec.securityContext.windowsOptions.hostProcess: must be false');
  }
  for (const v of (spec.volumes ?? []) as Json[]) {
    if (v.hostPath) out.push(`spec.volumes (${v.name}): hostPath volumes are forbidden`);
  }
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  if (podSeccomp === 'Unconfined') out.push('spec.securityContext.seccompProfile: Unconfined');
  const podSe = spec.securityContext?.seLinuxOptions;
  if (podSe && (!SELINUX_TYPES.has(podSe.type ?? '') || podSe.user || podSe.role)) {
    out.push('spec.securityContext.seLinuxOptions: only the container types, no user or role');
  }
  for (const s of (spec.securityContext?.sysctls ?? []) as Json[]) {
    if (!SAFE_SYSCTLS.has(s.name)) out.push(`spec.securityContext.sysctls: ${s.name} is unsafe`);
  }
  const podAppArmor = spec.securityContext?.appArmorProfile?.type;
  if (podAppArmor === 'Unconfined') out.push('spec.securityContext.appArmorProfile: Unconfined');
  for (const [k, v] of Object.entries(
    (pod?.metadata?.annotations ?? {}) as Record<string, string>,
  )) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v === 'unconfined') {
      out.push(`metadata.annotations ${k}: unconfined`);
    }
  }
  for (const { where, c } of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    if (sc.privileged === true) out.push(`${where}.securityContext.privileged: must be false`);
    if (sc.windowsOptions?.hostProcess) out.push(`${where}: hostProcess`);
    const added = ((sc.capabilities?.add ?? []) as string[]).filter(
      (cap) => !BASELINE_CAPABILITIES.has(cap),
    );
    if (added.length > 0)
      out.push(`${where}.securityContext.capabilities.add: ${added.join(', ')}`);
    for (const p of (c.ports ?? []) as Json[]) {
      if (p.hostPort) out.push(`${where}.ports: hostPort ${p.hostPort}`);
    }
    if (sc.procMount !== undefined && sc.procMount !== 'Default') {
      out.push(`${where}.securityContext.procMount: ${sc.procMount}`);
    }
    if (sc.seccompProfile?.type === 'Unconfined')
      out.push(`${where}.securityContext.seccompProfile: Unconfined`);
    if (sc.appArmorProfile?.type === 'Unconfined')
      out.push(`${where}.securityContext.appArmorProfile: Unconfined`);
    const se = sc.seLinuxOptions;
    if (se && (!SELINUX_TYPES.has(se.type ?? '') || se.user || se.role)) {
      out.push(
        `${where}.securityContext.seLinuxOptions: only the container types, no user or role`,
      );
    }
  }
  return out;
}

/** Violations of the restricted profile (which includes baseline): hardening best practice. */
export function restrictedViolations(pod: Json): string[] {
  const spec = pod?.spec ?? {};
  const out = baselineViolations(pod);
  for (const v of (spec.volumes ?? []) as Json[]) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type))
      out.push(`spec.volumes (${v.name}): ${type} is not allowed`);
  }
  const podSc = spec.securityContext ?? {};
  if (podSc.runAsUser === 0) out.push('spec.securityContext.runAsUser: must not be 0');
  for (const { where, c } of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) {
      out.push(`${where}.securityContext.allowPrivilegeEscalation: must be false`);
    }
    if (
      sc.runAsNonRoot !== true &&
      !(podSc.runAsNonRoot === true && sc.runAsNonRoot === undefined)
    ) {
      out.push(`${where}.securityContext.runAsNonRoot: must be true (here or for the pod)`);
    }
    if (sc.runAsUser === 0) out.push(`${where}.securityContext.runAsUser: must not be 0`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      out.push(`${where}.securityContext.seccompProfile: RuntimeDefault or Localhost`);
    }
    const caps = sc.capabilities ?? {};
    if (!((caps.drop ?? []) as string[]).includes('ALL')) {
      out.push(`${where}.securityContext.capabilities.drop: must include ALL`);
    }
    const extra = ((caps.add ?? []) as string[]).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (extra.length > 0)
      out.push(`${where}.securityContext.capabilities.add: only NET_BIND_SERVICE`);
  }
  return out;
}

export function violations(level: Level, pod: Json): string[] {
  if (level === 'privileged') return [];
  return level === 'baseline' ? baselineViolations(pod) : restrictedViolations(pod);
}

/** The most restrictive level that admits the pod. */
export function lowestLevel(pod: Json): Level {
  return LEVELS.find((l) => violations(l, pod).length === 0) ?? 'privileged';
}

/** The level a namespace enforces (the admission default is privileged). */
export const enforcedLevel = (ns: { metadata: { labels?: Record<string, string> } }): Level =>
  (ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] as Level | undefined) ?? 'privileged';
