/**
 * Label and field selectors with the API server's semantics: `!=` and `notin` also match objects
 * without the label, and only the fields each kind indexes may be selected on (others → 400).
 */
import { badRequest } from '../errors.js';
import type { Kind, KubeObject } from '../state/types.js';

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

const keyPattern = '[A-Za-z0-9][-A-Za-z0-9_./]*';
const valuePattern = '[-A-Za-z0-9_.]*';
const notExists = new RegExp(`^!\\s*(${keyPattern})$`);
const setBased = new RegExp(`^(${keyPattern})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const equality = new RegExp(`^(${keyPattern})\\s*(==|!=|=)\\s*(${valuePattern})$`);
const exists = new RegExp(`^(${keyPattern})$`);

/** Splits on commas that are not inside `in (…)` parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (!selector?.trim()) return [];
  return splitTopLevel(selector).map((part): LabelRequirement => {
    let m = notExists.exec(part);
    if (m?.[1]) return { key: m[1], op: '!exists', values: [] };
    m = setBased.exec(part);
    if (m?.[1] && m[3] !== undefined) {
      const values = m[3].split(',').map((v) => v.trim());
      return { key: m[1], op: m[2] === 'in' ? 'in' : 'notin', values };
    }
    m = equality.exec(part);
    if (m?.[1] && m[3] !== undefined) {
      return { key: m[1], op: m[2] === '!=' ? '!=' : '=', values: [m[3]] };
    }
    m = exists.exec(part);
    if (m?.[1]) return { key: m[1], op: 'exists', values: [] };
    throw badRequest(`unable to parse requirement: invalid label selector "${selector}"`);
  });
}

export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return requirements.every(({ key, op, values }) => {
    const value = labels?.[key];
    switch (op) {
      case '=':
      case 'in':
        return value !== undefined && values.includes(value);
      case '!=':
      case 'notin':
        return value === undefined || !values.includes(value);
      case 'exists':
        return value !== undefined;
      case '!exists':
        return value === undefined;
    }
  });
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** The field labels each kind supports (its strategy in kubernetes/pkg/registry/core). */
const fieldLabels: Record<Kind, readonly string[]> = {
  Pod: [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Node: ['metadata.name', 'spec.unschedulable'],
  Secret: ['metadata.name', 'metadata.namespace', 'type'],
  Event: [
    'metadata.name',
    'metadata.namespace',
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

export function parseFieldSelector(kind: Kind, selector: string | undefined): FieldRequirement[] {
  if (!selector?.trim()) return [];
  return selector.split(',').map((part): FieldRequirement => {
    const m = /^\s*([A-Za-z.]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part);
    if (!m?.[1] || m[3] === undefined) {
      throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    }
    if (!fieldLabels[kind].includes(m[1])) {
      throw badRequest(`field label not supported: ${m[1]}`);
    }
    return { field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] };
  });
}

function fieldValue(obj: KubeObject, field: string): string {
  const path = field === 'source' ? ['source', 'component'] : field.split('.');
  let value: unknown = obj;
  for (const step of path) {
    value =
      value && typeof value === 'object' ? (value as Record<string, unknown>)[step] : undefined;
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  // Unset fields compare as "", so `spec.nodeName=` selects unscheduled pods.
  return field === 'spec.unschedulable' || field === 'spec.hostNetwork' ? 'false' : '';
}

export function matchesFields(requirements: readonly FieldRequirement[], obj: KubeObject): boolean {
  return requirements.every(({ field, op, value }) => {
    const actual = fieldValue(obj, field);
    return op === '=' ? actual === value : actual !== value;
  });
}

/** A parsed `labelSelector` + `fieldSelector` pair. */
export interface Selector {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function parseSelector(
  kind: Kind,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): Selector {
  return {
    labels: parseLabelSelector(labelSelector),
    fields: parseFieldSelector(kind, fieldSelector),
  };
}

export function matches(selector: Selector, obj: KubeObject): boolean {
  return matchesLabels(selector.labels, obj.metadata.labels) && matchesFields(selector.fields, obj);
}
