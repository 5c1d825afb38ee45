/**
 * The API server's validation of what a client creates, for the mistakes a controller can make:
 * names (RFC 1123), labels, required container fields, restart policy, extended resources.
 * Each problem is a StatusCause; any cause turns the request into 422 Invalid.
 */
import type { StatusCause } from '../errors.js';
import { checkPodSecurity } from './validate-security.js';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const secretKey = /^[-._a-zA-Z0-9]+$/;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type Causes = StatusCause[];
type Json = Record<string, unknown>;

/** A scalar as the API server prints it in a message. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function obj(value: unknown): Json | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function required(causes: Causes, field: string): void {
  causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
}

function invalidValue(causes: Causes, field: string, value: unknown, why: string): void {
  const shown = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${why}`, field });
}

type NameRule = 'label' | 'subdomain';

export function checkName(
  causes: Causes,
  field: string,
  name: unknown,
  maxLength: number,
  rule: NameRule,
): void {
  if (typeof name !== 'string' || name === '') return required(causes, field);
  if (name.length > maxLength) {
    invalidValue(causes, field, name, `must be no more than ${maxLength} characters`);
  }
  if (!(rule === 'label' ? dns1123Label : dns1123Subdomain).test(name)) {
    const chars = rule === 'label' ? "'-'" : "'-' or '.'";
    invalidValue(
      causes,
      field,
      name,
      `a lowercase RFC 1123 ${rule} must consist of lower case alphanumeric characters, ${chars}, and must start and end with an alphanumeric character`,
    );
  }
}

export function checkLabels(causes: Causes, labels: unknown): void {
  if (labels === undefined) return;
  const map = obj(labels);
  if (!map) return invalidValue(causes, 'metadata.labels', labels, 'must be a map of strings');
  for (const [key, value] of Object.entries(map)) {
    const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
    if (!name || name.length > 63 || !labelName.test(name)) {
      invalidValue(
        causes,
        'metadata.labels',
        key,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters",
      );
    }
    if (prefix !== undefined && (prefix.length > 253 || !dns1123Subdomain.test(prefix))) {
      invalidValue(
        causes,
        'metadata.labels',
        key,
        'prefix part must be a lowercase RFC 1123 subdomain',
      );
    }
    if (typeof value !== 'string' || value.length > 63 || !labelValue.test(value)) {
      invalidValue(
        causes,
        'metadata.labels',
        value,
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters",
      );
    }
  }
}

function checkMeta(causes: Causes, meta: Json, nameMax: number): void {
  checkName(causes, 'metadata.name', meta.name, nameMax, 'subdomain');
  checkLabels(causes, meta.labels);
  const annotations = obj(meta.annotations);
  if (annotations && Object.values(annotations).some((v) => typeof v !== 'string')) {
    invalidValue(causes, 'metadata.annotations', annotations, 'values must be strings');
  }
}

function checkEnv(causes: Causes, path: string, env: unknown): void {
  if (env === undefined) return;
  if (!Array.isArray(env)) return invalidValue(causes, path, env, 'must be a list');
  env.forEach((raw, i) => {
    const item = obj(raw);
    if (!item || typeof item.name !== 'string' || !item.name)
      return required(causes, `${path}[${i}].name`);
    const ref = obj(obj(item.valueFrom)?.secretKeyRef);
    if (ref && (typeof ref.name !== 'string' || typeof ref.key !== 'string')) {
      required(
        causes,
        `${path}[${i}].valueFrom.secretKeyRef.${typeof ref.name === 'string' ? 'key' : 'name'}`,
      );
    }
  });
}

/** Extended resources must be whole numbers with requests equal to limits (no overcommit). */
function checkResources(causes: Causes, path: string, resources: unknown): void {
  const requests = obj(obj(resources)?.requests) ?? {};
  const limits = obj(obj(resources)?.limits) ?? {};
  for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
    if (!name.includes('/') || name.startsWith('kubernetes.io/')) continue;
    const request = requests[name];
    const limit = limits[name];
    for (const [field, value] of [
      ['requests', request],
      ['limits', limit],
    ] as const) {
      if (value !== undefined && !/^\d+$/.test(text(value))) {
        invalidValue(causes, `${path}.resources.${field}[${name}]`, value, 'must be an integer');
      }
    }
    if (request !== undefined && limit !== undefined && text(request) !== text(limit)) {
      invalidValue(
        causes,
        `${path}.resources.requests`,
        request,
        `must be equal to ${name} limit of ${text(limit)}`,
      );
    }
    if (request !== undefined && limit === undefined) {
      required(causes, `${path}.resources.limits`);
    }
  }
}

function checkContainers(causes: Causes, field: string, list: unknown, names: Set<string>): void {
  if (!Array.isArray(list)) return invalidValue(causes, field, list, 'must be a list');
  list.forEach((raw, i) => {
    const path = `${field}[${i}]`;
    const c = obj(raw);
    if (!c) return invalidValue(causes, path, raw, 'must be an object');
    if (typeof c.name !== 'string' || !c.name) required(causes, `${path}.name`);
    else {
      checkName(causes, `${path}.name`, c.name, 63, 'label');
      if (names.has(c.name)) {
        causes.push({
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: "${c.name}"`,
          field: `${path}.name`,
        });
      }
      names.add(c.name);
    }
    if (typeof c.image !== 'string' || !c.image.trim()) required(causes, `${path}.image`);
    checkEnv(causes, `${path}.env`, c.env);
    checkResources(causes, path, c.resources);
  });
}

/** `nameMax`: the API server allows 253; runner pods are held to 63 so the name fits a hostname. */
export function validatePod(pod: Json, nameMax: number): Causes {
  const causes: Causes = [];
  checkMeta(causes, obj(pod.metadata) ?? {}, nameMax);
  const spec = obj(pod.spec);
  if (!spec) {
    required(causes, 'spec');
    return causes;
  }
  const names = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0)
    required(causes, 'spec.containers');
  else checkContainers(causes, 'spec.containers', spec.containers, names);
  if (spec.initContainers !== undefined) {
    checkContainers(causes, 'spec.initContainers', spec.initContainers, names);
  }
  const policy = spec.restartPolicy;
  if (policy !== undefined && !['Always', 'OnFailure', 'Never'].includes(text(policy))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${text(policy)}": supported values: "Always", "OnFailure", "Never"`,
      field: 'spec.restartPolicy',
    });
  }
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && !(Number.isInteger(deadline) && Number(deadline) > 0)) {
    invalidValue(
      causes,
      'spec.activeDeadlineSeconds',
      deadline,
      'must be between 1 and 2147483647, inclusive',
    );
  }
  checkPodSecurity(causes, spec);
  if (spec.nodeSelector !== undefined) {
    const selector = obj(spec.nodeSelector);
    if (!selector || Object.values(selector).some((v) => typeof v !== 'string')) {
      invalidValue(causes, 'spec.nodeSelector', spec.nodeSelector, 'must be a map of strings');
    }
  }
  return causes;
}

export function validateSecret(secret: Json): Causes {
  const causes: Causes = [];
  checkMeta(causes, obj(secret.metadata) ?? {}, 253);
  const data = secret.data === undefined ? {} : obj(secret.data);
  if (!data) invalidValue(causes, 'data', secret.data, 'must be a map');
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!secretKey.test(key)) {
      invalidValue(
        causes,
        'data',
        key,
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
      );
    }
    if (typeof value !== 'string' || !base64.test(value)) {
      invalidValue(causes, `data[${key}]`, '<secret contents redacted>', 'must be base64-encoded');
    }
  }
  const stringData = secret.stringData === undefined ? {} : obj(secret.stringData);
  if (!stringData || Object.values(stringData).some((v) => typeof v !== 'string')) {
    invalidValue(causes, 'stringData', '<secret contents redacted>', 'must be a map of strings');
  }
  return causes;
}
