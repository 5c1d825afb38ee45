/**
 * A container's environment as the kubelet builds it: `envFrom` first, then `env` (later names
 * win), `$(VAR)` references expanded, Secret values base64-decoded. A missing Secret or key is a
 * CreateContainerConfigError with the kubelet's message, unless the reference is optional.
 */
import type { Container, Pod, Secret } from '../state/types.js';

export type EnvResult = { env: Record<string, string> } | { error: string };

function decode(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

/** The downward-API fields a runner might read (fieldRef). */
function fieldRef(pod: Pod, path: string): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label?.[2]) {
    const map = label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[label[2]] ?? '';
  }
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName':
      typeof pod.spec.serviceAccountName === 'string' ? pod.spec.serviceAccountName : undefined,
    'status.podIP': pod.status.podIP,
    'status.hostIP': pod.status.hostIP,
  };
  return fields[path] ?? '';
}

/** `$(NAME)` expands to an earlier variable; `$$` escapes; unknown references stay as written. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name?: string) =>
    match === '$$' ? '$' : name !== undefined && name in env ? (env[name] ?? '') : match,
  );
}

export function resolveEnv(
  pod: Pod,
  container: Container,
  secret: (name: string) => Secret | undefined,
): EnvResult {
  const env: Record<string, string> = {};
  const ns = pod.metadata.namespace ?? 'default';
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef && !source.configMapRef.optional) {
      return { error: `configmap "${source.configMapRef.name}" not found` };
    }
    if (!source.secretRef) continue;
    const found = secret(source.secretRef.name);
    if (!found) {
      if (source.secretRef.optional) continue;
      return { error: `secret "${source.secretRef.name}" not found` };
    }
    for (const [key, value] of Object.entries(found.data ?? {})) {
      env[`${source.prefix ?? ''}${key}`] = decode(value);
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from?.secretKeyRef) {
      const ref = from.secretKeyRef;
      const found = secret(ref.name);
      const value = found?.data?.[ref.key];
      if (value !== undefined) env[variable.name] = decode(value);
      else if (ref.optional) continue;
      else if (!found) return { error: `secret "${ref.name}" not found` };
      else return { error: `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` };
    } else if (from?.configMapKeyRef) {
      if (from.configMapKeyRef.optional) continue;
      return { error: `configmap "${from.configMapKeyRef.name}" not found` };
    } else if (from?.fieldRef) {
      env[variable.name] = fieldRef(pod, from.fieldRef.fieldPath);
    } else {
      env[variable.name] = expand(variable.value ?? '', env);
    }
  }
  return { env };
}
